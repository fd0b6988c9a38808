"""SMTP as citewatch speaks it: a session as configured, and DATA split at the moment the
server holds the whole message (the outbox needs that moment, smtplib's data() hides it)."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable

from citewatch.config import EmailSettings


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


def quit_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass


def transmit(smtp: smtplib.SMTP, message: bytes, server_has_it: Callable[[], None]) -> None:
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


def describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}"
