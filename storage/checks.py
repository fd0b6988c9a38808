"""Reading what a check needs, and writing what it found: each check whole or not at all."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from citewatch.model import (
    CheckOutcome,
    Extraction,
    FetchResult,
    Liveness,
    SourceToCheck,
    State,
    StoredSnapshot,
    Transition,
    WarcLocation,
    reason_words,
)
from citewatch.times import from_iso, to_iso
from citewatch.urls import without_credentials

from .database import QUIET_OUTCOMES, cited, count_state_change
from .evidence import record_version
from .packing import text_packer
from .wayback_queue import enqueue


def sources_to_check(
    db: Database, now: datetime, *, everything: bool = False, urls: list[str] | None = None
) -> list[SourceToCheck]:
    """Cited sources that are due at `now` (all of them with `everything`, or those in `urls`)."""
    sql = f"SELECT id, cited_url, etag, last_modified, body_hash, archived_hash FROM sources WHERE {cited()}"
    params: list[Any] = []
    if urls is not None:
        sql += f" AND url IN ({','.join('?' * len(urls))})"
        params.extend(urls)
    elif not everything:
        sql += " AND (next_check_at IS NULL OR next_check_at <= ?)"
        params.append(to_iso(now))
    sql += " ORDER BY next_check_at, id"
    return [SourceToCheck(*row) for row in db.execute(sql, params).fetchall()]


def archived_ends(db: Database) -> dict[str, int]:
    """Where the last record the database refers to ends, in each WARC file."""
    rows = db.execute("SELECT warc_file, MAX(warc_offset + warc_length) FROM checks WHERE warc_file IS NOT NULL GROUP BY warc_file")
    return {name: end for name, end in rows}


def load_liveness(db: Database, source_id: int) -> Liveness:
    state, reason, count, first, interstitials, since = db.execute(
        "SELECT state, reason, failure_count, first_failure_at, interstitials, standing_since FROM sources WHERE id = ?",
        [source_id],
    ).fetchone()
    return Liveness(State(state), reason, count, from_iso(first) if first else None, interstitials,
                    from_iso(since) if since else None)


def snapshot_age(db: Database, source_id: int) -> tuple[str, str | None] | None:
    """When the latest snapshot was taken and the article's publication date, without its text."""
    return db.execute(
        "SELECT taken_at, published FROM snapshots WHERE source_id = ? ORDER BY taken_at DESC, id DESC LIMIT 1",
        [source_id],
    ).fetchone()


SNAPSHOT_COLUMNS = "id, taken_at, text_hash, text, title, author, published, headlines"


def latest_snapshot(db: Database, source_id: int) -> StoredSnapshot | None:
    return stored_snapshot(db, db.execute(
        f"SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE source_id = ? ORDER BY taken_at DESC, id DESC LIMIT 1",
        [source_id],
    ).fetchone())


def snapshot_by_id(db: Database, snapshot_id: int) -> StoredSnapshot | None:
    return stored_snapshot(db, db.execute(f"SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ?", [snapshot_id]).fetchone())


def stored_snapshot(db: Database, row: tuple | None) -> StoredSnapshot | None:
    """A snapshot row, selected as SNAPSHOT_COLUMNS, as the record the crawler compares."""
    if row is None:
        return None
    return StoredSnapshot(row[0], row[1], row[2], Extraction(text_packer(db).unpack(row[3]), *row[4:7], json.loads(row[7] or "{}")))


def volatile_signatures(db: Database, source_id: int) -> set[str]:
    rows = db.execute("SELECT signature FROM volatile_signatures WHERE source_id = ?", [source_id])
    return {row[0] for row in rows}


