"""The digest as an email: plain text for terminal mail clients, and HTML.

Titles and text come from the web: the HTML template escapes everything it is given, and
header values are folded to one line so nothing can inject a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from citewatch.config import EmailSettings

from .digest import Digest


@dataclass(frozen=True)
class DiffLine:
    kind: str  # add | del | hunk | file | context
    text: str


def diff_lines(diff: str, limit: int) -> list[DiffLine]:
    return [_classify(line) for line in diff.splitlines()[:limit]]


def hidden_lines(diff: str, limit: int) -> int:
    return max(len(diff.splitlines()) - limit, 0)


def _classify(line: str) -> DiffLine:
    if line.startswith(("+++", "---")):
        return DiffLine("file", line)
    kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "context")
    return DiffLine(kind, line)


def when(value: str | None) -> str:
    if not value:
        return "an unknown time"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def header_value(text: str) -> str:
    """One line, whatever came from the web: no CR/LF, so no injected headers."""
    return " ".join(text.split())


_environment = Environment(
    loader=PackageLoader("citewatch.reports", "templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters.update(diff_lines=diff_lines, hidden_lines=hidden_lines, when=when)


def render_message(digest: Digest, settings: EmailSettings, recipients: tuple[str, ...]) -> EmailMessage:
    """A multipart/alternative message with a fresh Message-ID."""
    subject = header_value(digest.subject())
    context = {"digest": digest, "subject_line": subject, "limit": settings.diff_lines}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid("citewatch", domain=settings.sender.rpartition("@")[2])
    message.set_content(_environment.get_template("digest.txt.j2").render(context))
    message.add_alternative(_environment.get_template("digest.html.j2").render(context), subtype="html")
    return message
