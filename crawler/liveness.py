"""Is a source alive? Judging one fetch, and the state it moves the source to.

States: new (never checked), ok, failing (failed, not yet confirmed), dead (confirmed),
blocked (the site refuses us, so we cannot tell), moved (permanently redirected to the
same article). A source is confirmed dead only after `dead.failures` consecutive failed
checks spanning at least `dead.min_days` days; any success resets the count, and a
blocked or rate-limited answer neither counts nor resets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from citewatch.config import DeadSettings

from . import detectors
from .items import FetchResult, Verdict

STATES = ("new", "ok", "failing", "dead", "blocked", "moved")

BLOCKED_STATUSES = {401: "auth_required", 403: "forbidden", 407: "auth_required", 451: "legal_block"}
PERMANENT_REDIRECTS = (301, 308)


@dataclass(frozen=True)
class Liveness:
    """A source's liveness as stored between checks."""

    state: str = "new"
    reason: str | None = None
    failure_count: int = 0
    first_failure_at: datetime | None = None


@dataclass(frozen=True)
class Transition:
    liveness: Liveness
    event: str | None = None  # dead | revived | blocked | moved, only when the state changes


def judge(result: FetchResult) -> Verdict:
    """The verdict of one fetch, from its status, headers, redirects and content."""
    if result.error is not None:
        return Verdict("failure", result.error)
    status = result.http_status or 0
    if status == 429 or (status == 503 and result.retry_after):
        return Verdict("blocked", "rate_limited", retry_after_seconds(result.retry_after, result.fetched_at))
    page = result.html or (result.body.decode("utf-8", "replace") if status >= 400 else "")
    if page and detectors.is_challenge(page):
        return Verdict("blocked", "bot_challenge")
    if status in BLOCKED_STATUSES:
        return Verdict("blocked", BLOCKED_STATUSES[status])
    if status >= 500:
        return Verdict("failure", "http_5xx")
    if status == 304 or (200 <= status < 300 and result.body_unchanged):
        return Verdict("ok")  # the very bytes judged good last time (only a good answer's hash is kept)
    if not 200 <= status < 300:
        return Verdict("failure", f"http_{status}")
    return _judge_content(result, page)


def _judge_content(result: FetchResult, page: str) -> Verdict:
    """A 2xx answer: the article, or a page standing in for a dead one?"""
    if not result.body:
        return Verdict("failure", "empty")
    if result.redirects and detectors.is_home_redirect(result.source.url, result.final_url):
        return Verdict("failure", "redirect_to_home")
    if page and detectors.is_parked(page):
        return Verdict("failure", "parked")
    extraction = result.extraction
    if extraction is not None and result.is_html:
        if detectors.says_not_found(extraction):
            return Verdict("failure", "soft_404")
        if result.not_found_page is not None and detectors.looks_alike(extraction, result.not_found_page):
            return Verdict("failure", "soft_404")
    return Verdict("ok")


def retry_after_seconds(value: str | None, fetched_at: str) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - datetime.fromisoformat(fetched_at)).total_seconds(), 0.0)


def is_permanent_move(result: FetchResult) -> bool:
    """The cited URL answers with a permanent redirect to another address."""
    return bool(result.redirects) and result.redirects[0]["status"] in PERMANENT_REDIRECTS


def advance(previous: Liveness, verdict: Verdict, at: datetime, dead: DeadSettings) -> Transition:
    """The source's liveness after a check at `at` that gave `verdict`."""
    if verdict.outcome in ("ok", "moved"):
        event = {"dead": "revived"}.get(previous.state)
        if verdict.outcome == "moved" and previous.state != "moved":
            event = "moved"
        return Transition(Liveness(verdict.outcome), event)
    if verdict.outcome == "blocked":
        event = "blocked" if previous.state != "blocked" and verdict.reason != "rate_limited" else None
        return Transition(replace(previous, state="blocked", reason=verdict.reason), event)
    count = previous.failure_count + 1
    first = previous.first_failure_at if previous.failure_count and previous.first_failure_at else at
    if previous.state == "dead" or (count >= dead.failures and at - first >= timedelta(days=dead.min_days)):
        event = "dead" if previous.state != "dead" else None
        return Transition(Liveness("dead", verdict.reason, count, first), event)
    if count == 1 and verdict.reason == "http_5xx" and previous.state in ("ok", "moved"):
        # One server error is usually a hiccup: the source stays as it was until the next
        # check says otherwise, but the failure counts if it persists.
        return Transition(Liveness(previous.state, verdict.reason, count, first))
    return Transition(Liveness("failing", verdict.reason, count, first))
