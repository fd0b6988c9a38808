"""What a change-alert digest says: events not yet alerted, by incident, then by source."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Protocol

from sqlite_utils import Database

from citewatch.storage.outbox import ALERT_KINDS, IncidentNotice, pending_notices


class Audience(Protocol):
    """Whom a part of the digest is for: an email route, a chat channel's categories."""

    def matches(self, category: str | None, tags: list[str]) -> bool: ...


@dataclass(frozen=True)
class Digest:
    incidents: tuple[IncidentNotice, ...]
    event_ids: tuple[int, ...] = field(default=())  # every event this digest settles

    def counts(self) -> Counter[str]:
        """How many distinct sources had each kind of event."""
        kinds: dict[str, set[str]] = {}
        for incident in self.incidents:
            for source in incident.sources:
                for event in source.events:
                    kinds.setdefault(event.kind, set()).add(source.url)
        return Counter({kind: len(urls) for kind, urls in kinds.items()})

    def subject(self) -> str:
        """"[citewatch] 3 sources changed, 1 dead across 2 incidents"."""
        counts = self.counts()
        parts = [f"{counts[kind]} {kind}" for kind in ALERT_KINDS if counts[kind]]
        if parts:
            number, kind = parts[0].split(" ", 1)
            parts[0] = f"{number} source{'s' if number != '1' else ''} {kind}"
        incidents = len(self.incidents)
        return f"[citewatch] {', '.join(parts)} across {incidents} incident{'s' if incidents != 1 else ''}"

    def only(self, audience: Audience) -> "Digest":
        """The part of the digest about the incidents an audience follows."""
        return replace(self, incidents=tuple(i for i in self.incidents if audience.matches(i.category, list(i.tags))))


def pending_digest(db: Database) -> Digest:
    """Every alertable event not yet in a digest."""
    incidents, event_ids = pending_notices(db)
    return Digest(tuple(incidents), tuple(event_ids))
