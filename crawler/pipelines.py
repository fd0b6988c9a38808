"""Item pipelines: each FetchResult is extracted, then judged and stored."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache, partial

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import TextResponse
from sqlite_utils import Database
from twisted.internet import task

from citewatch.config import Settings
from citewatch.model import Change, CheckFailure, CheckOutcome, Extraction, FetchResult, State, StoredSnapshot, Verdict
from citewatch.storage.archive import WarcArchive
from citewatch.storage.checks import (
    archived_ends,
    latest_snapshot,
    load_liveness,
    record_failure,
    save_check,
    snapshot_age,
    volatile_signatures,
)
from citewatch.storage.database import open_database
from citewatch.storage.history import archived_at
from citewatch.times import from_iso, parse_date

from . import render
from .change import compare_articles
from .extract import ExtractionPool, content_hash, extract_article, extract_content
from .fetch import archived_html, result_from_response
from .judges import Judges
from .lifeline import end_if_orphaned
from .liveness import advance, is_permanent_move
from .noise import Noise
from .probe import HostProber
from .revisit import ContentAge, next_check_at
from .shown import Shown

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # checks committed together (see StorePipeline)
BATCH_BYTES = 4 << 20  # or fewer, so that the responses they hold stay small
BATCH_SECONDS = 1.0  # the longest a check waits for its commit
FAILED_STAT = "citewatch/failed/"  # + CheckFailure.key: the checks that failed, counted


@dataclass(frozen=True)
class Rules:
    """The page judges and noise rules in force for a crawl (from `[judges]` and `[noise]`)."""

    judges: Judges
    noise: Noise

    @classmethod
    def from_settings(cls, settings: Settings) -> "Rules":
        return cls(Judges.from_settings(settings.judges), Noise.from_settings(settings.noise))


def needs_extraction(result: FetchResult) -> bool:
    """A good HTML or PDF response whose bytes differ from the last good one."""
    return result.is_success and (result.is_html or result.is_pdf) and not result.body_unchanged


def extract_text(result: FetchResult) -> Extraction:
    return extract_content(result.is_html, _content(result), result.page_url)


def _content(result: FetchResult) -> str | bytes:
    return result.html if result.html is not None else result.body


class _Step:
    """A step of a check before it is stored. An error in it fails that check alone: the
    check is marked failed, passed over by the steps after, and recorded by the store step."""

    stage = ""

    async def process_item(self, item: FetchResult) -> FetchResult:
        if item.failure is None:
            try:
                await self.process(item)
            except Exception as error:
                logger.exception("the %s step failed for %s", self.stage, item.source.url)
                item.failure = CheckFailure.of(self.stage, error)
        return item

    async def process(self, item: FetchResult) -> None:
        raise NotImplementedError


class ExtractPipeline(_Step):
    """Extracts the text of pages and PDFs whose bytes changed since the last check;
    other types (images, plain text, data) are archived and hashed, not extracted.
    Large crawls extract in a pool of worker processes (see ExtractionPool)."""

    stage = "extract"

    def __init__(self, workers: int):
        self.workers = workers

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ExtractPipeline":
        return cls(crawler.settings.getint("CITEWATCH_EXTRACT_WORKERS"))

    async def process(self, item: FetchResult) -> None:
        if needs_extraction(item):
            if self.workers:
                item.extraction = await ExtractionPool.extract(self.workers, item.is_html, _content(item), item.page_url)
            else:
                item.extraction = extract_text(item)


class RenderPipeline(_Step):
    """Renders in a browser the pages judged to be the article whose text only scripts
    draw (see crawler/render.py), takes their text from what the browser shows when it
    holds more, and judges them again as rendered. Walls, notices and refusals are never
    rendered. Without a browser, the check says so (`no_browser`) and the page's own text
    stands."""

    stage = "render"

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.settings: Settings = crawler.settings["CITEWATCH_SETTINGS"]
        self.judges = Rules.from_settings(self.settings).judges
        self.available = render.browser(self.settings.render) is not None
        self.prober = HostProber(crawler, render.render_request_meta(self.settings.render.timeout)) if self.available else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RenderPipeline":
        return cls(crawler)

    async def process(self, item: FetchResult) -> None:
        if item.verdict is None or item.verdict.outcome != State.OK or item.extraction is None or not item.is_html:
            return
        if not render.wants_rendering(item, self.settings.render):
            return
        if not self.available:
            item.rendering = render.NO_BROWSER
            return
        rendered = await fetch_rendered(self.crawler, item.page_url, self.settings.render.timeout)
        if rendered is None:
            item.rendering = render.RENDER_FAILED
        elif len(rendered.text) > len(item.extraction.text):
            item.extraction, item.rendering = rendered, render.RENDERED
            if item.not_found_page is not None and self.prober is not None:  # compared as drawn, too
                item.not_found_page = await self.prober.not_found_page(item.page_url)
            item.verdict = self.judges.verdict(item)


async def fetch_rendered(crawler: Crawler, url: str, timeout: float) -> Extraction | None:
    """The article as the browser shows it, or None if rendering failed."""
    request = Request(url, dont_filter=True, meta=render.render_request_meta(timeout))
    try:
        response = await crawler.engine.download_async(request)
    except Exception as error:  # a page that never settles, a crashed browser: the page's own text stands
        logger.info("rendering %s failed: %s", url, error)
        return None
    return extract_article(response.text, url) if isinstance(response, TextResponse) else None


class _DatabasePipeline:
    """A pipeline with its own connection, opened in the crawl's thread (SQLite
    connections stay in the thread that made them)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.settings: Settings = crawler.settings["CITEWATCH_SETTINGS"]
        self.rules = Rules.from_settings(self.settings)
        self.db: Database | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "_DatabasePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        self.db = open_database(self.settings.storage.database)

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.close()


