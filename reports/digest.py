"""What a change-alert digest says: events not yet alerted, by incident, then by source."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from sqlite_utils import Database

from citewatch.config import EmailRoute

ALERT_KINDS = ("changed", "dead", "revived", "moved", "blocked")  # in the order a subject names them


@dataclass(frozen=True)
class EventNotice:
    id: int
    kind: str
    at: str
    summary: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class SourceNotice:
    url: str
    title: str | None
    publisher: str | None
    roles: tuple[str, ...]
    state: str
    reason: str | None
    archive_url: str | None
    final_url: str | None
    last_ok: str | None
    events: tuple[EventNotice, ...]


@dataclass(frozen=True)
class IncidentNotice:
    slug: str
    title: str | None
    url: str | None
    category: str | None
    tags: tuple[str, ...]
    sources: tuple[SourceNotice, ...]


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

    def only(self, route: EmailRoute) -> "Digest":
        """The part of the digest about the incidents a route covers."""
        return replace(self, incidents=tuple(i for i in self.incidents if route.matches(i.category, list(i.tags))))


def pending_digest(db: Database) -> Digest:
    """Every alertable event not yet in a digest."""
    placeholders = ",".join("?" * len(ALERT_KINDS))
    events = db.execute(
        f"SELECT id, source_id, kind, at, summary, detail FROM events "
        f"WHERE alert_batch IS NULL AND kind IN ({placeholders}) ORDER BY at, id",
        list(ALERT_KINDS),
    ).fetchall()
    by_source: dict[int, list[EventNotice]] = {}
    for event_id, source_id, kind, at, summary, detail in events:
        by_source.setdefault(source_id, []).append(EventNotice(event_id, kind, at, summary or kind, json.loads(detail or "{}")))
    incidents = [_incident(db, slug, by_source) for slug in _incidents_citing(db, list(by_source))]
    return Digest(tuple(incidents), tuple(event_id for event_id, *_ in events))


def _incidents_citing(db: Database, source_ids: list[int]) -> list[str]:
    if not source_ids:
        return []
    rows = db.execute(
        f"SELECT DISTINCT incident_slug FROM citations WHERE source_id IN ({','.join('?' * len(source_ids))}) "
        "ORDER BY incident_slug",
        source_ids,
    )
    return [row[0] for row in rows]


def _incident(db: Database, slug: str, by_source: dict[int, list[EventNotice]]) -> IncidentNotice:
    incident = db["incidents"].get(slug)
    rows = db.execute(
        "SELECT s.id, c.cited_url, c.title, c.publisher, c.role, s.state, s.reason, s.archive_url, s.final_url, s.last_ok "
        "FROM citations c JOIN sources s ON s.id = c.source_id WHERE c.incident_slug = ? ORDER BY c.id",
        [slug],
    ).fetchall()
    sources: dict[int, SourceNotice] = {}
    for source_id, url, title, publisher, role, state, reason, archive_url, final_url, last_ok in rows:
        if source_id not in by_source:
            continue
        if source_id in sources:  # cited twice (a source and a legal analysis): one entry, both roles
            sources[source_id] = replace(sources[source_id], roles=sources[source_id].roles + (role,))
            continue
        sources[source_id] = SourceNotice(
            url, title, publisher, (role,), state, reason, archive_url, final_url, last_ok, tuple(by_source[source_id])
        )
    return IncidentNotice(
        slug, incident["title"], incident["url"], incident["category"], tuple(json.loads(incident["tags"] or "[]")),
        tuple(sources.values()),
    )
