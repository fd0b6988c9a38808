"""Stopping a running crawl from another thread (the daemon's signal handler)."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from scrapy.crawler import AsyncCrawlerRunner


class CrawlControl:
    """Lets another thread stop the crawl that is running.

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

    def attach_children(self, stop: Callable[[], None] | None) -> None:
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
