"""When a source is checked next."""

from __future__ import annotations

from datetime import datetime, timedelta

from citewatch.config import DeadSettings

from .fetch import Verdict
from .liveness import Liveness

HEALTHY_INTERVAL = timedelta(days=1)
BLOCKED_INTERVAL = timedelta(days=1)
DEAD_INTERVAL = timedelta(days=7)
MIN_FAILING_INTERVAL = timedelta(hours=1)
RATE_LIMITED_INTERVAL = timedelta(hours=1)  # a 429 that names no delay
RETRY_AFTER_BOUNDS = (timedelta(minutes=1), timedelta(days=2))


def next_check_at(liveness: Liveness, at: datetime, dead: DeadSettings, verdict: Verdict | None = None) -> datetime:
    """A rate-limited source is rechecked after the delay the site asked for; a failing one
    on the rhythm that lets `dead.failures` checks span `dead.min_days`; a dead one weekly,
    to notice a revival; others daily."""
    if verdict is not None and verdict.reason == "rate_limited":
        if verdict.retry_after is None:
            return at + RATE_LIMITED_INTERVAL
        low, high = RETRY_AFTER_BOUNDS
        return at + min(max(timedelta(seconds=verdict.retry_after), low), high)
    if liveness.state == "failing" or (liveness.state in ("ok", "moved") and liveness.failure_count):
        spacing = timedelta(days=dead.min_days) / max(dead.failures - 1, 1)
        return at + max(spacing, MIN_FAILING_INTERVAL)
    if liveness.state == "dead":
        return at + DEAD_INTERVAL
    if liveness.state == "blocked":
        return at + BLOCKED_INTERVAL
    return at + HEALTHY_INTERVAL
