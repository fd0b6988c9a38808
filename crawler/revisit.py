"""When a source is checked next."""

from __future__ import annotations

from datetime import datetime, timedelta

from citewatch.config import DeadSettings

from .liveness import Liveness

HEALTHY_INTERVAL = timedelta(days=1)
BLOCKED_INTERVAL = timedelta(days=1)
DEAD_INTERVAL = timedelta(days=7)
MIN_FAILING_INTERVAL = timedelta(hours=1)


def next_check_at(liveness: Liveness, at: datetime, dead: DeadSettings) -> datetime:
    """A failing source is rechecked on the rhythm that lets `dead.failures` checks span
    `dead.min_days`; a dead one weekly, to notice a revival; others daily."""
    if liveness.state == "failing":
        spacing = timedelta(days=dead.min_days) / max(dead.failures - 1, 1)
        return at + max(spacing, MIN_FAILING_INTERVAL)
    if liveness.state == "dead":
        return at + DEAD_INTERVAL
    if liveness.state == "blocked":
        return at + BLOCKED_INTERVAL
    return at + HEALTHY_INTERVAL
