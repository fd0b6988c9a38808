"""The templates of reports and emails, and the filters they share.

Autoescaping is on for HTML: titles and text come from the web."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from citewatch.model import reason_words


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
    return DiffLine({"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "context"), line)


def when(value: str | None) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC") if value else "an unknown time"


def day(value: str | None) -> str:
    return value[:10] if value else ""


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def markdown_text(value: str | None) -> str:
    """Text from the web as inert Markdown: one line, every markup character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(value))


def markdown_url(value: str) -> str:
    """A URL inside (...) or <...>: no spaces or brackets that would end it early."""
    return re.sub(r"[\s()<>]", lambda m: f"%{ord(m.group(0)):02X}", value)


def fence(value: str) -> str:
    """Text inside a ``` block: a line of backticks must not close the fence."""
    return value.replace("```", "`\u200b``")


def one_line(value: str | None) -> str:
    """Text from the web on one line: its line breaks and runs of spaces as one space."""
    return " ".join((value or "").split())


def filename(slug: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", slug).strip(".") or "incident"


environment = Environment(
    loader=PackageLoader("citewatch.reports", "templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    diff_lines=diff_lines, hidden_lines=hidden_lines, when=when, day=day, md=markdown_text,
    md_url=markdown_url, fence=fence, filename=filename, reason=reason_words, oneline=one_line,
)
