"""Is a source alive? The state one fetch's verdict (see judges.py) moves a source to.

States (model.State): new (never checked), ok, failing (failed, not yet confirmed), dead
(confirmed), blocked (the site refuses us, so we cannot tell), moved (permanently
redirected to the same article). A source is confirmed dead only after `dead.failures` consecutive failed
checks spanning at least `dead.min_days` days; any success resets the count, and a
blocked or rate-limited answer neither counts nor resets.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from citewatch.config import DeadSettings
from citewatch.model import FetchResult, Liveness, State, Transition, Verdict
from citewatch.times import from_iso

LONGEST_WAIT = 30 * 86400.0  # a Retry-After beyond a month is taken as a month
INTERSTITIALS_PERSIST = 3  # consecutive checks behind an interstitial before a healthy source is blocked

BLOCKED_STATUSES = {401: "auth_required", 403: "forbidden", 407: "auth_required", 451: "legal_block"}
PERMANENT_REDIRECTS = (301, 308)


def retry_after_seconds(value: str | None, fetched_at: str) -> float | None:
    """Retry-After as seconds, at most LONGEST_WAIT: a number of seconds, or an HTTP date
    (a date without a zone, or with "-0000", is in UTC). None when it says neither."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        digits = text.lstrip("0") or "0"
        return LONGEST_WAIT if len(digits) > 9 else min(float(digits), LONGEST_WAIT)
    try:
        moment = parsedate_to_datetime(text)
        wait = (moment.replace(tzinfo=moment.tzinfo or timezone.utc) - from_iso(fetched_at)).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(wait, 0.0), LONGEST_WAIT)


def is_permanent_move(result: FetchResult) -> bool:
    """The cited URL answers with a permanent redirect to another address."""
    return bool(result.redirects) and result.redirects[0]["status"] in PERMANENT_REDIRECTS


def advance(previous: Liveness, verdict: Verdict, at: datetime, dead: DeadSettings) -> Transition:
    """The source's liveness after a check at `at` that gave `verdict`."""
    transition = _advanced(previous, verdict, at, dead)
    now = transition.liveness
    since = previous.since if (now.state, now.reason) == (previous.state, previous.reason) else at
    return replace(transition, liveness=replace(now, since=since))


def _advanced(previous: Liveness, verdict: Verdict, at: datetime, dead: DeadSettings) -> Transition:
    if verdict.is_good:
        state = State(verdict.outcome)
        event = "revived" if previous.state == State.DEAD else None
        if state == State.MOVED and previous.state != State.MOVED:
            event = "moved"
        return Transition(Liveness(state), previous, event)
    if verdict.outcome == "interstitial":
        seen = previous.interstitials + 1
        if previous.state.holds and seen < INTERSTITIALS_PERSIST:
            # A consent page or a metered paywall on some fetches: the article is still
            # there for readers, so the source stays as it was, and nobody is told.
            return Transition(replace(previous, interstitials=seen), previous)
        event = "blocked" if previous.state != State.BLOCKED else None
        return Transition(replace(previous, state=State.BLOCKED, reason=verdict.reason, interstitials=seen), previous, event)
    if verdict.outcome == "blocked":
        event = "blocked" if previous.state != State.BLOCKED and verdict.reason != "rate_limited" else None
        return Transition(replace(previous, state=State.BLOCKED, reason=verdict.reason, interstitials=0), previous, event)
    count = previous.failure_count + 1
    first = previous.first_failure_at if previous.failure_count and previous.first_failure_at else at
    if previous.state == State.DEAD or (count >= dead.failures and at - first >= timedelta(days=dead.min_days)):
        event = "dead" if previous.state != State.DEAD else None
        return Transition(Liveness(State.DEAD, verdict.reason, count, first), previous, event)
    if count == 1 and verdict.reason == "http_5xx" and previous.state.holds:
        # One server error is usually a hiccup: the source stays as it was until the next
        # check says otherwise, but the failure counts if it persists.
        return Transition(Liveness(previous.state, verdict.reason, count, first), previous)
    return Transition(Liveness(State.FAILING, verdict.reason, count, first), previous)
