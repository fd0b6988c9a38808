"""Sending the change-alert digest: every event alerted once, none lost, none twice.

1. In one transaction, the pending events become a batch: its messages (the digest to
   `email.recipients`, and the part each route covers to that route's recipients) are
   stored in the outbox with their Message-IDs, and the events are tied to the batch.
2. Each outbox message is sent over SMTP step by step. The row is marked `sending` at the
   one moment the server holds the whole message (after the final dot, before its reply);
   any failure before that is certain, so the row stays `prepared` and the next run sends
   the very same message.
3. A row found `sending` at the start of a run was interrupted while the server had the
   whole message and was deciding: a mail server queues it at that point, so it is never
   sent again (logged as uncertain). A sent row is never resent.
4. When every message of a batch is out, its events are marked alerted.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
from dataclasses import dataclass, field
from datetime import datetime
from email.policy import SMTP
from typing import Callable

from sqlite_utils import Database

from citewatch.config import EmailSettings
from citewatch.storage.database import to_iso, utc_now

from .digest import Digest, pending_digest
from .email import render_message

logger = logging.getLogger(__name__)

SmtpFactory = Callable[[EmailSettings], smtplib.SMTP]


@dataclass
class AlertRun:
    messages_sent: int = 0
    events_alerted: int = 0
    uncertain: int = 0
    errors: list[str] = field(default_factory=list)


def connect(settings: EmailSettings) -> smtplib.SMTP:
    """An SMTP session as configured: SSL or STARTTLS, and login with the password read
    from the environment variable named by `email.password_env` (never from the config)."""
    smtp_class = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
    smtp = smtp_class(settings.host, settings.port, timeout=settings.timeout)
    if settings.starttls and not settings.ssl:
        smtp.starttls()
    if settings.username:
        smtp.login(settings.username, settings.password() or "")
    return smtp


def prepare_batch(db: Database, settings: EmailSettings, now: datetime) -> int | None:
    """Turn the pending events into a batch of outbox messages; None if there are none."""
    digest = pending_digest(db)
    if not digest.event_ids:
        return None
    parts: list[tuple[tuple[str, ...], Digest]] = [(settings.recipients, digest)]
    parts += [(route.recipients, digest.only(route)) for route in settings.routes]
    with db.atomic():
        batch = (db.execute("SELECT COALESCE(MAX(batch), 0) FROM outbox").fetchone()[0] or 0) + 1
        for recipients, part in parts:
            if not part.incidents or not recipients:
                continue
            message = render_message(part, settings, recipients)
            db["outbox"].insert(
                {
                    "batch": batch,
                    "message_id": message["Message-ID"],
                    "recipients": json.dumps(list(recipients)),
                    "subject": message["Subject"],
                    "message": message.as_bytes(policy=SMTP),  # CRLF line ends, as sent
                    "state": "prepared",
                    "attempts": 0,
                    "created_at": to_iso(now),
                }
            )
        placeholders = ",".join("?" * len(digest.event_ids))
        db.execute(f"UPDATE events SET alert_batch = ? WHERE id IN ({placeholders})", [batch, *digest.event_ids])
    return batch


def send_alerts(
    db: Database, settings: EmailSettings, smtp_factory: SmtpFactory = connect, clock: Callable[[], datetime] = utc_now
) -> AlertRun:
    """Send every pending event as a digest, and anything an earlier run could not send."""
    run = AlertRun()
    run.uncertain = _give_up_on_interrupted(db)
    prepare_batch(db, settings, clock())
    rows = list(db.query("SELECT id, recipients, message FROM outbox WHERE state = 'prepared' ORDER BY id"))
    if rows:
        try:
            smtp = smtp_factory(settings)
        except (smtplib.SMTPException, OSError) as error:
            run.errors.append(f"cannot reach the SMTP server {settings.host}:{settings.port}: {_describe(error)}")
            for row in rows:
                _failed(db, row["id"], run.errors[-1])
            return run
        try:
            for row in rows:
                _send_one(db, smtp, settings.sender, row, clock, run)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
    run.events_alerted = _settle(db, clock())
    return run


def _send_one(db: Database, smtp: smtplib.SMTP, sender: str, row: dict, clock: Callable[[], datetime], run: AlertRun) -> None:
    try:
        smtp.ehlo_or_helo_if_needed()
        smtp.mail(sender)
        for recipient in json.loads(row["recipients"]):
            code, answer = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
        _transmit(smtp, row["message"], lambda: db["outbox"].update(row["id"], {"state": "sending"}))
    except (smtplib.SMTPException, OSError) as error:
        run.errors.append(f"message {row['id']} not sent: {_describe(error)}")
        _failed(db, row["id"], run.errors[-1])
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            pass
        return
    mark_sent(db, row["id"], clock())
    run.messages_sent += 1


def _transmit(smtp: smtplib.SMTP, message: bytes, server_has_it: Callable[[], None]) -> None:
    """SMTP DATA, split where the server holds the whole message (smtplib's data() cannot
    be split there): `server_has_it` runs after the final dot, before the server's reply."""
    code, answer = smtp.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPDataError(code, answer)
    body = re.sub(rb"(?m)^\.", b"..", message)  # dot-stuffing
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body + b".\r\n")
    server_has_it()
    code, answer = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, answer)


def mark_sent(db: Database, outbox_id: int, at: datetime) -> None:
    db["outbox"].update(outbox_id, {"state": "sent", "sent_at": to_iso(at)})


def _failed(db: Database, outbox_id: int, error: str) -> None:
    """Certainly not accepted: keep it, to be sent as it is by the next run."""
    attempts = db["outbox"].get(outbox_id)["attempts"] + 1
    db["outbox"].update(outbox_id, {"state": "prepared", "attempts": attempts, "last_error": error[:500]})


def _give_up_on_interrupted(db: Database) -> int:
    rows = [row[0] for row in db.execute("SELECT message_id FROM outbox WHERE state = 'sending'")]
    for message_id in rows:
        logger.warning("message %s was being sent when citewatch stopped; it may have been delivered, "
                       "so it is not sent again", message_id)
    db.execute("UPDATE outbox SET state = 'uncertain' WHERE state = 'sending'")
    return len(rows)


def _settle(db: Database, now: datetime) -> int:
    """Mark alerted the events of every batch whose messages are all out."""
    with db.atomic():
        cursor = db.execute(
            "UPDATE events SET alerted_at = ? WHERE alerted_at IS NULL AND alert_batch IS NOT NULL "
            "AND alert_batch NOT IN (SELECT batch FROM outbox WHERE state IN ('prepared', 'sending'))",
            [to_iso(now)],
        )
    return cursor.rowcount


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {error.smtp_error.decode(errors='replace') if isinstance(error.smtp_error, bytes) else error.smtp_error}"
    return f"{type(error).__name__}: {error}"
