"""The link-rot report's rows: every citation of every incident with where its source
stands, and how the states of all sources moved over time."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from citewatch.model import Change, State, StoredSnapshot
from citewatch.times import utc_now

from .checks import latest_snapshot, snapshot_by_id
from .copies import copy_note, latest_judged, verified_copy
from .database import answered_from


@dataclass(frozen=True)
class IncidentRow:
    slug: str
    title: str | None
    url: str | None
    category: str | None


@dataclass
class IncidentSummary:
    """An incident as the report's index shows it: its citations counted by state."""

    slug: str
    title: str | None
    url: str | None
    category: str | None
    states: Counter[str]  # citations per state of their source
    changed: int  # citations whose source changed at least once

    @property
    def citations(self) -> int:
        return sum(self.states.values())

    @property
    def dead(self) -> int:
        return self.states[State.DEAD]

    @property
    def broken(self) -> int:
        return sum(count for state, count in self.states.items() if State(state).broken)

    @property
    def health(self) -> float:
        return holding_share(self.states)


def holding_share(states: Counter[str]) -> float:
    """The share of citations (counted by state) that still hold (ok or moved); 1 if none."""
    total = sum(states.values())
    return sum(count for state, count in states.items() if State(state).holds) / total if total else 1.0


@dataclass
class CitationRow:
    incident: str
    incident_title: str | None
    incident_url: str | None
    role: str
    title: str | None
    publisher: str | None
    url: str
    source_id: int
    state: State
    reason: str | None
    since: str | None  # when it began to fail, for failing and dead sources
    http_status: int | None
    final_url: str | None
    last_checked: str | None
    last_ok: str | None
    changes: int
    last_changed: str | None
    change_summary: str | None
    change_diff: str | None
    archive_url: str | None  # a verified Wayback copy: the only kind offered as "cite instead"
    copy_note: str | None  # why there is none, when a copy was judged
    has_snapshot: bool
    cited_snapshot_id: int | None  # the version the citation cited, pinned
    cited_version_at: str | None
    drift: Change | None = None  # how the current text differs from the cited version (set by the report)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for internal in ("change_diff", "source_id", "has_snapshot", "cited_snapshot_id", "drift"):
            data.pop(internal)
        data["drift_similarity"] = self.drift.similarity if self.drift else None
        data["drift_summary"] = self.drift.summary if self.drift else None
        return data


def incident_rows(db: Database, incident: str | None = None) -> list[IncidentRow]:
    rows = db.execute(
        "SELECT slug, title, url, category FROM incidents WHERE retired_at IS NULL" + (" AND slug = ?" if incident else "")
        + " ORDER BY slug",
        [incident] if incident else [],
    )
    return [IncidentRow(*row) for row in rows]


def incident_summaries(db: Database, incident: str | None = None) -> list[IncidentSummary]:
    """Every incident (or one) with its citations counted by state, in one grouped query."""
    rows = db.execute(
        "SELECT i.slug, i.title, i.url, i.category, s.state, COUNT(s.id), "
        "COUNT(s.id) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.source_id = s.id AND e.kind = 'changed')) "
        "FROM incidents i LEFT JOIN citations c ON c.incident_slug = i.slug LEFT JOIN sources s ON s.id = c.source_id "
        + "WHERE i.retired_at IS NULL " + ("AND i.slug = ? " if incident else "") + "GROUP BY i.slug, s.state ORDER BY i.slug",
        [incident] if incident else [],
    )
    summaries: dict[str, IncidentSummary] = {}
    for slug, title, url, category, state, count, changed in rows:
        summary = summaries.setdefault(slug, IncidentSummary(slug, title, url, category, Counter(), 0))
        if state is not None:
            summary.states[state] += count
            summary.changed += changed
    return list(summaries.values())


def source_state_counts(db: Database, incident: str | None = None) -> tuple[Counter[str], int]:
    """Distinct cited sources (of one incident, or all) per state, and how many changed."""
    chosen = ("(SELECT DISTINCT source_id AS id FROM citations WHERE incident_slug = ?)" if incident
              else "(SELECT DISTINCT source_id AS id FROM citations)")
    rows = db.execute(
        f"SELECT s.state, COUNT(*), COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.source_id = s.id "
        f"AND e.kind = 'changed')) FROM {chosen} AS chosen JOIN sources s USING (id) GROUP BY s.state",
        [incident] if incident else [],
    )
    states: Counter[str] = Counter()
    changed = 0
    for state, count, with_changes in rows:
        states[state] = count
        changed += with_changes
    return states, changed


