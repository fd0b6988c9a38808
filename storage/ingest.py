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


def ingest_records(
    db: Database, read: ReadResult, now: datetime | None = None, on_record: Callable[[], None] | None = None
) -> IngestReport:
    """Store records as they are read, each whole or not at all; `on_record` after each."""
    report = IngestReport(problems=read.problems)
    ingested_at = to_iso(now or utc_now())
    records = iter(read)
    while _store_batch(db, records, ingested_at, report, on_record):
        pass
    report.files = read.files
    return report


def _store_batch(db: Database, records: Iterator[IncidentRecord], ingested_at: str, report: IngestReport,
                 on_record: Callable[[], None] | None) -> bool:
    """Store records in one transaction for up to BATCH_SECONDS; whether any are left."""
    deadline = time.monotonic() + BATCH_SECONDS
    with db.atomic():
        for record in records:
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
