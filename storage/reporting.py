"""The link-rot report's rows: every citation of every incident with where its source
stands, and how the states of all sources moved over time."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from citewatch.model import Change, State, StoredSnapshot
from citewatch.times import utc_now

from .checks import latest_snapshot, snapshot_by_id
from .copies import copy_note, latest_judged, verified_copy


@dataclass(frozen=True)
class IncidentRow:
    slug: str
    title: str | None
    url: str | None
    category: str | None


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
        "SELECT slug, title, url, category FROM incidents" + (" WHERE slug = ?" if incident else "") + " ORDER BY slug",
        [incident] if incident else [],
    )
    return [IncidentRow(*row) for row in rows]


def citation_rows(db: Database, incident: str | None = None) -> list[CitationRow]:
    sql = f"""
        SELECT c.incident_slug, i.title, i.url, c.role, c.title, c.publisher, c.cited_url, s.id, s.state, s.reason,
               CASE WHEN s.state IN (?, ?) THEN s.first_failure_at END, s.http_status, s.final_url,
               s.last_checked, s.last_ok, COALESCE(changed.count, 0), changed.last_at, latest.summary, latest.detail,
               {verified_copy("s")}, {latest_judged("s")}, EXISTS (SELECT 1 FROM snapshots WHERE snapshots.source_id = s.id),
               c.cited_snapshot_id, (SELECT taken_at FROM snapshots WHERE id = c.cited_snapshot_id)
        FROM citations c
        JOIN incidents i ON i.slug = c.incident_slug
        JOIN sources s ON s.id = c.source_id
        LEFT JOIN source_changes AS changed ON changed.source_id = s.id
        LEFT JOIN events latest ON latest.id = changed.last_event_id
    """
    params: list[str] = [State.FAILING, State.DEAD]
    if incident:
        sql += " WHERE c.incident_slug = ?"
        params.append(incident)
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


def state_history(db: Database, source_ids: set[int], days: int) -> list[tuple[str, Counter[str]]]:
    """Sources per state at the end of each of the last `days` days with checks."""
    first = db.execute("SELECT MIN(checked_at) FROM checks WHERE state IS NOT NULL").fetchone()[0]
    if first is None:
        return []
    today = utc_now().date()
    start = max(datetime.fromisoformat(first).date(), today - timedelta(days=days - 1))
    current: dict[int, str] = {}
    history: list[tuple[str, Counter[str]]] = []
    day = start
    rows = db.execute("SELECT source_id, checked_at, state FROM checks WHERE state IS NOT NULL ORDER BY checked_at, id")
    for source_id, checked_at, state in rows:
        checked = datetime.fromisoformat(checked_at).date()
        while checked > day:
            history.append(_states_on(day, current, source_ids))
            day += timedelta(days=1)
        current[source_id] = state
    while day <= today:
        history.append(_states_on(day, current, source_ids))
        day += timedelta(days=1)
    return [entry for entry in history if entry[0] >= start.isoformat()]


def _states_on(day: date, current: dict[int, str], source_ids: set[int]) -> tuple[str, Counter[str]]:
    return day.isoformat(), Counter(state for source_id, state in current.items() if source_id in source_ids)
