"""Notifiers: where a digest goes. Two are built in: email (the [email] section) and
Apprise (a [[notify]] table with `urls` or `url_env`: chat rooms and webhooks). A
maintainer adds another by writing one subclass of Notifier and naming it in a [[notify]]
table of the config:

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

import json
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.policy import SMTP
from email.utils import make_msgid
from typing import Any, ClassVar

from citewatch.config import EmailSettings, NotifierSettings, Settings, apprise_options
from citewatch.errors import BadInput
from citewatch.model import Problem
from citewatch.plugins import Plugin, Registry
from citewatch.storage.outbox import Message, QueuedMessage

from .apprise_target import AppriseTarget, reachable
from .chat import chat_message
from .digest import Digest
from .email import render_message
from .smtp import connect, describe, quit_quietly, transmit


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

    def problems(self) -> list[Problem]:
        """What would stop a delivery now (for `citewatch doctor`), each with what to do;
        without sending anything."""
        return []


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
            message = render_message(part, self.email, recipients, self.settings.schedule.report_url)
            payload = message.as_bytes(policy=SMTP)  # CRLF line ends, as sent
            messages.append(Message(self.channel, message["Message-ID"], tuple(recipients), message["Subject"], payload))
        return messages

    @contextmanager
    def session(self) -> Iterator[smtplib.SMTP]:
        try:
            smtp = connect(self.email)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"cannot reach the SMTP server {self.email.host}:{self.email.port}: {describe(error)}") from error
        try:
            yield smtp
        finally:
            quit_quietly(smtp)

    def problems(self) -> list[Problem]:
        try:
            with self.session():
                return []
        except DeliveryFailed as error:
            return [Problem("email", str(error), "Check email.host, email.port, email.ssl, email.starttls, "
                                                 f"email.username and ${self.email.password_env}")]

    def deliver(self, session: smtplib.SMTP, message: QueuedMessage, handed_over: Callable[[], None]) -> None:
        try:
            session.ehlo_or_helo_if_needed()
            session.mail(self.email.sender)
            for recipient in message.recipients:
                code, answer = session.rcpt(recipient)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
            transmit(session, message.payload, handed_over)
        except (smtplib.SMTPException, OSError) as error:
            try:
                session.rset()
            except (smtplib.SMTPException, OSError):
                pass
            raise DeliveryFailed(describe(error)) from error


class AppriseNotifier(Notifier):
    """The digest in chat rooms and webhooks through Apprise (Slack, Matrix, Telegram,
    Discord, ntfy, Mattermost, JSON, ...): one message per URL, each delivered once.

    Each target is stored in the outbox as a reference, never with its secrets: a URL of
    `urls` as it is (one that holds a secret is refused), or the name of a variable of
    `url_env`, read again when the message is delivered."""

    name = "apprise"

    def __init__(self, settings: Settings, options: dict[str, Any], channel: str | None = None) -> None:
        super().__init__(settings, options, channel)
        self.config = apprise_options(options, f"notify ({self.channel})")
        for index, url in enumerate(self.config.urls):
            target = AppriseTarget(url)
            if target.plugin is None:
                raise BadInput(f"notify ({self.channel}): urls[{index}] is not a URL Apprise knows: {target.shown()}")
            if target.secrets:
                raise BadInput(f"notify ({self.channel}): urls[{index}] holds a secret ({target.shown()}): put the URL "
                               "in an environment variable and name the variable in url_env")

    def targets(self) -> list[AppriseTarget]:
        return [AppriseTarget(url) for url in self.config.urls] + [AppriseTarget(f"${name}") for name in self.config.url_env]

    def messages(self, digest: Digest) -> list[Message]:
        part = digest.only(self.config)
        if not part.incidents:
            return []
        messages = []
        for target in self.targets():
            title, body = chat_message(part, self.config.format == "markdown", target.room(), self.settings.schedule.report_url)
            payload = json.dumps({"title": title, "body": body, "format": self.config.format}).encode()
            messages.append(Message(self.channel, make_msgid("citewatch"), (target.ref,), title, payload))
        return messages

    def deliver(self, session: Any, message: QueuedMessage, handed_over: Callable[[], None]) -> None:
        import apprise

        target = AppriseTarget(message.recipients[0])
        plugin = target.with_timeout(self.config.timeout)
        if plugin is None:
            raise DeliveryFailed(f"{target.shown()}: {': '.join(target.unusable())}")
        content = json.loads(message.payload)
        sender = apprise.Apprise()
        sender.add(plugin)
        handed_over()  # a crash from here on may have delivered it: never sent again
        result = sender.notify(body=content["body"], title=content["title"], body_format=content["format"])
        if not result:
            said = "; ".join(entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL"))
            raise DeliveryFailed(f"{target.shown()}: {target.redact(said) or 'not delivered'}")

    def problems(self) -> list[Problem]:
        problems = []
        for target in self.targets():
            subject = f"notifier {self.channel}, {target.shown()}"
            if target.plugin is None:
                problems.append(Problem(subject, *target.unusable()))
            elif (address := target.address()) is not None and (error := reachable(*address, self.config.timeout)):
                problems.append(Problem(subject, f"cannot reach {address[0]}:{address[1]} ({error})",
                                        "Check the URL and that the service is up"))
        return problems


def active_notifiers(settings: Settings) -> list[Notifier]:
    """The notifiers the config asks for: email when enabled, then each [[notify]] table.
    Raises BadInput naming the key for an unknown type or a channel named twice."""
    notifiers: list[Notifier] = [EmailNotifier(settings, {})] if settings.email.enabled else []
    notifiers += configured_notifiers(settings)
    channels = [notifier.channel for notifier in notifiers]
    for channel in channels:
        if channels.count(channel) > 1:
            raise BadInput(f"notify: two notifiers share the channel {channel!r}: give each a `channel` name of its own")
    return notifiers


def configured_notifiers(settings: Settings) -> list[Notifier]:
    """The notifiers of the [[notify]] tables (not email): each checks its options as it is made."""
    return [_notifier(settings, table, f"notify[{index}]") for index, table in enumerate(settings.notify)]


def _notifier(settings: Settings, table: NotifierSettings, key: str) -> Notifier:
    cls = Notifier.registry.get(table.type, f"{key}.type")
    return cls(settings, table.options, table.channel)
