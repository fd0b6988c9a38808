"""Events waiting to be alerted, and the outbox that delivers each notifier's messages once.

An outbox row is one message for one notifier's channel: `prepared` until delivered,
`sending` from the moment the receiving server holds it until it confirms, then `sent`; a
row found `sending` by a later run was interrupted at the one moment delivery is unknown,
and becomes `uncertain` (never sent again). A batch's events are alerted once every
message of the batch is out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlite_utils import Database

from citewatch.model import State

from .copies import copy_note, latest_judged, verified_copy
from .database import answered_from

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
    source_id: int
    url: str
    title: str | None
    publisher: str | None
    roles: tuple[str, ...]
    state: State
    reason: str | None
    archive_url: str | None  # a verified Wayback copy, the only kind offered as "cite instead"
    copy_note: str | None  # why there is none, when a copy was judged
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
class Message:
    """A message a notifier prepared for its channel: stored, then delivered as it is."""

    channel: str
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    payload: bytes


@dataclass(frozen=True)
class QueuedMessage(Message):
    """A stored message, with its row in the outbox."""

    id: int = field(kw_only=True)


def pending_notices(db: Database) -> tuple[list[IncidentNotice], list[int]]:
    """Every alertable event not yet in a batch, by incident then source; and their ids."""
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
    return incidents, [event_id for event_id, *_ in events]


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
        f"SELECT s.id, c.cited_url, c.title, c.publisher, c.role, s.state, s.reason, {verified_copy('s')}, "
        f"{latest_judged('s')}, {answered_from('s', 's')}, s.last_ok FROM citations c JOIN sources s ON s.id = c.source_id WHERE c.incident_slug = ? ORDER BY c.id",
        [slug],
    ).fetchall()
    sources: dict[int, SourceNotice] = {}
    for source_id, url, title, publisher, role, state, reason, archive_url, judged, final_url, last_ok in rows:
        if source_id not in by_source:
            continue
        if source_id in sources:  # cited twice (a source and a legal analysis): one entry, both roles
            sources[source_id] = replace(sources[source_id], roles=sources[source_id].roles + (role,))
            continue
        sources[source_id] = SourceNotice(
            source_id, url, title, publisher, (role,), State(state), reason, archive_url, copy_note(judged), final_url, last_ok,
            tuple(by_source[source_id])
        )
    return IncidentNotice(
        slug, incident["title"], incident["url"], incident["category"], tuple(json.loads(incident["tags"] or "[]")),
        tuple(sources.values()),
    )


def add_batch(db: Database, compose: Callable[[], tuple[list[Message], list[int]]], at: str) -> int | None:
    """Store the messages of a new batch and tie its events to it, in one transaction that
    holds the write lock from the first read: `compose` reads the pending events and
    returns the messages and the events' ids (none: no batch). Two runs at once can never
    put one event in two batches."""
    with db.atomic():
        messages, event_ids = compose()
        if not event_ids:
            return None
        batch = (db.execute("SELECT COALESCE(MAX(batch), 0) FROM outbox").fetchone()[0] or 0) + 1
        for message in messages:
            db["outbox"].insert(
                {
                    "batch": batch,
                    "channel": message.channel,
                    "message_id": message.message_id,
                    "recipients": json.dumps(list(message.recipients)),
                    "subject": message.subject,
                    "message": message.payload,
                    "state": "prepared",
                    "attempts": 0,
                    "created_at": at,
                }
            )
        placeholders = ",".join("?" * len(event_ids))
        db.execute(f"UPDATE events SET alert_batch = ? WHERE id IN ({placeholders}) AND alert_batch IS NULL",
                   [batch, *event_ids])
    return batch


def queued(db: Database, channel: str) -> list[QueuedMessage]:
    """The channel's messages not yet delivered, oldest first."""
    rows = db.execute(
        "SELECT id, message_id, recipients, subject, message FROM outbox WHERE channel = ? AND state = 'prepared' ORDER BY id",
        [channel],
    )
    return [
        QueuedMessage(channel, message_id, tuple(json.loads(recipients)), subject or "", payload, id=row_id)
        for row_id, message_id, recipients, subject, payload in rows
    ]


def waiting_by_channel(db: Database) -> dict[str, int]:
    """How many messages wait to be delivered, per channel."""
    rows = db.execute("SELECT channel, COUNT(*) FROM outbox WHERE state = 'prepared' GROUP BY channel")
    return {channel: count for channel, count in rows}


def claim(db: Database, outbox_id: int) -> bool:
    """Take a prepared message for delivery; False if another run took it first."""
    with db.atomic():
        return db.execute("UPDATE outbox SET state = 'claimed' WHERE id = ? AND state = 'prepared'", [outbox_id]).rowcount == 1


def mark_sending(db: Database, outbox_id: int) -> None:
    db.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", [outbox_id])


def mark_sent(db: Database, outbox_id: int, at: str) -> None:
    db.execute("UPDATE outbox SET state = 'sent', sent_at = ? WHERE id = ?", [at, outbox_id])


def mark_failed(db: Database, outbox_id: int, error: str) -> None:
    """Certainly not delivered: kept, to be sent as it is by the next run."""
    db.execute(
        "UPDATE outbox SET state = 'prepared', attempts = attempts + 1, last_error = ? WHERE id = ?", [error[:500], outbox_id]
    )


def give_up_on_interrupted(db: Database) -> list[str]:
    """At the start of a sender's turn (no other sender runs): messages claimed by a run
    that died before handing them over are certainly not delivered, and are prepared
    again; messages interrupted while being delivered become uncertain. Their Message-IDs."""
    with db.atomic():
        db.execute("UPDATE outbox SET state = 'prepared' WHERE state = 'claimed'")
        message_ids = [row[0] for row in db.execute("SELECT message_id FROM outbox WHERE state = 'sending'")]
        db.execute("UPDATE outbox SET state = 'uncertain' WHERE state = 'sending'")
    return message_ids


def settle(db: Database, at: str) -> int:
    """Mark alerted the events of every batch whose messages are all out; how many."""
    with db.atomic():
        cursor = db.execute(
            "UPDATE events SET alerted_at = ? WHERE alerted_at IS NULL AND alert_batch IS NOT NULL "
            "AND alert_batch NOT IN (SELECT batch FROM outbox WHERE state IN ('prepared', 'claimed', 'sending'))",
            [at],
        )
    return cursor.rowcount