class LivenessPipeline(_Step, _DatabasePipeline):
    """Judges each fetch (see crawler/judges.py): the article, or a page standing in for it
    (soft 404, parked, sent home, removed, a wall in front of it), or a refusal.

    A page whose bytes changed is judged against the article as last seen (loaded here,
    and kept on the item for the steps after), and compared with the site's answer to a
    made-up path (see probe.py).
    """

    stage = "judge"

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.prober = HostProber(crawler)
        self.archive = WarcArchive(self.settings.storage.warc_dir, self.settings.storage.warc_file_bytes)

    async def process(self, item: FetchResult) -> None:
        assert self.db is not None
        if item.extraction is not None:
            item.last_seen = latest_snapshot(self.db, item.source.id)
            if item.last_seen is not None:
                item.last_seen_page = cache(partial(_page_as_seen, self.db, self.archive, item.source.id, item.last_seen))
            if item.is_html:
                item.not_found_page = await self.prober.not_found_page(item.page_url)
        item.verdict = self.rules.judges.verdict(item)


class ConfirmPipeline(_Step, _DatabasePipeline):
    """When the text differs from the last snapshot, fetches the page again at once.

    Lines that differ between two fetches made moments apart are noise, not edits; the
    store step learns them (see crawler/noise.py). A failed second fetch leaves the
    first to stand alone.
    """

    stage = "confirm"

    async def process(self, item: FetchResult) -> None:
        assert self.db is not None
        if item.extraction is None or (item.verdict and item.verdict.outcome != State.OK) or item.rendering in render.UNRENDERED:
            return
        previous = item.last_seen
        volatile = volatile_signatures(self.db, item.source.id)
        if previous is None or compare_articles(previous.extraction, item.extraction, volatile, self.rules.noise).change is None:
            return
        if item.rendering == render.RENDERED:  # compared as the browser shows it, or all its lines would seem noise
            item.confirmation = await fetch_rendered(self.crawler, item.page_url, self.settings.render.timeout)
        else:
            try:
                response = await self.crawler.engine.download_async(Request(item.page_url, dont_filter=True))
            except Exception as error:  # any download failure: the first fetch stands alone
                logger.info("confirmation fetch of %s failed: %s", item.page_url, error)
                return
            second = result_from_response(response, item.source, item.fetched_at)
            if needs_extraction(second):
                item.confirmation = extract_text(second)
        self.crawler.stats.inc_value("citewatch/confirmations")


