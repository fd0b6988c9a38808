"""Time: the one clock, the stored form of a moment, and dates read from pages or people.

Moments are stored as ISO 8601 in UTC with seconds, so they sort as text.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def to_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def parse_date(value: str | None) -> datetime | None:
    """A date read from a page ("2025-12-19", or a full timestamp), in UTC; None if unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def end_of(value: str) -> str:
    """A date or time given by a person (ISO 8601, UTC unless stated) as a stored moment;
    a date alone means the end of that day. Raises ValueError."""
    moment = datetime.fromisoformat(value)
    if len(value) <= 10:
        moment = moment.replace(hour=23, minute=59, second=59)
    return to_iso(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
