"""Item pipelines: each FetchResult is extracted, then judged and stored."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from sqlite_utils import Database

from citewatch.config import Settings
from citewatch.storage.checks import latest_snapshot, load_liveness, save_check
from citewatch.storage.database import from_iso, open_database

from .change import describe_change
from .extract import content_hash, extract_article
from .fetch import FetchResult
from .liveness import advance, judge
from .revisit import next_check_at

logger = logging.getLogger(__name__)

def needs_extraction(result: FetchResult) -> bool:
    """A good HTML response whose bytes differ from the last good one."""
    return (
        result.error is None
        and result.is_html
        and 200 <= (result.http_status or 0) < 300
        and not result.body_unchanged
    )


class ExtractPipeline:
    """Extracts article text from pages whose raw bytes changed since the last check."""

    def process_item(self, item: FetchResult) -> FetchResult:
        if needs_extraction(item):
            item.extraction = extract_article(item.html_text, item.final_url or item.source.url)
        return item


class StorePipeline:
    """Judges liveness and content change, and stores the check with its consequences."""

    def __init__(self, crawler: Crawler, settings: Settings):
        self.crawler = crawler
        self.settings = settings
        self.db: Database | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        return cls(crawler, crawler.settings["CITEWATCH_SETTINGS"])

    def open_spider(self) -> None:
        # Opened here, in the crawl's own thread: SQLite connections stay in one thread.
        self.db = open_database(self.settings.storage.database)

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.close()

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
    transition = advance(load_liveness(db, result.source.id), judge(result), at, settings.dead)
    snapshot = change = None
    if result.extraction is not None:
        text_hash = content_hash(result.extraction)
        previous = latest_snapshot(db, result.source.id)
        if previous is None or previous.text_hash != text_hash:
            snapshot = (result.extraction, text_hash)
            described = describe_change(previous.extraction, result.extraction) if previous else None
            change = (described, previous) if described else None
    save_check(db, result, transition, next_check_at(transition.liveness, at, settings.dead), snapshot, change)
    return {"state": transition.liveness.state, "changed": change is not None}
