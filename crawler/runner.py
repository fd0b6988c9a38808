"""Running a check crawl from ordinary (blocking) code, as often as needed in one process.

Everything that checks goes through `run_check`, which blocks until the crawl has stored
its results. A big crawl is split over processes (crawler.shards); each crawl runs on
Scrapy in crawler.crawl, imported only when a crawl starts, so that child processes load
Scrapy while this one does.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Callable

from citewatch.config import Settings
from citewatch.model import CheckSummary, SourceToCheck
from citewatch.times import utc_now

from .control import CrawlControl
from .shards import SHARD_THRESHOLD, ChildShards, shard_settings, split_by_host

# One crawl at a time per process: the reactor's address filter and the extraction pool
# are the process's own. A second caller waits for the first.
_one_crawl = threading.Lock()


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
    with _one_crawl:
        shards = split_by_host(sources, settings.crawl.processes) if len(sources) >= SHARD_THRESHOLD else [sources]
        children = None
        if len(shards) > 1:
            settings = shard_settings(settings, len(shards))
            children = ChildShards(settings, shards[1:], clock)
            children.start(on_checked)
            control.attach_children(children.stop)
        from .crawl import crawl_sources  # Scrapy: half a second to load, and children load it meanwhile

        try:
            own = crawl_sources(settings, shards[0], clock, control, on_checked)
        finally:
            summaries = children.join() if children is not None else []
            control.attach_children(None)
    return CheckSummary.added_up([own, *summaries])
