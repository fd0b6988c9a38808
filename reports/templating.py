"""The templates of reports and emails, and the filters they share.

Autoescaping is on for HTML: titles and text come from the web."""

from __future__ import annotations

import re
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from citewatch.model import reason_words

from .digest import needs
from .worddiff import DiffLine, as_text, changed_lines, diff_lines, hidden_lines

# How a change looks on a page (reports, `citewatch serve`): _diff.html.j2's markup.
DIFF_CSS = (
    ".diff{background:#f6f8fa;padding:6px 10px;font-size:0.9em;border-radius:6px;overflow-wrap:anywhere}"
    ".diff>div{margin:4px 0;padding:1px 8px;border-left:3px solid transparent;white-space:pre-wrap}"
    ".diff .edit{border-color:#d4a72c}.diff .add{background:#e6ffec;border-color:#2da44e}"
    ".diff .del{background:#ffebe9;border-color:#cf222e}.diff .context,.diff .hunk,.diff .gap{color:#656d76}"
    ".diff del{background:#ffc1c0;color:#82071e;padding:0 1px}.diff ins{background:#abf2bc;color:#055d20;padding:0 1px}"
    ".diff .sign{font-weight:600;color:#656d76}"
)
# The same for an email, inline: mail clients drop <style>.
EMAIL_DIFF_STYLE = {
    "block": "background: #f7f7f7; padding: 6px 10px; font-size: 0.92em; border-radius: 4px; overflow-wrap: anywhere;",
    "line_edit": "margin: 4px 0; padding: 1px 8px; border-left: 3px solid #d4a72c;",
    "line_add": "margin: 4px 0; padding: 1px 8px; border-left: 3px solid #2da44e; background: #e6ffec;",
    "line_del": "margin: 4px 0; padding: 1px 8px; border-left: 3px solid #cf222e; background: #ffebe9;",
    "line_context": "margin: 4px 0; padding: 1px 8px; border-left: 3px solid transparent; color: #57606a;",
    "line_hunk": "margin: 4px 0; padding: 1px 8px; border-left: 3px solid transparent; color: #8c959f;",
    "del": "background: #ffc1c0; color: #82071e; padding: 0 1px;",
    "add": "background: #abf2bc; color: #055d20; padding: 0 1px;",
    "gap": "color: #8c959f;",
}


def when(value: str | None) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC") if value else "an unknown time"


def day(value: str | None) -> str:
    return value[:10] if value else ""


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def markdown_text(value: str | None) -> str:
    """Text from the web as inert Markdown: one line, every markup character escaped."""
    return _markdown_words(one_line(value))


def markdown_line(line: DiffLine, short: bool = False) -> str:
    """A changed line in Markdown: the words taken out struck through, those put in bold."""
    if line.kind in ("add", "del"):
        return f"*{'Added' if line.kind == 'add' else 'Removed'}:* {markdown_text(line.text)}"
    marks = {"del": "~~{}~~", "add": "**{}**"}
    return "".join(
        marks[piece.kind].format(_markdown_words(piece.text)) if piece.kind in marks else _markdown_words(piece.text)
        for piece in (line.short if short else line.pieces)
    )


def _markdown_words(value: str) -> str:
    """Words of a line, escaped, their spaces kept: the marks around them need them."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", value))


def report_page(report_url: str | None, slug: str) -> str | None:
    """Where an incident's page of the published report is, when the report is published."""
    return f"{report_url}/incidents/{filename(slug)}.html" if report_url else None


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
environment.globals.update(diff_css=DIFF_CSS, email_diff_style=EMAIL_DIFF_STYLE, report_page=report_page)
environment.filters.update(
    needs=needs, diff_lines=diff_lines, hidden_lines=hidden_lines, changed_lines=changed_lines, text_line=as_text, md_line=markdown_line, when=when, day=day, md=markdown_text,
    md_url=markdown_url, fence=fence, filename=filename, reason=reason_words, oneline=one_line,
)
