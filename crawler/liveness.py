"""Is a source alive? Judging one fetch, and the state it moves the source to.

States: new (never checked), ok, failing (failed, not yet confirmed), dead (confirmed),
blocked (the site refuses us, so we cannot tell), moved (permanently redirected to the
same article). A source is confirmed dead only after `dead.failures` consecutive failed
checks spanning at least `dead.min_days` days; any success resets the count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from citewatch.config import DeadSettings

from .fetch import FetchResult

STATES = ("new", "ok", "failing", "dead", "blocked", "moved")

BLOCKED_STATUSES = {401: "auth_required", 403: "forbidden", 407: "auth_required", 451: "legal_block", 429: "rate_limited"}


@dataclass(frozen=True)
class Verdict:
    """What one fetch says about a source."""

    outcome: Literal["ok", "failure", "blocked"]
    reason: str | None = None


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
    event: str | None = None  # dead | revived | blocked, only when the state changes


def judge(result: FetchResult) -> Verdict:
    if result.error is not None:
        return Verdict("failure", result.error)
    status = result.http_status or 0
    if 200 <= status < 300 or status == 304:
        return Verdict("ok")
    if status in BLOCKED_STATUSES:
        return Verdict("blocked", BLOCKED_STATUSES[status])
    if status >= 500:
        return Verdict("failure", "http_5xx")
    return Verdict("failure", f"http_{status}")


def advance(previous: Liveness, verdict: Verdict, at: datetime, dead: DeadSettings) -> Transition:
    """The source's liveness after a check at `at` that gave `verdict`."""
    if verdict.outcome == "ok":
        event = "revived" if previous.state == "dead" else None
        return Transition(Liveness("ok"), event)
    if verdict.outcome == "blocked":
        event = "blocked" if previous.state != "blocked" else None
        return Transition(replace(previous, state="blocked", reason=verdict.reason), event)
    count = previous.failure_count + 1 if previous.state in ("failing", "dead") else 1
    first = previous.first_failure_at if count > 1 and previous.first_failure_at else at
    confirmed = count >= dead.failures and at - first >= timedelta(days=dead.min_days)
    if previous.state == "dead" or confirmed:
        event = "dead" if previous.state != "dead" else None
        return Transition(Liveness("dead", verdict.reason, count, first), event)
    return Transition(Liveness("failing", verdict.reason, count, first))
