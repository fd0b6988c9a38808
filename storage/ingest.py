"""Writing incident records into the database.

Each record is written whole or not at all (a savepoint): the incident, any new sources,
and its citations replaced by the ones it now has. Records are committed together, a
second's worth at a time: a transaction for each record cost more than its writes (half
of a million-source ingest), and a crash loses only records that the next ingest of the
same export writes again. Re-ingesting the same record changes nothing;
a record that drops a URL drops that citation (the source and its history stay). A
citation keeps the time it first appeared: the version it cites is the first good one
found after that (storage/checks.py pins it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlite_utils import Database

from citewatch.model import State
from citewatch.times import to_iso, utc_now

from .records import IncidentRecord, Problem, ReadResult

BATCH_SECONDS = 1.0  # the longest another writer waits for an ingest to commit


@dataclass
class IngestReport:
    files: int = 0
    incidents: int = 0
    citations: int = 0
    new_sources: int = 0
    problems: list[Problem] = field(default_factory=list)
    retired: int = 0  # incidents a complete export no longer has
    revived: int = 0  # retired incidents an export brought back
    not_retired: str | None = None  # why a complete export retired nothing
    not_modified: list[str] = field(default_factory=list)  # exports at URLs unchanged since their last pull


def ingest_records(
    db: Database, read: ReadResult, now: datetime | None = None, on_record: Callable[[], None] | None = None,
    complete: bool = False, retire_limit: float = 0.2,
) -> IngestReport:
    """Store records as they are read, each whole or not at all; `on_record` after each.
    With `complete` (the export is the tracker's every incident), retire the incidents it
    does not have, unless records may have been lost to bad input or more than
    `retire_limit` of the incidents would go."""
    report = IngestReport(problems=read.problems)
    ingested_at = to_iso(now or utc_now())
    records = iter(read)
    retired = {row[0] for row in db.execute("SELECT slug FROM incidents WHERE retired_at IS NOT NULL")}
    while _store_batch(db, records, ingested_at, report, on_record, retired):
        pass
    report.files = read.files
    if complete:
        if read.whole:
            report.retired, report.not_retired = retire_absent(db, read.slugs, retire_limit, ingested_at)
        else:
            report.not_retired = "some records could not be read (listed above), so the export may not be complete"
    return report


def retire_absent(db: Database, present: set[str], limit: float, at: str) -> tuple[int, str | None]:
    """Retire the active incidents not in `present`: their citations move out of every
    check, status and report (their history and archives stay). None are retired when
    they would be more than `limit` of the active incidents; the reason is returned."""
    active = [row[0] for row in db.execute("SELECT slug FROM incidents WHERE retired_at IS NULL")]
    absent = [slug for slug in active if slug not in present]
    if len(absent) > limit * len(active):
        return 0, (f"the export lacks {len(absent)} of {len(active)} incidents, more than ingest.retire_limit "
                   f"({limit:.0%}) allows at once: is it complete? Nothing was retired")
    columns = _citation_columns(db)
    for start in range(0, len(absent), 500):
        batch = absent[start:start + 500]
        marks = ",".join("?" * len(batch))
        with db.atomic():
            db.execute(f"INSERT INTO retired_citations ({columns}) SELECT {columns} FROM citations "
                       f"WHERE incident_slug IN ({marks})", batch)
            db.execute(f"DELETE FROM citations WHERE incident_slug IN ({marks})", batch)
            db.execute(f"UPDATE incidents SET retired_at = ? WHERE slug IN ({marks})", [at, *batch])
    return len(absent), None


def _revive(db: Database, slug: str) -> None:
    """Bring a retired incident's citations back (with the times they were first cited, and
    the versions they cite), before its record is stored again."""
    columns = _citation_columns(db)
    db.execute(f"INSERT INTO citations ({columns}) SELECT {columns} FROM retired_citations WHERE incident_slug = ?", [slug])
    db.execute("DELETE FROM retired_citations WHERE incident_slug = ?", [slug])
    db.execute("UPDATE incidents SET retired_at = NULL WHERE slug = ?", [slug])


def _citation_columns(db: Database) -> str:
    """The columns citations and retired_citations share (a migration adds a column to both)."""
    return ", ".join(column.name for column in db["retired_citations"].columns)


def _store_batch(db: Database, records: Iterator[IncidentRecord], ingested_at: str, report: IngestReport,
                 on_record: Callable[[], None] | None, retired: set[str]) -> bool:
    """Store records in one transaction for up to BATCH_SECONDS, reviving the `retired`
    incidents they bring back; whether any are left."""
    deadline = time.monotonic() + BATCH_SECONDS
    with db.atomic():
        for record in records:
            if record.slug in retired:
                _revive(db, record.slug)
                retired.discard(record.slug)
                report.revived += 1
            report.new_sources += store_record(db, record, ingested_at)
            report.incidents += 1
            report.citations += len(record.citations)
            if on_record is not None:
                on_record()
            if time.monotonic() >= deadline:
                return True
    return False


def store_record(db: Database, record: IncidentRecord, ingested_at: str) -> int:
    """Store one record atomically (a savepoint inside a batch); return how many sources it added."""
    with db.atomic():
        db.execute(
            """
            INSERT INTO incidents (slug, title, url, category, tags, site, exported_at, source_file, ingested_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(slug) DO UPDATE SET
                title = excluded.title, url = excluded.url, category = excluded.category,
                tags = excluded.tags, site = excluded.site, exported_at = excluded.exported_at,
                source_file = excluded.source_file, ingested_at = excluded.ingested_at
            """,
            [
                record.slug,
                record.title,
                record.url,
                record.category,
                json.dumps(list(record.tags)),
                record.site,
                record.exported_at,
                record.location,
                ingested_at,
            ],
        )
        new_sources = 0
        kept_ids = []
        for citation in record.citations:
            source_id, created = _source_id(db, citation.url, citation.cited_url, ingested_at)
            new_sources += created
            cursor = db.execute(
                """
                INSERT INTO citations (incident_slug, source_id, role, cited_url, title, publisher, cited_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(incident_slug, source_id, role) DO UPDATE SET
                    cited_url = excluded.cited_url, title = excluded.title, publisher = excluded.publisher
                RETURNING id
                """,
                [record.slug, source_id, citation.role, citation.cited_url, citation.title, citation.publisher,
                 ingested_at],
            )
            kept_ids.append(cursor.fetchone()[0])
        placeholders = ",".join("?" * len(kept_ids))
        db.execute(
            f"DELETE FROM citations WHERE incident_slug = ? AND id NOT IN ({placeholders})",
            [record.slug, *kept_ids],
        )
    return new_sources


def _source_id(db: Database, url: str, cited_url: str, created_at: str) -> tuple[int, bool]:
    row = db.execute("SELECT id FROM sources WHERE url = ?", [url]).fetchone()
    if row:
        return row[0], False
    cursor = db.execute(
        "INSERT INTO sources (url, cited_url, created_at, state, failure_count, next_check_at) "
        "VALUES (?, ?, ?, ?, 0, ?)",
        [url, cited_url, created_at, State.NEW, created_at],
    )
    return cursor.lastrowid, True


def feed_validators(db: Database, url: str) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified of the feed's last pull whose records were stored."""
    row = db.execute("SELECT etag, last_modified FROM feeds WHERE url = ?", [url]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def record_pull(db: Database, url: str, etag: str | None, last_modified: str | None, at: datetime) -> None:
    """Remember a feed's validators once its records are stored (a crash before leaves the
    next pull to read them again)."""
    with db.atomic():
        db.execute("INSERT INTO feeds (url, etag, last_modified, pulled_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                   "pulled_at = excluded.pulled_at", [url, etag, last_modified, to_iso(at)])
