"""Sending the change-alert digest: every event alerted once, none lost, none twice, on
every notifier's channel.

0. One sender at a time (the facade holds `alert.lock`; any other waits its turn).
1. In one transaction, which holds the write lock from its first read, the pending events
   become a batch: each notifier's messages for it are stored in the outbox, and the
   events are tied to the batch.
2. Each channel's stored messages are delivered one by one, each claimed first (a message
   another sender claimed is left to it). A message is marked `sending`
   at the one moment the receiver holds it whole but has not confirmed (for email: after
   the final dot, before the server's reply); any failure before that is certain, so the
   message stays `prepared` and the next run sends the very same message.
3. A message found `claimed` at the start of a sender's turn was never handed over: it is
   prepared again. A message found `sending` was interrupted at that moment: a mail
   server queues it then, so it is never sent again (logged as uncertain). A sent message
   is never resent.
4. When every message of a batch is out, its events are marked alerted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from citewatch.storage.outbox import (
    Message,
    add_batch,
    claim,
    give_up_on_interrupted,
    mark_failed,
    mark_sending,
    mark_sent,
    queued,
    settle,
)
from citewatch.times import to_iso, utc_now

from .digest import pending_digest
from .notify import DeliveryFailed, Notifier

logger = logging.getLogger(__name__)


@dataclass
class AlertRun:
    messages_sent: int = 0
    events_alerted: int = 0
    uncertain: int = 0
    errors: list[str] = field(default_factory=list)
    disabled: bool = False  # no notifier is enabled: nothing was sent or marked
    preview: str | None = None  # a dry run's digest, as the email's text


def prepare_batch(db: Database, notifiers: list[Notifier], now: datetime) -> int | None:
    """Turn the pending events into a batch of outbox messages; None if there are none.
    The events are read in the transaction that ties them to the batch."""

    def compose() -> tuple[list[Message], list[int]]:
        digest = pending_digest(db)
        if not digest.event_ids:
            return [], []
        return [message for notifier in notifiers for message in notifier.messages(digest)], list(digest.event_ids)

    return add_batch(db, compose, to_iso(now))


def send_alerts(db: Database, notifiers: list[Notifier], clock: Callable[[], datetime] = utc_now) -> AlertRun:
    """Send every pending event as a digest, and anything an earlier run could not send."""
    run = AlertRun()
    interrupted = give_up_on_interrupted(db)
    for message_id in interrupted:
        logger.warning("message %s was being sent when citewatch stopped; it may have been delivered, "
                       "so it is not sent again", message_id)
    run.uncertain = len(interrupted)
    prepare_batch(db, notifiers, clock())
    for notifier in notifiers:
        _deliver_queued(db, notifier, clock, run)
    run.events_alerted = settle(db, to_iso(clock()))
    return run


def _deliver_queued(db: Database, notifier: Notifier, clock: Callable[[], datetime], run: AlertRun) -> None:
    waiting = queued(db, notifier.channel)
    if not waiting:
        return
    try:
        with notifier.session() as session:
            while waiting:
                message = waiting.pop(0)
                if not claim(db, message.id):
                    continue  # another sender took it
                try:
                    notifier.deliver(session, message, lambda: mark_sending(db, message.id))
                except Exception as error:  # a notifier's failure is this message's, never the run's
                    _failed(db, run, message.id, f"message {message.id} not sent: {_describe(error)}")
                    continue
                mark_sent(db, message.id, to_iso(clock()))
                run.messages_sent += 1
    except Exception as error:  # the channel could not be reached: the messages not yet tried wait
        for message in waiting:
            _failed(db, run, message.id, f"{notifier.channel}: {_describe(error)}", report=message is waiting[0])


def _failed(db: Database, run: AlertRun, outbox_id: int, error: str, report: bool = True) -> None:
    if report:
        run.errors.append(error)
    mark_failed(db, outbox_id, error)


def _describe(error: Exception) -> str:
    return str(error) if isinstance(error, DeliveryFailed) else f"{type(error).__name__}: {error}"
