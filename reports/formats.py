"""The link-rot report's formats, one registered class each: a static HTML site, Markdown, CSV, JSON."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import tempfile
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import ClassVar

from markupsafe import Markup, escape
from sqlite_utils import Database

from citewatch.plugins import Plugin, Registry
from citewatch.storage.history import snapshot_at
from citewatch.storage.reporting import CitationRow

from .linkrot import CHART_STATES, REPORT_STATES, SiteReport
from .templating import environment, filename

CSV_COLUMNS = (
    "incident", "incident_title", "incident_url", "role", "title", "publisher", "url", "state", "reason", "since",
    "http_status", "final_url", "last_checked", "last_ok", "changes", "last_changed", "change_summary", "archive_url",
    "copy_note", "cited_version_at", "drift_similarity", "drift_summary",
)
INDEX_ROWS = 5000  # incidents listed on the index, worst first: a page a browser still opens at once
_CHART_COLOURS = {"ok": "#2da44e", "moved": "#54aeff", "blocked": "#8c959f", "failing": "#d4a72c", "dead": "#cf222e"}


class ReportFormat(Plugin):
    """One way to write the link-rot report. Subclasses that set `name` are registered."""

    entry: ClassVar[str] = ""  # the file a reader opens first
    description: ClassVar[str] = ""
    incremental: ClassVar[bool] = False  # a page per incident: only the changed ones need writing again
    registry: ClassVar[Registry[type["ReportFormat"]]] = Registry("report format")

    def write(self, db: Database, report: SiteReport, out: Path) -> list[Path]:
        """Write the report under `out`: the entry, and the pages of `report.incidents`;
        the files written, the entry first."""
        raise NotImplementedError


MANIFEST = ".citewatch-report.json"  # in a report's folder: what wrote it last, and when


def previous_report(out: Path, signature: str) -> str | None:
    """When the report in `out` was last written whole or in part with the same
    `signature` (format, citewatch's version, links); None if never, or otherwise."""
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        return manifest["written_at"] if manifest["signature"] == signature else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_report(out: Path, signature: str, written_at: str) -> None:
    write_file(out / MANIFEST, json.dumps({"signature": signature, "written_at": written_at}) + "\n")


def report_format(name: str, key: str = "--format") -> ReportFormat:
    """The registered format called `name`; BadInput naming `key` if there is none."""
    return ReportFormat.registry.get(name, key)()


class HtmlReport(ReportFormat):
    name, entry, description = "html", "index.html", "a static site"
    incremental = True

    def write(self, db: Database, report: SiteReport, out: Path) -> list[Path]:
        chart = state_chart(report.history)
        written = [_render(out / "index.html", "index.html.j2", report=report, states=REPORT_STATES, chart=chart,
                           index_rows=INDEX_ROWS)]
        copied: set[int] = set()  # sources whose kept copy is written
        for incident in report.incidents:
            page = out / "incidents" / f"{filename(incident.slug)}.html"
            written.append(_render(page, "incident.html.j2", report=report, incident=incident, states=REPORT_STATES))
            for citation in incident.citations:
                if citation.has_snapshot and citation.source_id not in copied:
                    copied.add(citation.source_id)
                    written.extend(self._kept_copy(db, report, out, citation))
        return written

    @staticmethod
    def _kept_copy(db: Database, report: SiteReport, out: Path, citation: CitationRow) -> list[Path]:
        """The page of the last good version of a cited source, if there is one."""
        snapshot = snapshot_at(db, citation.source_id, citation.last_ok)
        if snapshot is None:
            return []
        page = out / "sources" / f"{citation.source_id}.html"
        return [_render(page, "source.html.j2", report=report, snapshot=snapshot, url=citation.url)]


class MarkdownReport(ReportFormat):
    name, entry, description = "md", "index.md", "pages to paste into an issue or wiki"
    incremental = True

    def write(self, db: Database, report: SiteReport, out: Path) -> list[Path]:
        written = [_render(out / "index.md", "index.md.j2", report=report, states=REPORT_STATES, index_rows=INDEX_ROWS)]
        for incident in report.incidents:
            written.append(_render(out / "incidents" / f"{filename(incident.slug)}.md", "incident.md.j2", incident=incident))
        return written


def _rows(report: SiteReport) -> Iterator[dict]:
    """Every citation of the report as a row, read as the pages are: a batch at a time."""
    return (citation.as_dict() for incident in report.incidents for citation in incident.citations)


class CsvReport(ReportFormat):
    name, entry, description = "csv", "citations.csv", "one row per citation"

    def write(self, db: Database, report: SiteReport, out: Path) -> list[Path]:
        return [write_file(out / self.entry, self._lines(report))]

    @staticmethod
    def _lines(report: SiteReport) -> Iterator[str]:
        line = io.StringIO(newline="")
        writer = csv.DictWriter(line, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in _rows(report):
            writer.writerow({key: _spreadsheet_safe(row[key]) for key in CSV_COLUMNS})
            yield line.getvalue()
            line.seek(0)
            line.truncate()
        yield line.getvalue()


class JsonReport(ReportFormat):
    name, entry, description = "json", "citations.json", "one object per citation"

    def write(self, db: Database, report: SiteReport, out: Path) -> list[Path]:
        return [write_file(out / self.entry, itertools.chain(json_list(_rows(report), indent=2), ["\n"]))]


def json_list(items: Iterable[object], indent: int | None = None) -> Iterator[str]:
    """A JSON list in parts, an item at a time, each item under the one before: in constant
    memory however many there are. With `indent`, the same text as json.dumps(list,
    indent=indent); without, one item a line (for grep and jq). No final newline."""
    opening = "[\n"
    for item in items:
        text = json.dumps(item, indent=indent, ensure_ascii=False)
        yield opening + (textwrap.indent(text, " " * indent) if indent else text)
        opening = ",\n"
    yield "[]" if opening == "[\n" else "\n]"


def _spreadsheet_safe(value: object) -> object:
    """A cell a spreadsheet will not run as a formula (titles come from the web)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _render(path: Path, template: str, **context: object) -> Path:
    return write_file(path, environment.get_template(template).render(**context))


def write_file(path: Path, text: str | Iterable[str]) -> Path:
    """Write a report file (a text, or its parts in order) whole or not at all: a reader
    (or a web server) never sees half of one, and two reports written at once leave one of
    them, not a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=path.parent, prefix=f".{path.name}.",
                                         delete=False)
    try:
        with handle:
            handle.writelines([text] if isinstance(text, str) else text)  # parts may fail while being made
        os.chmod(handle.name, 0o644)  # a temporary file is private; a report is read by the web server
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise
    return path


def state_chart(history: list[tuple[str, Counter[str]]], width: int = 1000, height: int = 220) -> Markup:
    """Sources per state, day by day, as stacked bars in an inline SVG."""
    if not history:
        return Markup('<p class="muted">No checks yet.</p>')
    top = max(sum(counts[s] for s in CHART_STATES) for _, counts in history) or 1
    plot_height, left, bottom = height - 40, 40, height - 24
    bar = (width - left - 10) / len(history)
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="Sources by state over time" '
             'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">']
    parts.append(f'<text x="{left - 6}" y="{bottom - plot_height + 4}" text-anchor="end" fill="#656d76">{top}</text>')
    parts.append(f'<text x="{left - 6}" y="{bottom}" text-anchor="end" fill="#656d76">0</text>')
    for index, (day, counts) in enumerate(history):
        x, y = left + index * bar, bottom
        for state in CHART_STATES:
            size = counts[state] / top * plot_height
            if size:
                y -= size
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar - 1, 1):.1f}" height="{size:.1f}" '
                             f'fill="{_CHART_COLOURS[state]}"><title>{escape(day)}: {counts[state]} {state}</title></rect>')
        if index in (0, len(history) - 1) or (len(history) > 14 and index % (len(history) // 7) == 0):
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="#656d76">{escape(day[5:])}</text>')
    for index, state in enumerate(CHART_STATES):
        parts.append(f'<rect x="{left + index * 90}" y="2" width="10" height="10" fill="{_CHART_COLOURS[state]}"/>'
                     f'<text x="{left + index * 90 + 14}" y="11">{state}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
