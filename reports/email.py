"""The digest as an email: plain text for terminal mail clients, and HTML.

Titles and text come from the web: the HTML template escapes everything it is given, and
header values are folded to one line so nothing can inject a header.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from citewatch.config import EmailSettings

from .digest import Digest
from .templating import environment, one_line


def render_message(
    digest: Digest, settings: EmailSettings, recipients: tuple[str, ...], report_url: str | None = None
) -> EmailMessage:
    """A multipart/alternative message with a fresh Message-ID; its changes link to the
    published report's pages when `report_url` says where it is."""
    subject = one_line(digest.subject())  # no CR/LF from the web, so no injected headers
    context = {"digest": digest, "subject_line": subject, "limit": settings.diff_lines, "report_url": report_url}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid("citewatch", domain=settings.sender.rpartition("@")[2])
    message.set_content(environment.get_template("digest.txt.j2").render(context))
    message.add_alternative(environment.get_template("digest.html.j2").render(context), subtype="html")
    return message