def save_check(db: Database, outcome: CheckOutcome) -> int:
    """Store one fetch and all it led to, all or nothing. Returns the check id."""
    result, transition = outcome.result, outcome.transition
    source_id = result.source.id
    with db.atomic():
        was, now = transition.previous, transition.liveness
        if was.state != now.state:
            count_state_change(db, None if was.state == State.NEW else was.state, now.state, result.fetched_at)
        location = outcome.warc[0] if outcome.warc else None
        row = _check_row(result, location) | {"state": transition.liveness.state}
        if _quiet(outcome):
            check_id = _extend_run(db, row) or _insert(db, "checks", row | {"last_checked_at": result.fetched_at})
        else:
            check_id = _insert(db, "checks", row)
        if outcome.learned:
            db["volatile_signatures"].insert_all(
                ({"source_id": source_id, "signature": s, "learned_at": result.fetched_at} for s in outcome.learned),
                ignore=True,
            )
        snapshot_id = None
        if outcome.snapshot is not None:
            extraction, text_hash = outcome.snapshot
            snapshot_id = (
                db["snapshots"]
                .insert(
                    {
                        "source_id": source_id,
                        "check_id": check_id,
                        "taken_at": result.fetched_at,
                        "title": extraction.title,
                        "author": extraction.author,
                        "published": extraction.published,
                        "text": text_packer(db).pack(extraction.text),
                        "text_hash": text_hash,
                        "headlines": json.dumps(extraction.headlines),
                    }
                )
                .last_pk
            )
        if transition.event is not None:
            _add_event(db, source_id, check_id, transition.event, result.fetched_at, _liveness_summary(transition), {
                "reason": transition.liveness.reason,
                "http_status": result.http_status,
                "since": to_iso(transition.liveness.first_failure_at) if transition.liveness.first_failure_at else None,
                "final_url": result.final_url,
            })
        if outcome.change is not None:
            described, before = outcome.change
            _add_event(db, source_id, check_id, "changed", result.fetched_at, described.summary, {
                "diff": described.diff,
                "similarity": described.similarity,
                "title_changed": described.title_changed,
                "snapshot_before": before.id,
                "snapshot_after": snapshot_id,
            })
        if outcome.wayback_reason is not None:
            enqueue(db, source_id, result.source.url, outcome.wayback_reason, result.fetched_at)
        if location is not None and location.sha256 is not None:
            record_version(db, check_id, source_id, location.sha256, result.fetched_at)
        if result.verdict is not None and result.verdict.is_good:
            _pin_cited_versions(db, source_id, result.fetched_at)
        update = _source_update(result, transition.liveness, outcome.next_check_at)
        if (was.state, was.reason) != (now.state, now.reason):
            update["standing_since"] = result.fetched_at
        if outcome.warc is not None:
            update["archived_hash"] = outcome.warc[1]
        assignments = ", ".join(f"{column} = ?" for column in update)
        db.execute(f"UPDATE sources SET {assignments} WHERE id = ?", [*update.values(), source_id])
    return check_id


_RUN_COLUMNS = ("outcome", "http_status", "state", "reason", "final_url")  # what the checks of one run share


def _quiet(outcome: CheckOutcome) -> bool:
    """A check that found the source as it was: nothing archived, learned, queued or
    changed, no event. Such checks are kept as runs (see migration m019)."""
    return (check_outcome(outcome.result) in QUIET_OUTCOMES and outcome.warc is None and outcome.snapshot is None
            and outcome.change is None and outcome.transition.event is None and not outcome.learned
            and outcome.wayback_reason is None)


def _extend_run(db: Database, row: dict[str, Any]) -> int | None:
    """Add a quiet check to the run its source's latest check row holds, when that row is
    a run of checks that found the same; the run's row id, or None."""
    latest = db.execute(
        f"SELECT id, last_checked_at, {', '.join(_RUN_COLUMNS)} FROM checks WHERE source_id = ? "
        "ORDER BY checked_at DESC, id DESC LIMIT 1", [row["source_id"]],
    ).fetchone()
    if latest is None or latest[1] is None or tuple(latest[2:]) != tuple(row[column] for column in _RUN_COLUMNS):
        return None
    db.execute("UPDATE checks SET last_checked_at = ?, repeats = repeats + 1 WHERE id = ?", [row["checked_at"], latest[0]])
    return latest[0]


def _pin_cited_versions(db: Database, source_id: int, checked_at: str) -> None:
    """Citations of the source that appeared before this good check and cite no version
    yet cite the version it found: the source's current snapshot."""
    db.execute(
        "UPDATE citations SET cited_snapshot_id = (SELECT id FROM snapshots WHERE source_id = ? "
        "ORDER BY taken_at DESC, id DESC LIMIT 1) "
        "WHERE source_id = ? AND cited_snapshot_id IS NULL AND (cited_at IS NULL OR cited_at <= ?) "
        "AND EXISTS (SELECT 1 FROM snapshots WHERE source_id = ?)",
        [source_id, source_id, checked_at, source_id],
    )


