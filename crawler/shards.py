"""Big crawls split by host over processes, so that every core fetches.

One Scrapy crawl runs on one thread, and on a revisit pass (304s, bytes unchanged, no
extraction) that thread is the bottleneck: a few hundred sources a second. A crawl of at
least SHARD_THRESHOLD sources is split into `crawl.processes` shards by host, so that a
host's requests all come from one process and the per-host politeness settings still
hold. One shard runs in this process, the others in fresh child processes ("spawn": this
process has threads); each stores its own checks in the shared database (SQLite in WAL
mode, a few writes a second each: see StorePipeline) and archive (WARC appends are locked).
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import signal
import sys
import threading
from datetime import datetime
from typing import Callable
from urllib.parse import urlsplit

from citewatch import logs
from citewatch.config import Settings
from citewatch.model import CheckSummary, SourceToCheck

from .control import CrawlControl

logger = logging.getLogger(__name__)

SHARD_THRESHOLD = 1000  # smaller crawls run in one process: a child costs a second to start
PROGRESS_INTERVAL = 0.2  # seconds between reports of the children's progress


def split_by_host(sources: list[SourceToCheck], count: int) -> list[list[SourceToCheck]]:
    """`count` shards of about equal size, each host's sources all in one shard."""
    by_host: dict[str, list[SourceToCheck]] = {}
    for source in sources:
        by_host.setdefault(urlsplit(source.url).netloc.lower(), []).append(source)
    shards: list[list[SourceToCheck]] = [[] for _ in range(count)]
    for host_sources in sorted(by_host.values(), key=len, reverse=True):
        min(shards, key=len).extend(host_sources)
    return [shard for shard in shards if shard]


def shard_settings(settings: Settings, shards: int) -> Settings:
    """Each shard's share of the crawl (its concurrency and extraction workers divided),
    as one process that splits no further."""
    crawl = settings.crawl
    return dataclasses.replace(
        settings,
        crawl=dataclasses.replace(
            crawl,
            processes=1,
            concurrency=max(1, crawl.concurrency // shards),
            extract_workers=max(1, crawl.extract_workers // shards) if crawl.extract_workers else 0,
        ),
    )


class ChildShards:
    """Shards crawling in child processes: started, stopped on request, their progress
    relayed and their summaries collected."""

    def __init__(self, settings: Settings, shards: list[list[SourceToCheck]], clock: Callable[[], datetime]) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._checked = context.Value("l", 0)
        self._joined = threading.Event()
        self._relay: threading.Thread | None = None
        self._summaries = [context.Pipe(duplex=False) for _ in shards]  # (ours, the child's)
        self._sizes = [len(shard) for shard in shards]
        self._processes = [
            context.Process(
                target=_run_child,
                args=(settings, shard, clock, self._stop, self._checked, child_end, logs.current()),
                name=f"citewatch-shard-{number + 1}",
            )
            for number, (shard, (_, child_end)) in enumerate(zip(shards, self._summaries))
        ]
        self._starter = threading.Thread(target=self._start_processes, daemon=True)
        self._start_error: BaseException | None = None

    def start(self, on_checked: Callable[[], None] | None) -> None:
        """Start the children without waiting for them; `on_checked` is called once per
        source they check."""
        # Starting a spawned child blocks until it has imported citewatch and read its
        # shard (most of a second), so this process's own shard would wait for nothing.
        self._starter.start()
        if on_checked is not None:
            self._relay = threading.Thread(target=self._relay_progress, args=(on_checked,), daemon=True)
            self._relay.start()

    def _start_processes(self) -> None:
        try:
            for process in self._processes:
                process.start()
        except BaseException as error:  # raised again by join, once the others are done
            self._start_error = error
            self.stop()

    def stop(self) -> None:
        self._stop.set()

    def _relay_progress(self, on_checked: Callable[[], None]) -> None:
        reported = 0
        while True:
            finished = self._joined.wait(PROGRESS_INTERVAL)
            checked = self._checked.value
            for _ in range(checked - reported):
                on_checked()
            reported = checked
            if finished:
                return

    def join(self) -> list[CheckSummary]:
        """Wait for the children; their summaries (a child that ended without one has
        all its sources `lost`)."""
        self._starter.join()
        summaries = []
        for process, (summary, _), size in zip(self._processes, self._summaries, self._sizes):
            if process.pid is None:  # never started
                continue
            process.join()  # a summary is small: sending it never waits for us to read it
            summaries.append(summary.recv() if summary.poll() else CheckSummary(lost=size))
            if process.exitcode != 0:
                logger.error("%s ended with exit code %s: its sources not yet stored stay due", process.name, process.exitcode)
        self._joined.set()
        if self._relay is not None:
            self._relay.join()  # the last progress reported before returning
        if self._start_error is not None:
            raise self._start_error
        return summaries


def _run_child(settings, sources, clock, stop, checked, summary_end, logging_as) -> None:  # type: ignore[no-untyped-def]
    """A shard's crawl, in a child process: stops when `stop` is set, counts each source
    checked in `checked`, and sends its summary through `summary_end`; logs as `logging_as`
    says (its parent's logs.current())."""
    from .crawl import crawl_sources
    from .extract import ExtractionPool
    from .lifeline import end_with_parent

    end_with_parent()
    logs.configure_like(logging_as)
    control = CrawlControl()
    if stop.is_set():  # asked before this process was up: crawl nothing
        control.stop()
    threading.Thread(target=lambda: stop.wait() and control.stop(), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: control.stop())  # systemd signals the whole group

    def count() -> None:
        with checked.get_lock():
            checked.value += 1

    try:
        summary = crawl_sources(settings, sources, clock, control, count)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent reports it
        return
    finally:
        ExtractionPool.shutdown()
    summary_end.send(summary)
    # All is stored and closed: end as multiprocessing ends forked children, without the
    # interpreter's teardown of the crawl's many objects (a fifth of a second, waited for).
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)