class StorePipeline(_DatabasePipeline):
    """Judges liveness and content change, and stores each check with its consequences.

    Checks are committed in batches: one transaction for up to BATCH_SIZE checks (fewer if
    their bodies reach BATCH_BYTES), or for those of the last BATCH_SECONDS, with a
    savepoint for each. On a revisit, committing
    every check on its own cost more than the rest of storing it. Each check is still
    stored whole or not at all, and a crash loses only the checks not yet committed,
    whose sources are therefore still due. A check that failed in any step is recorded as
    failed (see CheckFailure), counted, and its source stays due.
    """

    def open_spider(self) -> None:
        super().open_spider()
        self.archive = WarcArchive(self.settings.storage.warc_dir, self.settings.storage.warc_file_bytes)
        removed = self.archive.repair_tail(archived_ends(self.db))
        if removed:
            logger.warning("cut %d bytes of a WARC record torn by an earlier crash", removed)
        self.pending: list[CheckOutcome] = []
        self.failed: list[FetchResult] = []
        self.pending_bytes = 0
        self.flusher = task.LoopingCall(self.flush)
        self.flusher.start(BATCH_SECONDS, now=False)

    def close_spider(self) -> None:
        self.flusher.stop()
        self.flush()
        super().close_spider()

    def process_item(self, item: FetchResult) -> FetchResult:
        assert self.db is not None
        if item.failure is None:
            try:
                self.pending.append(assess_fetch(self.db, item, self.settings, self.archive, self.rules))
                self.pending_bytes += len(item.body)
            except Exception as error:  # one source that cannot be judged must not stop the others
                logger.exception("could not judge the check of %s", item.source.url)
                item.failure = CheckFailure.of("assess", error)
        if item.failure is not None:
            self.failed.append(self._counted(item))
        if len(self.pending) + len(self.failed) >= BATCH_SIZE or self.pending_bytes >= BATCH_BYTES:
            self.flush()
        return item

    def flush(self) -> None:
        """Store the pending checks and record the failed ones, in one transaction."""
        assert self.db is not None
        batch, self.pending, self.pending_bytes = self.pending, [], 0
        failed, self.failed = self.failed, []
        stored = []
        try:
            with self.db.atomic():
                for outcome in batch:
                    try:
                        save_check(self.db, outcome)  # a savepoint: this check whole or not at all
                    except Exception as error:
                        logger.exception("could not store the check of %s", outcome.result.source.url)
                        outcome.result.failure = CheckFailure.of("store", error)
                        failed.append(self._counted(outcome.result))
                    else:
                        stored.append(outcome)
                for item in failed:
                    self._record_failure(item)
                end_if_orphaned()  # a shard whose parent died commits nothing
        except Exception as error:  # the commit failed: none of the batch is stored
            logger.exception("could not store %d checks", len(stored))
            for outcome in stored:
                outcome.result.failure = CheckFailure.of("store", error)
                failed.append(self._counted(outcome.result))
            self.failed = failed + self.failed  # recorded by the next flush, if the database allows
            return
        stats = self.crawler.stats
        for outcome in stored:
            stats.inc_value("citewatch/checked")
            stats.inc_value(f"citewatch/state/{outcome.transition.liveness.state}")
            if outcome.change is not None:
                stats.inc_value("citewatch/changed")

    def _counted(self, item: FetchResult) -> FetchResult:
        assert item.failure is not None
        self.crawler.stats.inc_value(f"{FAILED_STAT}{item.failure.key}")
        return item

    def _record_failure(self, item: FetchResult) -> None:
        """In its own savepoint: a failure that cannot be recorded (the database is what
        failed) is still counted and logged."""
        assert self.db is not None
        try:
            record_failure(self.db, item)
        except Exception as error:
            logger.error("could not record the failed check of %s: %s", item.source.url, error)


@dataclass
class ContentComparison:
    """How the fetched article compares with the last snapshot."""

    snapshot: tuple[Extraction, str] | None = None
    change: tuple[Change, StoredSnapshot] | None = None
    learned: set[str] = field(default_factory=set)
    same_article: bool = False
    age: ContentAge = ContentAge()


