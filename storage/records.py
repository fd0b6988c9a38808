"""Incident records as the tracker exports them, read into dataclasses.

Accepted input, in .json or JSON Lines files (or directories of them):
- the tracker's export: {"site", "generatedAt", "record": {...}};
- a bare record object: {"slug", "title", "sources", ...};
- a JSON array of either, or one per line (JSON Lines).

Cited URLs come from sources[].url, legalAnalyses[].url, documents[] (a string or an
object with "url") and absolute http(s) <a href> links in contentHtml. A URL that cannot
be fetched is reported as a problem and left out; the rest of the record is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import lxml.html
from lxml import etree

from citewatch.urls import InvalidURL, check_cited_url, host_of, normalize_url

RECORD_SUFFIXES = (".json", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class Citation:
    role: str  # source | legal-analysis | document | inline
    cited_url: str
    url: str  # normalised identity
    title: str | None = None
    publisher: str | None = None


@dataclass(frozen=True)
class IncidentRecord:
    slug: str
    location: str  # where it was read from, for messages
    title: str | None = None
    url: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    site: str | None = None
    exported_at: str | None = None
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Problem:
    location: str  # "path", "path:line" or "path[index]"
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass
class ReadResult:
    records: list[IncidentRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def record_files(paths: list[Path]) -> Iterator[Path]:
    """The given files, and the record files found recursively in given directories."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in RECORD_SUFFIXES and p.is_file())
        else:
            yield path


def read_records(paths: list[Path]) -> ReadResult:
    result = ReadResult()
    for path in record_files(paths):
        result.files += 1
        for location, document in _documents(path, result.problems):
            _collect(document, location, {}, result)
    return result


def _documents(path: Path, problems: list[Problem]) -> Iterator[tuple[str, Any]]:
    """Parsed JSON values of one file: the whole file, or one per line for JSON Lines."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(str(path), f"cannot read file: {error}"))
        return
    if path.suffix != ".json" or _looks_like_json_lines(text):
        yield from _json_lines(path, text, problems)
        return
    try:
        yield str(path), json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(Problem(f"{path}:{error.lineno}:{error.colno}", f"invalid JSON: {error.msg}"))


def _looks_like_json_lines(text: str) -> bool:
    try:
        json.loads(text)
        return False
    except json.JSONDecodeError as error:
        return error.msg == "Extra data"


def _json_lines(path: Path, text: str, problems: list[Problem]) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{path}:{number}", json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(f"{path}:{number}", f"invalid JSON: {error.msg} (column {error.colno})"))


def _collect(document: Any, location: str, export: dict[str, Any], result: ReadResult) -> None:
    """Unwrap arrays and export envelopes down to record objects."""
    if isinstance(document, list):
        for index, item in enumerate(document):
            _collect(item, f"{location}[{index}]", export, result)
    elif isinstance(document, dict) and isinstance(document.get("record"), dict):
        envelope = {"site": document.get("site"), "exported_at": document.get("generatedAt")}
        _collect(document["record"], location, envelope, result)
    elif isinstance(document, dict):
        record = parse_record(document, location, export, result.problems)
        if record is not None:
            result.records.append(record)
    else:
        result.problems.append(Problem(location, f"expected an incident record object, got {type(document).__name__}"))


def parse_record(
    data: dict[str, Any], location: str, export: dict[str, Any], problems: list[Problem]
) -> IncidentRecord | None:
    slug = data.get("slug")
    if not isinstance(slug, str) or not slug.strip():
        problems.append(Problem(location, "record has no slug; record skipped"))
        return None
    location = f"{location} (record {slug!r})"
    site = _text(export.get("site")) or _text(data.get("site"))
    citations: dict[tuple[str, str], Citation] = {}
    for role, where, raw_url, title, publisher in _cited(data, site):
        try:
            cited_url = check_cited_url(raw_url)
        except InvalidURL as error:
            problems.append(Problem(location, f"{where}: {error}"))
            continue
        citation = Citation(role, cited_url, normalize_url(cited_url), _text(title), _text(publisher))
        citations.setdefault((citation.url, role), citation)
    tags = data.get("tags")
    return IncidentRecord(
        slug=slug.strip(),
        location=location,
        title=_text(data.get("title")),
        url=_text(data.get("url")),
        category=_text(data.get("category")),
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
        site=site,
        exported_at=_text(export.get("exported_at")),
        citations=tuple(citations.values()),
    )


# role, record field, keys giving the title, keys giving the publisher
_CITATION_FIELDS = (
    ("source", "sources", ("title",), ("publisher",)),
    ("legal-analysis", "legalAnalyses", ("title",), ("organization", "publisher")),
    ("document", "documents", ("title", "name"), ("publisher", "organization")),
)


def _cited(data: dict[str, Any], site: str | None) -> Iterator[tuple[str, str, Any, Any, Any]]:
    """(role, field path, url, title, publisher) for every citation in a record."""
    for role, key, title_keys, publisher_keys in _CITATION_FIELDS:
        for index, item in enumerate(_list(data.get(key))):
            if not isinstance(item, dict):  # a bare URL string
                yield role, f"{key}[{index}]", item, None, None
                continue
            title = next((item[k] for k in title_keys if item.get(k)), None)
            publisher = next((item[k] for k in publisher_keys if item.get(k)), None)
            yield role, f"{key}[{index}].url", item.get("url"), title, publisher
    for href, text in _inline_links(data.get("contentHtml"), site):
        yield "inline", "contentHtml <a href>", href, text, None


def _inline_links(html: Any, site: str | None) -> Iterator[tuple[str, str]]:
    """Absolute http(s) links in the record's HTML, except those to the tracker itself.

    Relative links, anchors and mailto: links in prose are ordinary HTML, not citations,
    so they are skipped quietly rather than reported.
    """
    if not isinstance(html, str) or "<a" not in html:
        return
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return
    own_host = host_of(site) if site else ""
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href.lower().startswith(("http://", "https://")):
            continue
        if own_host and host_of(href) == own_host:
            continue
        yield href, " ".join(anchor.text_content().split()) or None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
