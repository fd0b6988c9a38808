"""When a source is checked next.

- a rate-limited source: after the delay the site asked for;
- a failing one: on the rhythm that lets `dead.failures` checks span `dead.min_days`;
- a dead one: weekly, to notice a revival;
- a blocked one: daily at first, then less and less often the longer the site keeps
  refusing (a third of the time it has been blocked), up to weekly: a site that refuses
  us is not asked every day for months;
- a healthy one: daily while the article is fresh (published in the last
  `schedule.fresh_days`) or just changed, then less and less often the longer its text
  stays the same (a third of the time it has been unchanged), up to `schedule.max_interval`.

Every interval varies by up to `schedule.jitter`, so that a large import does not fall due
all in the same minute; waits that a rule requires (Retry-After, the dead rhythm) only grow.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from citewatch.config import Settings
from citewatch.model import Liveness, State, Verdict

DEAD_INTERVAL = timedelta(days=7)
BLOCKED_INTERVAL = timedelta(days=1)
LONGEST_BLOCKED_INTERVAL = timedelta(days=7)
MIN_FAILING_INTERVAL = timedelta(hours=1)
RATE_LIMITED_INTERVAL = timedelta(hours=1)  # a 429 that names no delay
RETRY_AFTER_BOUNDS = (timedelta(minutes=1), timedelta(days=2))


@dataclass(frozen=True)
class ContentAge:
    """What the revisit rhythm of a healthy source depends on."""

    stable_since: datetime | None = None  # when its text last changed, or was first seen
    published: datetime | None = None  # the article's own publication date, if known


def next_check_at(
    liveness: Liveness,
    at: datetime,
    settings: Settings,
    verdict: Verdict | None = None,
    age: ContentAge = ContentAge(),
    rng: Callable[[], float] = random.random,
) -> datetime:
    interval, required = _interval(liveness, at, settings, verdict, age)
    spread = settings.schedule.jitter * (rng() if required else 2 * rng() - 1)
    return at + interval * (1 + spread)


def _interval(
    liveness: Liveness, at: datetime, settings: Settings, verdict: Verdict | None, age: ContentAge
) -> tuple[timedelta, bool]:
    """The interval, and whether it is a minimum that jitter may only lengthen."""
    if verdict is not None and verdict.reason == "rate_limited":
        if verdict.retry_after is None:
            return RATE_LIMITED_INTERVAL, True
        low, high = RETRY_AFTER_BOUNDS
        return min(max(timedelta(seconds=verdict.retry_after), low), high), True
    if liveness.state == State.FAILING or (liveness.state.holds and liveness.failure_count):
        dead = settings.dead
        return max(timedelta(days=dead.min_days) / max(dead.failures - 1, 1), MIN_FAILING_INTERVAL), True
    if liveness.state.holds and liveness.interstitials:
        return BLOCKED_INTERVAL, False  # behind a wall now and then: soon again, to see if it persists
    if liveness.state == State.DEAD:
        return DEAD_INTERVAL, False
    if liveness.state == State.BLOCKED:
        blocked_for = at - liveness.since if liveness.since is not None else timedelta(0)
        return min(max(blocked_for / 3, BLOCKED_INTERVAL), LONGEST_BLOCKED_INTERVAL), False
    return _healthy_interval(at, settings, age), False


def _healthy_interval(at: datetime, settings: Settings, age: ContentAge) -> timedelta:
    schedule = settings.schedule
    low, high = timedelta(seconds=schedule.min_interval), timedelta(seconds=schedule.max_interval)
    if age.published is not None and at - age.published <= timedelta(days=schedule.fresh_days):
        return low
    if age.stable_since is None:
        return low
    return min(max((at - age.stable_since) / 3, low), high)
