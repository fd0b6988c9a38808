"""A source's past: its checks, what they led to, and its latest change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from citewatch.model import WarcLocation
from citewatch.urls import normalize_url

from .database import answered_from
from .packing import text_packer


@dataclass(frozen=True)
class HistoryEntry:
    checked_at: str
    outcome: str
    http_status: int | None
    error: str | None
    final_url: str | None
    reason: str | None  # what the page was judged to be, when not the article
    events: list[str]  # "changed: 1 paragraph changed", "dead: ..."
    repeats: int = 1  # checks that found the same, from checked_at to last_checked_at
    last_checked_at: str | None = None


@dataclass(frozen=True)
class ChangeRecord:
    at: str
    summary: str
    diff: str
    similarity: float


def source_id_for(db: Database, url: str) -> int | None:
    row = db.execute("SELECT id FROM sources WHERE url = ?", [normalize_url(url)]).fetchone()
    return row[0] if row else None


def source_history(db: Database, source_id: int) -> list[HistoryEntry]:
    """Every check of the source, oldest first, with the events it raised; a run of checks
    that found the source unchanged is one entry, with how many and until when."""
    events: dict[int, list[str]] = {}
    for check_id, kind, summary in db.execute(
        "SELECT check_id, kind, summary FROM events WHERE source_id = ? ORDER BY id", [source_id]
    ):
        events.setdefault(check_id, []).append(f"{kind}: {summary}" if summary else kind)
    rows = db.execute(
        f"SELECT checks.id, checked_at, outcome, checks.http_status, error, {answered_from('checks', 'sources')}, "
        "checks.reason, repeats, last_checked_at FROM checks JOIN sources ON sources.id = checks.source_id "
        "WHERE source_id = ? ORDER BY checked_at, checks.id",
        [source_id],
    )
    return [HistoryEntry(*row[1:7], events.get(row[0], []), *row[7:]) for row in rows]


def latest_change(db: Database, source_id: int) -> ChangeRecord | None:
    row = db.execute(
        "SELECT at, summary, detail FROM events WHERE source_id = ? AND kind = 'changed' ORDER BY id DESC LIMIT 1",
        [source_id],
    ).fetchone()
    if row is None:
        return None
    detail: dict[str, Any] = json.loads(row[2])
    return ChangeRecord(row[0], row[1], detail["diff"], detail["similarity"])


@dataclass(frozen=True)
class SnapshotRecord:
    taken_at: str
    title: str | None
    text: str


def snapshot_at(db: Database, source_id: int, at: str | None = None) -> SnapshotRecord | None:
    """The extracted version current at `at` (ISO time), or the latest."""
    row = db.execute(
        "SELECT taken_at, title, text FROM snapshots WHERE source_id = ? AND taken_at <= ? "
        "ORDER BY taken_at DESC, id DESC LIMIT 1",
        [source_id, at or "9999"],
    ).fetchone()
    return SnapshotRecord(row[0], row[1], text_packer(db).unpack(row[2])) if row else None


def archived_at(db: Database, source_id: int, at: str | None = None) -> WarcLocation | None:
    """Where the response current at `at` (or the latest) sits in the WARC archive."""
    row = db.execute(
        "SELECT warc_file, warc_offset, warc_length FROM checks WHERE source_id = ? AND warc_file IS NOT NULL "
        "AND checked_at <= ? ORDER BY checked_at DESC, id DESC LIMIT 1",
        [source_id, at or "9999"],
    ).fetchone()
    return WarcLocation(*row) if row else None


def warc_locations(db: Database, incident: str | None = None) -> list[WarcLocation]:
    """Every archived record pair, oldest first, of all sources or one incident's."""
    sql = "SELECT warc_file, warc_offset, warc_length FROM checks WHERE warc_file IS NOT NULL"
    params: list[Any] = []
    if incident is not None:
        sql += " AND source_id IN (SELECT source_id FROM citations WHERE incident_slug = ?)"
        params.append(incident)
    return [WarcLocation(*row) for row in db.execute(sql + " ORDER BY checked_at, id", params)]
