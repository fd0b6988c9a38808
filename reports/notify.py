"""Notifiers: where a digest goes. Email is the first; a maintainer adds another by
writing one subclass of Notifier and naming it in a [[notify]] table of the config:

    [[notify]]
    type = "mytracker.notify:Webhook"   # a registered name, or "package.module:ClassName"
    channel = "desk"                    # optional: tells two notifiers of one type apart
    url = "https://chat.example/hook"   # every other key is the notifier's own option

A notifier turns a digest into messages (`messages`), which the outbox stores before any
is sent, then delivers each stored message as it is (`deliver`). The outbox gives each
channel exactly-once delivery: a message that fails is kept and sent again by the next
run, one interrupted after `handed_over` is never sent again (see reports/alerts.py).
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.policy import SMTP
from typing import Any, ClassVar

from citewatch.config import EmailSettings, NotifierSettings, Settings
from citewatch.errors import BadInput
from citewatch.plugins import Plugin, Registry
from citewatch.storage.outbox import Message, QueuedMessage

from .digest import Digest
from .email import render_message


class DeliveryFailed(Exception):
    """This message (or the channel) could not be delivered this time; it is kept."""


class Notifier(Plugin):
    """Delivers digests to one channel."""

    registry: ClassVar[Registry[type["Notifier"]]] = Registry("notifier")

    def __init__(self, settings: Settings, options: dict[str, Any], channel: str | None = None) -> None:
        """`options` are the keys of the [[notify]] table besides `type` and `channel`;
        raise BadInput (naming the key) for options that cannot be used."""
        self.settings = settings
        self.options = options
        self.channel = channel or self.name

    def messages(self, digest: Digest) -> list[Message]:
        """The digest as messages for this channel (none if it has nothing to say)."""
        raise NotImplementedError

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A connection shared by the deliveries of one run; raise DeliveryFailed if the
        channel cannot be reached."""
        yield None

    def deliver(self, session: Any, message: QueuedMessage, handed_over: Callable[[], None]) -> None:
        """Deliver one stored message, or raise DeliveryFailed. Call `handed_over` at the
        moment the receiver holds the whole message but has not confirmed it: a crash
        after that is never followed by a second delivery."""
        raise NotImplementedError


class EmailNotifier(Notifier):
    """The digest by email (the [email] section): to `email.recipients`, and the part each
    route covers to that route's recipients."""

    name = "email"

    def __init__(self, settings: Settings, options: dict[str, Any], channel: str | None = None) -> None:
        super().__init__(settings, options, channel)
        self.email: EmailSettings = settings.email
        if options:
            raise BadInput(f"notify: the email notifier takes no options ({', '.join(options)}): it is set in [email]")
        if not self.email.recipients:
            raise BadInput("email.recipients is empty: there is no one to send alerts to")

    def messages(self, digest: Digest) -> list[Message]:
        parts = [(self.email.recipients, digest)]
        parts += [(route.recipients, digest.only(route)) for route in self.email.routes]
        messages = []
        for recipients, part in parts:
            if not part.incidents or not recipients:
                continue
            message = render_message(part, self.email, recipients)
            payload = message.as_bytes(policy=SMTP)  # CRLF line ends, as sent
            messages.append(Message(self.channel, message["Message-ID"], tuple(recipients), message["Subject"], payload))
        return messages

    @contextmanager
    def session(self) -> Iterator[smtplib.SMTP]:
        try:
            smtp = connect(self.email)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"cannot reach the SMTP server {self.email.host}:{self.email.port}: {_describe(error)}") from error
        try:
            yield smtp
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass

    def deliver(self, session: smtplib.SMTP, message: QueuedMessage, handed_over: Callable[[], None]) -> None:
        try:
            session.ehlo_or_helo_if_needed()
            session.mail(self.email.sender)
            for recipient in message.recipients:
                code, answer = session.rcpt(recipient)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
            _transmit(session, message.payload, handed_over)
        except (smtplib.SMTPException, OSError) as error:
            try:
                session.rset()
            except (smtplib.SMTPException, OSError):
                pass
            raise DeliveryFailed(_describe(error)) from error


def active_notifiers(settings: Settings) -> list[Notifier]:
    """The notifiers the config asks for: email when enabled, then each [[notify]] table.
    Raises BadInput naming the key for an unknown type or a channel named twice."""
    notifiers: list[Notifier] = []
    if settings.email.enabled:
        notifiers.append(EmailNotifier(settings, {}))
    for index, table in enumerate(settings.notify):
        notifiers.append(_notifier(settings, table, f"notify[{index}]"))
    channels = [notifier.channel for notifier in notifiers]
    for channel in channels:
        if channels.count(channel) > 1:
            raise BadInput(f"notify: two notifiers share the channel {channel!r}: give each a `channel` name of its own")
    return notifiers


def _notifier(settings: Settings, table: NotifierSettings, key: str) -> Notifier:
    cls = Notifier.registry.get(table.type, f"{key}.type")
    return cls(settings, table.options, table.channel)


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


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}"
