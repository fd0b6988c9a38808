"""The persistent queue of Save Page Now submissions, and refreshing archive links.

The crawl only adds to the queue (in the transaction that stores the check), so the
Wayback Machine never slows a crawl. Running the queue submits due items at most
`wayback.per_minute` a minute, never the same URL twice within `wayback.min_interval`.
A 429 or 5xx pauses the whole queue with a growing backoff; an item that fails is retried
later with its own backoff. Nothing is ever dropped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlite_utils import Database

from citewatch.config import WaybackSettings
from citewatch.model import State
from citewatch.times import from_iso, to_iso, utc_now

from .database import cited
from .wayback import SaveFailed, WaybackBusy, WaybackClient

logger = logging.getLogger(__name__)

PAUSE_BACKOFF = (timedelta(minutes=1), timedelta(hours=1))  # first pause, longest pause
ITEM_BACKOFF = (timedelta(minutes=5), timedelta(days=1))


@dataclass
class QueueRun:
    submitted: int = 0
    failed: int = 0
    deferred: int = 0
    paused_until: str | None = None
    pending: int = 0
    judged: int = 0  # Wayback copies fetched back and judged after the queue ran


def enqueue(db: Database, source_id: int, url: str, reason: str, at: str) -> None:
    """Add a submission unless one for this source is already waiting."""
    waiting = db.execute(
        "SELECT 1 FROM wayback_queue WHERE source_id = ? AND status = 'pending'", [source_id]
    ).fetchone()
    if not waiting:
        db["wayback_queue"].insert(
            {"source_id": source_id, "url": url, "reason": reason, "enqueued_at": at, "status": "pending",
             "attempts": 0, "next_attempt_at": at}
        )


def run_queue(
    db: Database,
    settings: WaybackSettings,
    client: WaybackClient,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], object] = time.sleep,
    max_seconds: float = 300,
    keep_going: Callable[[], bool] = lambda: True,
) -> QueueRun:
    """Submit due items, paced, until none is due, the queue pauses, time runs out or
    `keep_going` says to stop (the daemon is shutting down)."""
    run = QueueRun()
    started = clock()
    spacing = timedelta(seconds=60 / settings.submissions_per_minute())
    while keep_going():
        now = clock()
        state = _state(db)
        if state["paused_until"] and from_iso(state["paused_until"]) > now:
            run.paused_until = state["paused_until"]
            break
        item = _next_due(db, now)
        if item is None:
            break
        last_saved = _last_saved(db, item["url"])
        if last_saved and now - from_iso(last_saved) < timedelta(seconds=settings.min_interval):
            retry = from_iso(last_saved) + timedelta(seconds=settings.min_interval)
            db["wayback_queue"].update(item["id"], {"next_attempt_at": to_iso(retry)})
            run.deferred += 1
            continue
        if state["last_request_at"]:
            wait = (from_iso(state["last_request_at"]) + spacing - now).total_seconds()
            if wait > 0:
                if (now - started).total_seconds() + wait > max_seconds:
                    break
                sleep(wait)
                now = clock()
                if not keep_going():
                    break
        if not _submit(db, client, item, now, run, within=max_seconds - (now - started).total_seconds()):
            break
    run.pending = db.execute("SELECT COUNT(*) FROM wayback_queue WHERE status = 'pending'").fetchone()[0]
    return run


def _submit(db: Database, client: WaybackClient, item: dict, now: datetime, run: QueueRun, within: float) -> bool:
    """Submit one item (its job polled for at most `within` seconds) and record the
    outcome; False when the queue must pause."""
    db["wayback_state"].update(1, {"last_request_at": to_iso(now)})
    try:
        archive_url = client.save(item["url"], within=within)
    except WaybackBusy as error:
        streak = _state(db)["busy_streak"] + 1
        pause = min(PAUSE_BACKOFF[0] * 2 ** (streak - 1), PAUSE_BACKOFF[1])
        run.paused_until = to_iso(now + pause)
        db["wayback_state"].update(1, {"busy_streak": streak, "paused_until": run.paused_until})
        logger.warning("Wayback Machine busy (%s): queue paused until %s", error, run.paused_until)
        return False
    except SaveFailed as error:
        attempts = item["attempts"] + 1
        retry = now + min(ITEM_BACKOFF[0] * 2 ** (attempts - 1), ITEM_BACKOFF[1])
        db["wayback_queue"].update(
            item["id"], {"attempts": attempts, "next_attempt_at": to_iso(retry), "last_error": str(error)[:500]}
        )
        run.failed += 1
        logger.info("Wayback save failed, retrying at %s: %s", to_iso(retry), error)
        return True
    with db.atomic():
        db["wayback_queue"].update(
            item["id"],
            {"status": "done", "submitted_at": to_iso(now), "archive_url": archive_url, "attempts": item["attempts"] + 1},
        )
        db["wayback_state"].update(1, {"busy_streak": 0, "paused_until": None})
        db.execute(
            "UPDATE sources SET archive_url = ? WHERE id = ? AND state IN (?, ?)",
            [archive_url, item["source_id"], State.OK, State.MOVED],
        )
    run.submitted += 1
    return True


def refresh_archive_links(db: Database, client: WaybackClient) -> tuple[int, int]:
    """Find each cited source's best Wayback copy: the latest capture that answered 200,
    taken before the source began to fail. Returns (looked up, found)."""
    rows = db.execute(f"SELECT id, cited_url, state, first_failure_at FROM sources WHERE {cited()} ORDER BY id").fetchall()
    found = 0
    for source_id, url, state, first_failure_at in rows:
        before = None
        if State(state).broken and first_failure_at:
            before = from_iso(first_failure_at).strftime("%Y%m%d%H%M%S")
        try:
            capture = client.newest_capture(url, before)
        except WaybackBusy as error:
            logger.warning("Wayback Machine busy, archive links not refreshed further: %s", error)
            break
        except SaveFailed as error:
            logger.info("no archive lookup for %s: %s", url, error)
            continue
        if capture is not None:
            db["sources"].update(source_id, {"archive_url": capture.archive_url})
            found += 1
    return len(rows), found


def _state(db: Database) -> dict:
    return db["wayback_state"].get(1)


def _next_due(db: Database, now: datetime) -> dict | None:
    rows = db.query(
        "SELECT * FROM wayback_queue WHERE status = 'pending' AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at, id LIMIT 1",
        [to_iso(now)],
    )
    return next(iter(rows), None)


def _last_saved(db: Database, url: str) -> str | None:
    row = db.execute("SELECT MAX(submitted_at) FROM wayback_queue WHERE url = ? AND status = 'done'", [url]).fetchone()
    return row[0]