def incidents_changed_since(db: Database, at: str) -> set[str]:
    """Incidents whose report page may read differently since `at`: ingested again, or
    citing a source whose state or reason changed, with an event, a new version or a
    Wayback copy judged since (a check that found all as it was changes no page)."""
    rows = db.execute(
        "SELECT slug FROM incidents WHERE ingested_at > :at UNION "
        "SELECT DISTINCT incident_slug FROM citations WHERE source_id IN ("
        "SELECT id FROM sources WHERE standing_since > :at UNION SELECT source_id FROM events WHERE at > :at "
        "UNION SELECT source_id FROM snapshots WHERE taken_at > :at "
        "UNION SELECT source_id FROM archive_copies WHERE judged_at > :at)",
        {"at": at},
    )
    return {row[0] for row in rows}


def citation_rows(db: Database, incident: str | None = None, only: list[str] | None = None) -> list[CitationRow]:
    """The citations of every incident, of one, or of those in `only` (at most 500 of
    them: older SQLite takes no more variables in one statement)."""
    sql = f"""
        SELECT c.incident_slug, i.title, i.url, c.role, c.title, c.publisher, c.cited_url, s.id, s.state, s.reason,
               CASE WHEN s.state IN (?, ?) THEN s.first_failure_at END, s.http_status, {answered_from("s", "s")},
               s.last_checked, s.last_ok,
               (SELECT COUNT(*) FROM events WHERE events.source_id = s.id AND events.kind = 'changed'),
               latest.at, latest.summary, latest.detail,
               {verified_copy("s")}, {latest_judged("s")}, EXISTS (SELECT 1 FROM snapshots WHERE snapshots.source_id = s.id),
               c.cited_snapshot_id, (SELECT taken_at FROM snapshots WHERE id = c.cited_snapshot_id)
        FROM citations c
        JOIN incidents i ON i.slug = c.incident_slug
        JOIN sources s ON s.id = c.source_id
        LEFT JOIN events latest ON latest.id = (SELECT MAX(id) FROM events WHERE events.source_id = s.id AND events.kind = 'changed')
    """
    params: list[str] = [State.FAILING, State.DEAD]
    conditions = []
    if incident:
        conditions.append("c.incident_slug = ?")
        params.append(incident)
    if only is not None:
        conditions.append(f"c.incident_slug IN ({','.join('?' * len(only))})")
        params.extend(only)
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    rows = []
    for row in db.execute(sql + " ORDER BY c.incident_slug, c.id", params):
        detail = json.loads(row[18]) if row[18] else {}
        rows.append(CitationRow(*row[:8], State(row[8]), *row[9:18], detail.get("diff"), row[19], copy_note(row[20]), bool(row[21]),
                                row[22], row[23]))
    return rows


def drifting_versions(db: Database, rows: list[CitationRow]) -> dict[int, tuple[StoredSnapshot, StoredSnapshot]]:
    """Per pinned version that is no longer the source's latest: (cited version, latest)."""
    pairs = {}
    for row in rows:
        if row.cited_snapshot_id is None or row.cited_snapshot_id in pairs:
            continue
        latest = latest_snapshot(db, row.source_id)
        if latest is not None and latest.id != row.cited_snapshot_id:
            cited = snapshot_by_id(db, row.cited_snapshot_id)
            if cited is not None:
                pairs[row.cited_snapshot_id] = (cited, latest)
    return pairs


def state_history(db: Database, days: int, incident: str | None = None) -> list[tuple[str, Counter[str]]]:
    """Sources per state at the end of each of the last `days` days since the first check:
    of every source checked, from the counts kept by day; or of one incident's sources,
    replayed from their checks."""
    if incident is None:
        rows = db.execute("SELECT day, state, sources FROM state_days ORDER BY day").fetchall()
        changes = [(day, {state: count}) for day, state, count in rows]
    else:
        changes = _replayed_states(db, incident)
    if not changes:
        return []
    today = utc_now().date()
    day = date.fromisoformat(changes[0][0])
    start = max(day, today - timedelta(days=days - 1))
    current: dict[str, int] = {}
    history: list[tuple[str, Counter[str]]] = []
    for changed_on, update in changes:
        while date.fromisoformat(changed_on) > day:
            history.append((day.isoformat(), Counter({state: n for state, n in current.items() if n})))
            day += timedelta(days=1)
        current.update(update)
    while day <= today:
        history.append((day.isoformat(), Counter({state: n for state, n in current.items() if n})))
        day += timedelta(days=1)
    return [entry for entry in history if entry[0] >= start.isoformat()]


def _replayed_states(db: Database, incident: str) -> list[tuple[str, dict[str, int]]]:
    """Per check of the incident's sources, in order: its day and the sources per state after it."""
    rows = db.execute(
        "SELECT source_id, checked_at, state FROM checks WHERE state IS NOT NULL "
        "AND source_id IN (SELECT source_id FROM citations WHERE incident_slug = ?) ORDER BY checked_at, id",
        [incident],
    )
    current: dict[int, str] = {}
    changes = []
    for source_id, checked_at, state in rows:
        current[source_id] = state
        states = Counter(current.values())
        changes.append((checked_at[:10], {name: states[name] for name in set(states) | set(State)}))
    return changes
