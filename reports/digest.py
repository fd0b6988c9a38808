"""What a change-alert digest says: events not yet alerted, by incident, then by source."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from sqlite_utils import Database

from citewatch.storage.outbox import ALERT_KINDS, EventNotice, IncidentNotice, SourceNotice, pending_notices

# What each event asks of a maintainer, most pressing first: (what, one, many).
_NEEDS = (
    ("dead without copy", "dead source without an archived copy", "dead sources without an archived copy"),
    ("dead with copy", "dead source with an archived copy to cite", "dead sources with an archived copy to cite"),
    ("headline", "changed headline", "changed headlines"),
    ("edit", "edit", "edits"),
    ("moved", "moved source", "moved sources"),
    ("blocked", "blocked source", "blocked sources"),
    ("revived", "source back online", "sources back online"),
)


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

    def summary(self) -> str:
        """What needs doing, most pressing first: "2 dead sources without an archived copy,
        1 changed headline, 3 edits". An event reported under two incidents counts once."""
        return needs(self.incidents)

    def only(self, audience: Audience) -> "Digest":
        """The part of the digest about the incidents an audience follows."""
        return replace(self, incidents=tuple(i for i in self.incidents if audience.matches(i.category, list(i.tags))))


def needs(incidents: Iterable[IncidentNotice]) -> str:
    """What the events of these incidents ask of a maintainer, counted."""
    events = {event.id: _need(source, event) for incident in incidents for source in incident.sources for event in source.events}
    counts = Counter(events.values())
    return ", ".join(f"{counts[what]} {one if counts[what] == 1 else many}" for what, one, many in _NEEDS if counts[what])


def _need(source: SourceNotice, event: EventNotice) -> str:
    if event.kind == "dead":
        return "dead with copy" if source.archive_url else "dead without copy"
    if event.kind == "changed":
        return "headline" if event.detail.get("title_changed") else "edit"
    return event.kind


def pending_digest(db: Database) -> Digest:
    """Every alertable event not yet in a digest."""
    incidents, event_ids = pending_notices(db)
    return Digest(tuple(incidents), tuple(event_ids))
