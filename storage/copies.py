"""Wayback copies judged: which captures wait to be fetched back, the local version each is
held against, and the verdicts. Emails and reports offer a copy as "cite instead" only
when it is verified (`verified_copy`); otherwise they say why (`copy_note`)."""

from __future__ import annotations

import json

from sqlite_utils import Database

from citewatch.model import CopyVerdict, StoredSnapshot, copy_words

from .checks import SNAPSHOT_COLUMNS, stored_snapshot
from .database import cited


def copies_to_judge(db: Database) -> list[tuple[int, str, str]]:
    """(source id, cited URL, capture) of each cited source whose latest capture is not judged yet."""
    return db.execute(
        f"SELECT id, cited_url, archive_url FROM sources WHERE archive_url IS NOT NULL AND {cited()} "
        "AND NOT EXISTS (SELECT 1 FROM archive_copies c WHERE c.source_id = sources.id AND c.archive_url = sources.archive_url) "
        "ORDER BY id"
    ).fetchall()


def local_version(db: Database, source_id: int, at: str) -> StoredSnapshot | None:
    """The version citewatch archived that was current at `at`, or its first one if `at` is older."""
    return stored_snapshot(db, db.execute(
        f"SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE source_id = ? "
        "ORDER BY taken_at <= ? DESC, CASE WHEN taken_at <= ? THEN taken_at END DESC, taken_at, id LIMIT 1",
        [source_id, at, at],
    ).fetchone())


def save_verdict(db: Database, source_id: int, archive_url: str, captured_at: str, verdict: CopyVerdict, at: str) -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO archive_copies (source_id, archive_url, captured_at, judged_at, verdict, reason, similarity, "
            "snapshot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, archive_url) DO UPDATE SET "
            "judged_at = excluded.judged_at, verdict = excluded.verdict, reason = excluded.reason, "
            "similarity = excluded.similarity, snapshot_id = excluded.snapshot_id",
            [source_id, archive_url, captured_at, at, verdict.verdict, verdict.reason, verdict.similarity,
             verdict.snapshot_id],
        )


def verified_copy(source: str = "s") -> str:
    """SQL: the newest verified Wayback copy of the source row `source`, or NULL."""
    return (f"(SELECT archive_url FROM archive_copies WHERE archive_copies.source_id = {source}.id "
            "AND verdict = 'verified' ORDER BY captured_at DESC, id DESC LIMIT 1)")


def latest_judged(source: str = "s") -> str:
    """SQL: the latest judged copy of the source row `source` as a JSON object, or NULL;
    `copy_note` reads it."""
    return (
        "(SELECT json_object('captured_at', captured_at, 'verdict', verdict, 'reason', reason) FROM archive_copies "
        f"WHERE archive_copies.source_id = {source}.id ORDER BY judged_at DESC, id DESC LIMIT 1)"
    )


def copy_note(judged: str | None) -> str | None:
    """Why a source has no verified copy to offer, from `latest_judged`'s JSON: None when
    no copy was judged, or the latest is verified."""
    if judged is None:
        return None
    copy = json.loads(judged)
    return copy_words(copy["verdict"], copy["captured_at"], copy["reason"])
