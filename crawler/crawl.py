"""One Scrapy crawl of a list of sources, on this process's reactor.

Twisted's reactor cannot be restarted once stopped, so citewatch starts the asyncio reactor
once per process, in a background thread, and submits every crawl to it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime
from typing import Any, Callable

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import default_settings

from citewatch.config import Settings
from citewatch.model import CheckSummary, SourceToCheck

from . import render
from .capture import RawCapture
from .control import CrawlControl
from .extract import ExtractionPool
from .guard import AddressGuardMiddleware, PrivateAddressFilter
from .pipelines import FAILED_STAT, ConfirmPipeline, ExtractPipeline, LivenessPipeline, RenderPipeline, StorePipeline
from .spider import CheckSpider

logger = logging.getLogger(__name__)

_reactor_lock = threading.Lock()
_reactor_loop: asyncio.AbstractEventLoop | None = None
_address_filter: PrivateAddressFilter | None = None

POOL_THRESHOLD = 64  # smaller crawls extract in-process: starting workers would cost more


# Middlewares for crawls that follow links, which ours never does (one request per cited
# URL): they only cost time on every request.
_UNUSED_DOWNLOADER_MIDDLEWARES: dict[str, None] = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
_UNUSED_SPIDER_MIDDLEWARES: dict[str, None] = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
}
# Extensions a check has no use for. They leave the base list itself, not just the enabled
# ones: Scrapy imports every extension it lists, enabled or not, to read its name, and the
# remote control alone imports aiohttp (a tenth of a crawl's start-up, in every process).
_UNUSED_EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.extensions.corestats.CoreStats",  # per-response counts nobody reads
    "scrapy.extensions.memdebug.MemoryDebugger",
    "scrapy.extensions.feedexport.FeedExporter",
    "scrapy.extensions.spiderstate.SpiderState",
    "scrapy.extensions.throttle.AutoThrottle",
}


def scrapy_settings(settings: Settings, sources: int = 0) -> dict[str, Any]:
    """citewatch's settings as Scrapy settings: politeness, limits and our components."""
    crawl = settings.crawl
    rendering = render.scrapy_settings(settings)
    # Only http and https: no file://, ftp://, s3:// or data: even through a redirect.
    handlers = {"file": None, "ftp": None, "s3": None, "data": None, **rendering.pop("DOWNLOAD_HANDLERS", {})}
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
        # A revisit has no referrer. Scrapy's redirect middlewares ask its referer middleware
        # (and warn on every crawl when it is off), so it stays on, sending none.
        "REFERRER_POLICY": "no-referrer",
        "ROBOTSTXT_OBEY": False,  # one visit per cited page and day, not crawling
        "EXTENSIONS_BASE": {path: order for path, order in default_settings.EXTENSIONS_BASE.items()
                            if path not in _UNUSED_EXTENSIONS},
        "EXTENSIONS": {RawCapture: 100},
        "DOWNLOADER_MIDDLEWARES": {AddressGuardMiddleware: 10, **_UNUSED_DOWNLOADER_MIDDLEWARES},
        "SPIDER_MIDDLEWARES": _UNUSED_SPIDER_MIDDLEWARES,
        # Each of these costs every request something, for nothing a revisit needs: the
        # spider's callbacks are ours (no return-value check, which parses their source
        # each time), and nothing reads per-request download stats.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "DOWNLOADER_STATS": False,
        "MEMUSAGE_ENABLED": False,
        "DOWNLOAD_HANDLERS": handlers,
        "ITEM_PIPELINES": {ExtractPipeline: 100, LivenessPipeline: 120, RenderPipeline: 130, ConfirmPipeline: 150,
                           StorePipeline: 200},
        **rendering,
        "STATS_DUMP": False,
        "LOGSTATS_INTERVAL": 0,
        "LOG_LEVEL": "WARNING",
    }


def crawl_sources(
    settings: Settings,
    sources: list[SourceToCheck],
    clock: Callable[[], datetime],
    control: CrawlControl,
    on_checked: Callable[[], None] | None,
) -> CheckSummary:
    """One Scrapy crawl of `sources` on this process's reactor."""
    loop = _reactor_event_loop()
    ExtractionPool.replace_if_broken()
    assert _address_filter is not None
    _address_filter.allow_private = settings.crawl.allow_private_addresses  # one crawl at a time per process
    runner = AsyncCrawlerRunner(scrapy_settings(settings, len(sources)))
    crawler = runner.create_crawler(CheckSpider)
    if on_checked is not None:
        crawler.signals.connect(lambda **_: on_checked(), signal=signals.item_scraped, weak=False)
    if not control.attach_crawl(runner, loop):
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
        control.attach_crawl(None)
    return summary_from_stats(crawler.stats.get_stats())


def summary_from_stats(stats: dict[str, Any]) -> CheckSummary:
    """What a crawl did, from the counts its pipelines kept in the crawl's stats."""
    return CheckSummary(
        checked=stats.get("citewatch/checked", 0),
        changed=stats.get("citewatch/changed", 0),
        states=_counts(stats, "citewatch/state/"),
        failures=_counts(stats, FAILED_STAT),
    )


def _counts(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)}


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
