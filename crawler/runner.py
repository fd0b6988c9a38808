"""Running a check crawl from ordinary (blocking) code, as often as needed in one process.

Twisted's reactor cannot be restarted once stopped, so citewatch starts the asyncio reactor
once, in a background thread, and submits every crawl to it. The CLI, the daemon and the
tests all go through `run_check`, which blocks until the crawl has stored its results.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner

from citewatch.config import Settings
from citewatch.storage.database import utc_now

from .capture import RawCapture
from .fetch import SourceToCheck
from .guard import AddressGuardMiddleware, PrivateAddressFilter
from .pipelines import ConfirmPipeline, ExtractPipeline, LivenessPipeline, StorePipeline
from .shards import SHARD_THRESHOLD, ChildShards, shard_settings, split_by_host
from .spider import CheckSpider

logger = logging.getLogger(__name__)

_reactor_lock = threading.Lock()
_reactor_loop: asyncio.AbstractEventLoop | None = None
_address_filter: PrivateAddressFilter | None = None


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


POOL_THRESHOLD = 64  # smaller crawls extract in-process: starting workers would cost more


# Middlewares for crawls that follow links, which ours never does (one request per cited
# URL): they only cost time on every request.
_UNUSED_DOWNLOADER_MIDDLEWARES: dict[str, None] = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
_UNUSED_SPIDER_MIDDLEWARES: dict[str, None] = {
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
}


def scrapy_settings(settings: Settings, sources: int = 0) -> dict[str, Any]:
    """citewatch's settings as Scrapy settings: politeness, limits and our components."""
    crawl = settings.crawl
    return {
        "CITEWATCH_SETTINGS": settings,
        "CITEWATCH_EXTRACT_WORKERS": crawl.extract_workers if sources >= POOL_THRESHOLD else 0,
        # Each response yields one item, and Scrapy starts this many tasks per response:
        # parallelism comes from the requests in flight, not from here.
        "CONCURRENT_ITEMS": 1,
        "USER_AGENT": crawl.user_agent,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DNS_TIMEOUT": crawl.timeout,
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_host_concurrency,
        "DOWNLOAD_DELAY": crawl.delay,
        "DOWNLOAD_MAXSIZE": crawl.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        # One fetch per check: liveness looks across checks, so Scrapy must not retry, and
        # error statuses must reach the spider instead of being filtered out.
        "RETRY_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "REDIRECT_MAX_TIMES": 10,
        "METAREFRESH_MAXDELAY": 0,  # follow instant meta refreshes, not periodic page reloads
        "ROBOTSTXT_OBEY": False,  # one visit per cited page and day, not crawling
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "EXTENSIONS": {
            "scrapy.extensions.telnet.TelnetConsole": None,
            "scrapy.extensions.remote_control.RemoteControl": None,
            RawCapture: 100,
        },
        "DOWNLOADER_MIDDLEWARES": {AddressGuardMiddleware: 10, **_UNUSED_DOWNLOADER_MIDDLEWARES},
        "SPIDER_MIDDLEWARES": _UNUSED_SPIDER_MIDDLEWARES,
        # Each of these costs every request something, for nothing a revisit needs: the
        # spider's callbacks are ours (no return-value check, which parses their source
        # each time), and nothing reads per-request download stats.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "DOWNLOADER_STATS": False,
        "MEMUSAGE_ENABLED": False,
        # Only http and https: no file://, ftp://, s3:// or data: even through a redirect.
        "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
        "ITEM_PIPELINES": {ExtractPipeline: 100, LivenessPipeline: 120, ConfirmPipeline: 150, StorePipeline: 200},
        "STATS_DUMP": False,
        "LOGSTATS_INTERVAL": 0,
        "LOG_LEVEL": "WARNING",
    }


class CrawlControl:
    """Lets another thread (the daemon's signal handler) stop the crawl that is running.

    A stopped crawl closes its spider: requests not yet answered are dropped, and each
    check already fetched is stored whole (one transaction each) or not at all.
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

    def _attach(self, runner: AsyncCrawlerRunner | None, loop: asyncio.AbstractEventLoop | None = None) -> bool:
        """Record the running crawl; False if a stop was already asked for."""
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

    `on_checked` is called (from a crawl thread) after each source is stored. A crawl of
    SHARD_THRESHOLD sources or more is split by host over `crawl.processes` processes
    (see crawler.shards): `clock` then goes to child processes, so it must be picklable.
    """
    if not sources:
        return CheckSummary()
    control = control or CrawlControl()
    shards = split_by_host(sources, settings.crawl.processes) if len(sources) >= SHARD_THRESHOLD else [sources]
    if len(shards) == 1:
        return _crawl(settings, sources, clock, control, on_checked)
    share = shard_settings(settings, len(shards))
    children = ChildShards(share, shards[1:], clock)
    children.start(on_checked)
    control._attach_children(children.stop)
    try:
        own = _crawl(share, shards[0], clock, control, on_checked)
    finally:
        summaries = children.join()
        control._attach_children(None)
    return CheckSummary.added_up([own, *summaries])


def _crawl(
    settings: Settings,
    sources: list[SourceToCheck],
    clock: Callable[[], datetime],
    control: CrawlControl,
    on_checked: Callable[[], None] | None,
) -> CheckSummary:
    """One Scrapy crawl of `sources` on this process's reactor."""
    loop = _reactor_event_loop()
    assert _address_filter is not None
    _address_filter.allow_private = settings.crawl.allow_private_addresses  # one crawl at a time per process
    runner = AsyncCrawlerRunner(scrapy_settings(settings, len(sources)))
    crawler = runner.create_crawler(CheckSpider)
    if on_checked is not None:
        crawler.signals.connect(lambda **_: on_checked(), signal=signals.item_scraped, weak=False)
    if not control._attach(runner, loop):
        return CheckSummary()

    async def crawl() -> None:
        await runner.crawl(crawler, sources=sources, clock=clock)

    future = asyncio.run_coroutine_threadsafe(crawl(), loop)
    try:
        future.result()
    except KeyboardInterrupt:
        logger.warning("interrupted: stopping the crawl, checks already stored are kept")
        control.stop()
        future.result()
        raise
    finally:
        control._attach(None)
    return CheckSummary.from_stats(crawler.stats.get_stats())


def _reactor_event_loop() -> asyncio.AbstractEventLoop:
    """Start the asyncio reactor in a daemon thread, once per process; return its loop."""
    global _reactor_loop, _address_filter
    with _reactor_lock:
        if _reactor_loop is None:
            from twisted.internet import asyncioreactor, error

            loop = asyncio.new_event_loop()
            try:
                asyncioreactor.install(eventloop=loop)
            except error.ReactorAlreadyInstalledError:
                raise RuntimeError(
                    "a Twisted reactor was installed before citewatch could install the asyncio one"
                ) from None
            from twisted.internet import reactor

            _address_filter = PrivateAddressFilter(reactor.nameResolver)  # type: ignore[attr-defined]
            reactor.installNameResolver(_address_filter)  # type: ignore[attr-defined]
            thread = threading.Thread(
                target=reactor.run,  # type: ignore[attr-defined]
                kwargs={"installSignalHandlers": False},
                name="citewatch-reactor",
                daemon=True,
            )
            thread.start()
            _reactor_loop = loop
        return _reactor_loop
