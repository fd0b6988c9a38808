"""The records that cross packages: what a check fetches, finds, judges and stores.

Every package may import this module and it imports none of them, so the crawler, storage,
reports and the facade speak one vocabulary without importing each other. Nothing here
loads Scrapy: storage, reports and the command line use these records without the crawler
(and a big crawl's child processes start while it loads).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class State(StrEnum):
    """Where a source stands between checks. Values are the words stored and shown."""

    NEW = "new"  # never checked
    OK = "ok"  # the article answers
    FAILING = "failing"  # failed, not yet confirmed dead
    DEAD = "dead"  # confirmed: dead.failures failed checks spanning dead.min_days
    BLOCKED = "blocked"  # the site refuses us, so nothing can be told
    MOVED = "moved"  # permanently redirected to the same article

    @property
    def holds(self) -> bool:
        """A citation in this state still leads to the article."""
        return self in (State.OK, State.MOVED)

    @property
    def broken(self) -> bool:
        return self in (State.FAILING, State.DEAD)


# Why a source failed or is blocked, in the words a maintainer reads.
REASONS = {
    "http_404": "the page is not found",
    "http_410": "the page is gone",
    "http_5xx": "the server fails",
    "soft_404": "the site's \"not found\" page instead of the article",
    "removed": "a notice that the article was removed",
    "removed_by_platform": "the platform says the post, video or account is gone or private",
    "redirect_to_home": "sent to the site's home page",
    "redirect_to_listing": "sent to search results or a listing of other articles",
    "parked": "the domain shows a parking or for-sale page",
    "empty": "an empty answer",
    "dns": "the domain does not resolve",
    "refused": "the server refuses connections",
    "timeout": "the server does not answer in time",
    "tls": "a broken secure connection",
    "too_large": "the answer is too large",
    "redirect_loop": "redirects in a loop",
    "connection": "the connection fails",
    "forbidden_address": "a private or local address, never fetched",
    "forbidden": "the site refuses us",
    "auth_required": "the site asks for a login",
    "legal_block": "unavailable for legal reasons",
    "geo_blocked": "not available in the region citewatch checks from",
    "rate_limited": "the site asks us to slow down",
    "bot_challenge": "a bot check or CAPTCHA in front of the article",
    "consent": "a cookie-consent wall in front of the article",
    "paywall": "a paywall in front of the article",
    "login_required": "a sign-in wall in front of the article",
    "no_browser": "the page needs a browser to show its text, and none is installed (apt-get install chromium)",
    "render_failed": "the page needs a browser to show its text, and rendering it failed",
}


def reason_words(reason: str | None) -> str:
    """A reason in plain words, with its code: "a paywall in front of the article (paywall)"."""
    if reason is None:
        return ""
    words = REASONS.get(reason) or (f"the server answers {reason[5:]}" if reason.startswith("http_") else None)
    return f"{words} ({reason})" if words else reason


_COPY_VERDICT_WORDS = {
    "mismatch": "holds other text than the version citewatch archived",
    "unusable": "is not the article",
    "unchecked": "could not be checked",
}


def copy_words(verdict: str, captured_at: str | None, reason: str | None) -> str | None:
    """Why a judged Wayback copy is not offered, in words; None for a verified one."""
    if verdict == "verified":
        return None
    words = f"the Wayback copy of {(captured_at or '')[:10]} {_COPY_VERDICT_WORDS.get(verdict, verdict)}"
    return f"{words} ({reason})" if reason else words


@dataclass(frozen=True)
class RawExchange:
    """A request and its response as they went over the wire."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes  # as received: still compressed if the server compressed it


@dataclass(frozen=True)
class WarcLocation:
    file: str  # name inside the archive folder
    offset: int  # of the request record; the response record follows it
    length: int  # of both records
    sha256: str | None = None  # hex SHA-256 of both records' bytes as written, when known


@dataclass(frozen=True)
class SourceToCheck:
    """What the spider needs to know about a source to fetch it."""

    id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    archived_hash: str | None = None  # body_hash of the version last written to the WARC archive


@dataclass
class Extraction:
    """Article text and metadata extracted from a page."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    headlines: dict[str, str] = field(default_factory=dict)  # {"title", "og:title", "h1"}: as on the page


@dataclass(frozen=True)
class StoredSnapshot:
    id: int
    taken_at: str
    text_hash: str
    extraction: Extraction


@dataclass(frozen=True)
class Verdict:
    """What one fetch says about a source: ok, failure (counts towards dead), blocked
    (the site refuses us, nothing can be told), interstitial (a consent, paywall, sign-in
    or bot-check page stands in front of the article: blocked only when it persists) or
    moved (same article, new address)."""

    outcome: str
    reason: str | None = None
    retry_after: float | None = None  # seconds the site asked us to wait

    @property
    def is_good(self) -> bool:
        """The article answered (at its address or a new one)."""
        return self.outcome in (State.OK, State.MOVED)


@dataclass(frozen=True)
class CopyVerdict:
    """What a Wayback copy is worth, fetched back and judged against the local version:
    verified (it holds the text citewatch archived: safe to cite instead), mismatch (it
    holds other text), unusable (a not-found page, a bot check, a consent wall, a parked
    domain... was captured), or unchecked (no local version to hold it against)."""

    verdict: str
    reason: str | None = None
    similarity: float | None = None  # 0..1, as for a Change: 1.0 when verified
    snapshot_id: int | None = None  # the local version it was held against


@dataclass(frozen=True)
class CheckFailure:
    """A check that failed inside citewatch (a bug, or a page no step could handle), not
    at the source: recorded with the step it failed in, and its source stays due."""

    stage: str  # fetch, extract, judge, confirm, assess, store
    error_class: str  # the exception's class name
    detail: str

    @classmethod
    def of(cls, stage: str, error: BaseException) -> "CheckFailure":
        return cls(stage, type(error).__name__, str(error)[:500])

    @property
    def key(self) -> str:
        """How failures are counted in a run's summary."""
        return f"{self.stage}: {self.error_class}"


