"""Running a check crawl from ordinary (blocking) code, as often as needed in one process.

The CLI, the daemon and the tests all go through `run_check`, which blocks until the crawl
has stored its results. A big crawl is split over processes (crawler.shards); each crawl
runs on Scrapy in crawler.crawl, imported only when a crawl starts, so that child
processes load Scrapy while this one does.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from citewatch.config import Settings
from citewatch.storage.database import utc_now

from .items import SourceToCheck
from .shards import SHARD_THRESHOLD, ChildShards, shard_settings, split_by_host

if TYPE_CHECKING:
    from scrapy.crawler import AsyncCrawlerRunner


@dataclass
class CheckSummary:
    """What one crawl did, read from the crawl's own stats."""

    checked: int = 0
    changed: int = 0
    states: dict[str, int] = field(default_factory=dict)
    store_errors: int = 0

    @classmethod
    def from_stats(cls, stats: dict[str, Any]) -> "CheckSummary":
        prefix = "citewatch/state/"
        return cls(
            checked=stats.get("citewatch/checked", 0),
            changed=stats.get("citewatch/changed", 0),
            states={key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)},
            store_errors=stats.get("citewatch/store_errors", 0),
        )

    @classmethod
    def added_up(cls, summaries: list["CheckSummary"]) -> "CheckSummary":
        """The summary of a crawl split in shards."""
        states: Counter[str] = Counter()
        for summary in summaries:
            states.update(summary.states)
        return cls(
            checked=sum(summary.checked for summary in summaries),
            changed=sum(summary.changed for summary in summaries),
            states=dict(states),
            store_errors=sum(summary.store_errors for summary in summaries),
        )


class CrawlControl:
    """Lets another thread (the daemon's signal handler) stop the crawl that is running.

    A stopped crawl closes its spider: requests not yet answered are dropped, and each
    check already fetched is stored whole or not at all.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: tuple[AsyncCrawlerRunner, asyncio.AbstractEventLoop] | None = None
        self._stop_children: Callable[[], None] | None = None
        self.stopped = False

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            if self._running is not None:
                runner, loop = self._running
                asyncio.run_coroutine_threadsafe(runner.stop(), loop)
            if self._stop_children is not None:
                self._stop_children()

    def _attach_children(self, stop: Callable[[], None] | None) -> None:
        """Record how to stop the crawl's child processes (called at once if already stopped)."""
        with self._lock:
            self._stop_children = stop
            if self.stopped and stop is not None:
                stop()

    def attach_crawl(self, runner: AsyncCrawlerRunner | None, loop: asyncio.AbstractEventLoop | None = None) -> bool:
        """Record the running crawl (None once it ends); False if a stop was already asked for."""
        with self._lock:
            self._running = (runner, loop) if runner is not None and loop is not None else None
            return not self.stopped


def run_check(
    settings: Settings,
    sources: list[SourceToCheck],
    clock: Callable[[], datetime] = utc_now,
    control: CrawlControl | None = None,
    on_checked: Callable[[], None] | None = None,
) -> CheckSummary:
    """Fetch `sources`, store every outcome, and return a summary. Blocks until done.

    `on_checked` is called (from a crawl thread) as each source is checked. A crawl of
    SHARD_THRESHOLD sources or more is split by host over `crawl.processes` processes
    (see crawler.shards): `clock` then goes to child processes, so it must be picklable.
    """
    if not sources:
        return CheckSummary()
    control = control or CrawlControl()
    shards = split_by_host(sources, settings.crawl.processes) if len(sources) >= SHARD_THRESHOLD else [sources]
    children = None
    if len(shards) > 1:
        settings = shard_settings(settings, len(shards))
        children = ChildShards(settings, shards[1:], clock)
        children.start(on_checked)
        control._attach_children(children.stop)
    from .crawl import crawl_sources  # Scrapy: half a second to load, and children load it meanwhile

    try:
        own = crawl_sources(settings, shards[0], clock, control, on_checked)
    finally:
        summaries = children.join() if children is not None else []
        control._attach_children(None)
    return CheckSummary.added_up([own, *summaries])