def compare_content(db: Database, result: FetchResult, noise: Noise) -> ContentComparison:
    if result.extraction is None:  # nothing new to compare: only the age matters
        age = snapshot_age(db, result.source.id)
        stable = ContentAge(from_iso(age[0]), parse_date(age[1])) if age else ContentAge()
        return ContentComparison(same_article=result.body_unchanged, age=stable)
    previous = result.last_seen  # loaded by the liveness pipeline, for every page extracted
    comparison = ContentComparison(same_article=result.body_unchanged, age=_age(previous))
    if previous is not None and result.rendering in render.UNRENDERED:
        return comparison  # the article is drawn by scripts this check could not run: its text was not read
    if result.confirmation is not None:
        comparison.learned = noise.learn_signatures(result.extraction.text, result.confirmation.text)
    if previous is None:  # the first article seen at this source
        comparison.snapshot = (result.extraction, content_hash(result.extraction))
        comparison.age = ContentAge(from_iso(result.fetched_at), parse_date(result.extraction.published))
        return comparison
    volatile = volatile_signatures(db, result.source.id) | comparison.learned
    compared = compare_articles(previous.extraction, result.extraction, volatile, noise,
                                (Shown(result.last_seen_page), Shown(result.html)))
    comparison.same_article = compared.change is None
    if compared.change is not None or compared.new_form:
        # A new form alone (a new template, a newer extractor) is the article as last seen
        # from now on, with no alert and its age unchanged.
        comparison.snapshot = (result.extraction, content_hash(result.extraction))
    if compared.change is not None:
        comparison.age = ContentAge(from_iso(result.fetched_at), parse_date(result.extraction.published))
        comparison.change = (compared.change, previous)
    return comparison


def _page_as_seen(db: Database, archive: WarcArchive, source_id: int, snapshot: StoredSnapshot) -> str | None:
    """The page as archived when the snapshot was taken, if the archive still holds it."""
    location = archived_at(db, source_id, snapshot.taken_at)
    if location is None:
        return None
    try:
        response = archive.read(location)
    except Exception as error:  # a damaged archive: compare the text alone, as without it
        logger.warning("the page of snapshot %d cannot be read back from the archive: %s", snapshot.id, error)
        return None
    return archived_html(response.url, response.headers, response.body)


def _age(snapshot: StoredSnapshot | None) -> ContentAge:
    if snapshot is None:
        return ContentAge()
    return ContentAge(from_iso(snapshot.taken_at), parse_date(snapshot.extraction.published))


def assess_fetch(db: Database, result: FetchResult, settings: Settings, archive: WarcArchive, rules: Rules) -> CheckOutcome:
    """Judge one fetch against what is stored and archive it if its bytes are new: all
    that save_check is to store."""
    at = from_iso(result.fetched_at)
    verdict = result.verdict or rules.judges.verdict(result)
    if verdict.outcome == State.OK and verdict.reason is None and result.rendering in render.UNRENDERED:
        verdict = Verdict(State.OK, result.rendering)  # the check says why the page was read without a browser
    comparison = compare_content(db, result, rules.noise) if verdict.outcome == State.OK else ContentComparison()
    if verdict.outcome == State.OK and comparison.same_article and is_permanent_move(result):
        verdict = Verdict(State.MOVED)  # the same article, at a new address
    result.verdict = verdict
    transition = advance(load_liveness(db, result.source.id), verdict, at, settings.dead)
    # A body unlike the last one archived (a 304 has none) is archived, and synced before the
    # database refers to it: a crash in between leaves an unreferenced record, never a
    # reference to nothing. Bodies compare decoded: a server that gzips on the fly sends
    # new bytes (the gzip header's timestamp) for the same page.
    warc = None
    if result.raw is not None and result.body_hash != result.source.archived_hash:
        warc = archive.append(result.raw, at)
    return CheckOutcome(
        result,
        transition,
        next_check_at(transition.liveness, at, settings, verdict, comparison.age),
        comparison.snapshot,
        comparison.change,
        comparison.learned,
        (warc, result.body_hash) if warc is not None else None,
        wayback_reason(result, comparison, settings) if verdict.is_good else None,
    )


def wayback_reason(result: FetchResult, comparison: ContentComparison, settings: Settings) -> str | None:
    """New sources (their first good answer) and every meaningful change go to the Wayback Machine."""
    if not settings.wayback.enabled:
        return None
    if comparison.change is not None:
        return "changed"
    if result.source.body_hash is None and result.is_success:
        return "first capture"
    return None
