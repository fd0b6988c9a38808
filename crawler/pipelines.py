"""Item pipelines: each FetchResult is extracted, then judged and stored."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from sqlite_utils import Database

from citewatch.config import Settings
from citewatch.storage.checks import latest_snapshot, load_liveness, save_check, volatile_signatures
from citewatch.storage.database import from_iso, open_database

from .change import describe_change
from .extract import content_hash, extract_article
from .fetch import FetchResult, Verdict, result_from_response
from .liveness import advance, is_permanent_move, judge
from .probe import HostProber
from .noise import learn_signatures
from .revisit import next_check_at

logger = logging.getLogger(__name__)

def needs_extraction(result: FetchResult) -> bool:
    """A good HTML response whose bytes differ from the last good one."""
    return result.is_success and result.is_html and not result.body_unchanged


class ExtractPipeline:
    """Extracts article text from pages whose raw bytes changed since the last check."""

    def process_item(self, item: FetchResult) -> FetchResult:
        if needs_extraction(item):
            item.extraction = extract_article(item.html_text, item.final_url or item.source.url)
        return item


class LivenessPipeline:
    """Judges each fetch: alive, dead in disguise (soft 404, parked, sent home), or refused.

    A changed page is compared with the site's answer to a made-up path (see probe.py).
    """

    def __init__(self, crawler: Crawler):
        self.prober = HostProber(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "LivenessPipeline":
        return cls(crawler)

    async def process_item(self, item: FetchResult) -> FetchResult:
        if item.extraction is not None:
            item.probe = await self.prober.probe(item.final_url or item.source.url)
        item.verdict = judge(item)
        return item


class _DatabasePipeline:
    """A pipeline with its own connection, opened in the crawl's thread (SQLite
    connections stay in the thread that made them)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.settings: Settings = crawler.settings["CITEWATCH_SETTINGS"]
        self.db: Database | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "_DatabasePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        self.db = open_database(self.settings.storage.database)

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.close()


class ConfirmPipeline(_DatabasePipeline):
    """When the text differs from the last snapshot, fetches the page again at once.

    Lines that differ between two fetches made moments apart are noise, not edits; the
    store step learns them (see crawler/noise.py). A failed second fetch leaves the
    first to stand alone.
    """

    async def process_item(self, item: FetchResult) -> FetchResult:
        assert self.db is not None
        if item.extraction is None or (item.verdict and item.verdict.outcome != "ok"):
            return item
        previous = latest_snapshot(self.db, item.source.id)
        volatile = volatile_signatures(self.db, item.source.id)
        if previous is None or describe_change(previous.extraction, item.extraction, volatile) is None:
            return item
        url = item.final_url or item.source.url
        try:
            response = await self.crawler.engine.download_async(Request(url, dont_filter=True))
        except Exception as error:  # any download failure: the first fetch stands alone
            logger.info("confirmation fetch of %s failed: %s", url, error)
            return item
        second = result_from_response(response, item.source, item.fetched_at)
        if needs_extraction(second):
            item.confirmation = extract_article(second.html_text, url)
        self.crawler.stats.inc_value("citewatch/confirmations")
        return item


class StorePipeline(_DatabasePipeline):
    """Judges liveness and content change, and stores the check with its consequences."""

    def process_item(self, item: FetchResult) -> FetchResult:
        assert self.db is not None
        stats = self.crawler.stats
        try:
            outcome = record_fetch(self.db, item, self.settings)
        except Exception:  # one source that cannot be stored must not stop the others
            logger.exception("could not store the check of %s", item.source.url)
            stats.inc_value("citewatch/store_errors")
            return item
        stats.inc_value("citewatch/checked")
        stats.inc_value(f"citewatch/state/{outcome['state']}")
        if outcome["changed"]:
            stats.inc_value("citewatch/changed")
        return item


def record_fetch(db: Database, result: FetchResult, settings: Settings) -> dict[str, Any]:
    """Judge one fetch against what is stored and store it; returns the new state."""
    at = from_iso(result.fetched_at)
    verdict = result.verdict or judge(result)
    snapshot = change = None
    learned: set[str] = set()
    same_article = result.body_unchanged  # the very bytes of the last good response
    if verdict.outcome == "ok" and result.extraction is not None:
        previous = latest_snapshot(db, result.source.id)
        if result.confirmation is not None:
            learned = learn_signatures(result.extraction.text, result.confirmation.text)
        volatile = volatile_signatures(db, result.source.id) | learned
        described = describe_change(previous.extraction, result.extraction, volatile) if previous else None
        if previous is None or described is not None:
            snapshot = (result.extraction, content_hash(result.extraction))
        if described is not None:
            change = (described, previous)
        same_article = previous is not None and described is None
    if verdict.outcome == "ok" and same_article and is_permanent_move(result):
        verdict = Verdict("moved")  # the same article, at a new address
    result.verdict = verdict
    transition = advance(load_liveness(db, result.source.id), verdict, at, settings.dead)
    when = next_check_at(transition.liveness, at, settings.dead, verdict)
    save_check(db, result, transition, when, snapshot, change, learned)
    return {"state": transition.liveness.state, "changed": change is not None}