def record_failure(db: Database, result: FetchResult) -> None:
    """Record a check that failed before it could be stored (its source stays due)."""
    assert result.failure is not None
    failure = result.failure
    with db.atomic():
        _insert(db, "check_failures", {"source_id": result.source.id, "failed_at": result.fetched_at,
                                       "stage": failure.stage, "error_class": failure.error_class,
                                       "detail": failure.detail})


def _insert(db: Database, table: str, row: dict[str, Any]) -> int:
    """A plain INSERT: on the path of every check, sqlite-utils' table introspection costs
    more than the write itself. Column names are ours, never from input."""
    columns = ", ".join(row)
    cursor = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    return cursor.lastrowid


def _check_row(result: FetchResult, warc: WarcLocation | None) -> dict[str, Any]:
    return {
        "warc_file": warc.file if warc else None,
        "warc_offset": warc.offset if warc else None,
        "warc_length": warc.length if warc else None,
        "source_id": result.source.id,
        "checked_at": result.fetched_at,
        "outcome": check_outcome(result),
        "http_status": result.http_status,
        "final_url": _redirected_to(result),
        "redirects": json.dumps(result.redirects) if result.redirects else None,
        "error": result.error,
        "reason": result.verdict.reason if result.verdict is not None else None,
        "error_detail": result.error_detail,
        "content_type": result.content_type,
        "elapsed": result.elapsed,
        "bytes": len(result.body) if result.error is None else None,
        "body_hash": result.body_hash if result.error is None else None,
    }


def _redirected_to(result: FetchResult) -> str | None:
    """The address the answer came from, kept only when it is not the one fetched (read
    back with database.answered_from)."""
    final = without_credentials(result.final_url) if result.final_url else None  # a redirect may carry some
    return final if final != result.source.url else None


def check_outcome(result: FetchResult) -> str:
    """One word for what a fetch gave: error, not_modified, unchanged, http_error, non_html, fetched."""
    if result.error is not None:
        return "error"
    if result.not_modified:
        return "not_modified"
    if not 200 <= (result.http_status or 0) < 300:
        return "http_error"
    if result.body_unchanged:
        return "unchanged"
    return "fetched" if result.is_html else "non_html"


def _source_update(result: FetchResult, liveness: Liveness, next_check_at: datetime) -> dict[str, Any]:
    update = {
        "state": liveness.state,
        "reason": liveness.reason,
        "failure_count": liveness.failure_count,
        "first_failure_at": to_iso(liveness.first_failure_at) if liveness.first_failure_at else None,
        "interstitials": liveness.interstitials,
        "last_checked": result.fetched_at,
        "next_check_at": to_iso(next_check_at),
        "http_status": result.http_status,
        "final_url": _redirected_to(result),
    }
    good_answer = result.verdict is not None and result.verdict.is_good
    if good_answer:  # not the state: a single 5xx leaves it "ok" without being a good answer
        update["last_ok"] = result.fetched_at
    if good_answer and result.is_success:
        # Validators and the body hash describe the last good response only, so an error,
        # challenge or soft-404 page never stands in for the article on the next check.
        update.update(etag=result.etag, last_modified=result.last_modified, body_hash=result.body_hash)
    return update


def _liveness_summary(transition: Transition) -> str:
    liveness = transition.liveness
    return {
        "dead": f"dead: {reason_words(liveness.reason)}, after {liveness.failure_count} failed checks",
        "revived": "reachable again",
        "blocked": f"blocked: {reason_words(liveness.reason)}",
        "moved": "moved permanently to the same article at a new address",
    }.get(transition.event or "", transition.event or "")


def _add_event(
    db: Database, source_id: int, check_id: int, kind: str, at: str, summary: str, detail: dict[str, Any]
) -> None:
    db["events"].insert(
        {
            "source_id": source_id,
            "check_id": check_id,
            "kind": kind,
            "at": at,
            "summary": summary,
            "detail": json.dumps(detail),
        }
    )