@dataclass
class FetchResult:
    """One fetch of a source, whatever its outcome, as it moves through the pipelines."""

    source: SourceToCheck
    fetched_at: str
    http_status: int | None = None
    final_url: str | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float | None = None
    body: bytes = b""  # as Scrapy returns it: content encoding undone, charset untouched
    html: str | None = None  # the page decoded with its own charset, if the response is HTML
    body_hash: str | None = None
    error: str | None = None
    error_detail: str | None = None
    retry_after: str | None = None  # the Retry-After header, as sent
    raw: RawExchange | None = None  # the exchange as it went over the wire, if it had a body: for the WARC archive
    extraction: Extraction | None = None
    not_found_page: Extraction | None = None  # the site's 200 answer to a made-up path, if any
    verdict: Verdict | None = None  # set by the liveness pipeline
    confirmation: Extraction | None = None  # a second fetch made at once, when the text changed
    last_seen: StoredSnapshot | None = None  # the article as last seen, loaded when the bytes changed
    last_seen_page: Callable[[], str | None] | None = None  # its page, read back from the archive when first asked
    failure: CheckFailure | None = None  # a step failed: the steps after it pass the check on to be recorded
    rendering: str | None = None  # "rendered" in a browser, or why a page that needed one was not

    @property
    def page_url(self) -> str:
        """Where the page was found: the URL after redirects, or the cited one."""
        return self.final_url or self.source.url

    @property
    def not_modified(self) -> bool:
        return self.http_status == 304

    @property
    def body_unchanged(self) -> bool:
        return self.body_hash is not None and self.body_hash == self.source.body_hash

    @property
    def is_pdf(self) -> bool:
        return (self.content_type or "").lower().startswith("application/pdf") or self.body[:5] == b"%PDF-"

    @property
    def is_success(self) -> bool:
        return self.error is None and 200 <= (self.http_status or 0) < 300

    @property
    def is_html(self) -> bool:
        return self.html is not None


@dataclass(frozen=True)
class Change:
    """How the cited article changed between two snapshots."""

    summary: str  # "2 paragraphs changed, 1 added; title changed"
    diff: str  # unified diff of the title and the article text
    similarity: float  # 0..1, share of paragraphs unchanged
    title_changed: bool


@dataclass(frozen=True)
class Liveness:
    """A source's liveness as stored between checks."""

    state: State = State.NEW
    reason: str | None = None
    failure_count: int = 0
    first_failure_at: datetime | None = None
    interstitials: int = 0  # consecutive checks that met a page standing in front of the article
    since: datetime | None = field(default=None, compare=False)  # in this state, for this reason, since

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", State(self.state))  # a stored word becomes a State


@dataclass(frozen=True)
class Transition:
    liveness: Liveness
    previous: Liveness  # as the source stood before the check
    event: str | None = None  # dead | revived | blocked | moved, only when the state changes


@dataclass
class CheckOutcome:
    """Everything one fetch led to, stored together, whole or not at all."""

    result: FetchResult
    transition: Transition
    next_check_at: datetime
    snapshot: tuple[Extraction, str] | None = None  # a new snapshot and its content hash
    change: tuple[Change, StoredSnapshot] | None = None  # the change and the snapshot before it
    learned: set[str] = field(default_factory=set)  # noise signatures learned
    warc: tuple[WarcLocation, str] | None = None  # where the exchange was archived, and its hash
    wayback_reason: str | None = None  # why to ask the Wayback Machine for a capture, if at all


@dataclass
class CheckSummary:
    """What one crawl did."""

    checked: int = 0
    changed: int = 0
    states: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # checks that failed, by CheckFailure.key
    lost: int = 0  # sources of a crawl process that failed before reporting: still due

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @classmethod
    def added_up(cls, summaries: list["CheckSummary"]) -> "CheckSummary":
        """The summary of a crawl split in shards."""
        states: Counter[str] = Counter()
        failures: Counter[str] = Counter()
        for summary in summaries:
            states.update(summary.states)
            failures.update(summary.failures)
        return cls(
            checked=sum(summary.checked for summary in summaries),
            changed=sum(summary.changed for summary in summaries),
            states=dict(states),
            failures=dict(failures),
            lost=sum(summary.lost for summary in summaries),
        )


@dataclass(frozen=True)
class Problem:
    """Something `citewatch doctor` found that stops citewatch doing its work, and what to do."""

    subject: str  # what was checked: "SMTP server 127.0.0.1:25", "data directory ./data"
    detail: str  # what is wrong
    fix: str  # what to do about it

    def __str__(self) -> str:
        return f"{self.subject}: {self.detail}. {self.fix}"
