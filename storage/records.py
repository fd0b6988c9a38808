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

import codecs
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import ijson
import lxml.html
from lxml import etree

from citewatch.urls import InvalidURL, check_cited_url, host_of, normalize_url, without_credentials

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
    loses_records: bool = True  # records may be missing because of it (not so for one bad URL of a record)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass
class ReadResult:
    """The records of some files, read as they are iterated (a million records stream
    through in bounded memory); the problems met so far, and the files opened."""

    paths: list[Path]
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    slugs: set[str] = field(default_factory=set)  # of every record read
    names: dict[Path, str] = field(default_factory=dict)  # how a file is named in messages (the URL it came from)

    @property
    def whole(self) -> bool:
        """Whether every record of the input was read (none lost to a bad file or record)."""
        return not any(problem.loses_records for problem in self.problems)

    def __iter__(self) -> Iterator[IncidentRecord]:
        for path in record_files(self.paths, self.problems):
            self.files += 1
            for location, document in _documents(path, self.names.get(path, str(path)), self.problems):
                try:
                    for record in _collect(document, location, {}, self.problems):
                        self.slugs.add(record.slug)
                        yield record
                except RecursionError:
                    self.problems.append(Problem(location, "nested too deeply to hold incident records; skipped"))


def record_files(paths: list[Path], problems: list[Problem]) -> Iterator[Path]:
    """The given files, and the record files found in given directories (through their
    links to other directories, each directory once: a link back up is no loop)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        seen: set[tuple[int, int]] = set()
        for folder, folders, files in os.walk(path, followlinks=True, onerror=lambda e: problems.append(
                Problem(str(e.filename or path), f"cannot read folder: {e.strerror or e}"))):
            identity = _identity(folder)
            if identity is None or identity in seen:
                problems.append(Problem(folder, "a link to a folder already read (a loop): not read again"))
                folders[:] = []
                continue
            seen.add(identity)
            folders.sort()
            yield from (Path(folder) / name for name in sorted(files) if Path(name).suffix in RECORD_SUFFIXES)


def _identity(folder: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(folder)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def read_records(paths: list[Path], names: dict[Path, str] | None = None) -> ReadResult:
    """The records of these files and folders, read lazily (see ReadResult)."""
    return ReadResult(paths, names=names or {})


def index_urls(path: Path) -> list[str] | None:
    """The record URLs an export index lists (a JSON array of http(s) URLs, or an object
    whose "records", "items" or "urls" is one), or None when the file is no index."""
    if path.stat().st_size > WHOLE_FILE_BYTES:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeError, RecursionError, OSError):
        return None
    if isinstance(data, dict):
        data = next((data[key] for key in ("records", "items", "urls") if isinstance(data.get(key), list)), None)
    if not isinstance(data, list) or not data:
        return None
    urls = [item for item in data if isinstance(item, str) and item.startswith(("http://", "https://"))]
    return urls if len(urls) == len(data) else None


WHOLE_FILE_BYTES = 8 * 2**20  # a .json file up to this size is parsed whole (its errors say line and column)
MAX_LINE_BYTES = 64 * 2**20  # characters of one JSON Lines record at most
MAX_DEPTH = 64  # nesting that a streamed file may have: records are a few levels deep


def _documents(path: Path, name: str, problems: list[Problem]) -> Iterator[tuple[str, Any]]:
    """Parsed JSON values of one file: the whole file, its array's items, or one per line
    for JSON Lines; any problem with the file is one Problem naming it."""
    try:
        with path.open("rb") as binary:
            encoding = _encoding(binary.read(4096))
            binary.seek(0)
            if encoding is None:
                problems.append(Problem(name, "not a text file (binary data): no incident records read"))
                return
            size = os.fstat(binary.fileno()).st_size
            text = io.TextIOWrapper(binary, encoding=encoding, errors="strict", newline=None)
            if path.suffix != ".json":
                yield from _json_lines(name, text, problems)
            elif size <= WHOLE_FILE_BYTES:
                yield from _whole(name, text.read(), problems)
            else:
                yield from _streamed(name, text, problems)
    except (OSError, UnicodeError) as error:
        problems.append(Problem(name, f"cannot read file: {error}"))


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _encoding(head: bytes) -> str | None:
    """The file's encoding, from its byte-order mark or the place of its NUL bytes (UTF-16
    without a mark); None for binary data."""
    for mark, encoding in _BOMS:
        if head.startswith(mark):
            return encoding
    if b"\x00" not in head:
        return "utf-8"
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 4 and not even:
        return "utf-16-le"
    if even > len(head) // 4 and not odd:
        return "utf-16-be"
    return None


def _whole(path: str, text: str, problems: list[Problem]) -> Iterator[tuple[str, Any]]:
    """One parse of the file: a JSON value, or (with more after its first value) JSON Lines."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            yield from _json_lines(path, io.StringIO(text), problems)
        else:
            problems.append(Problem(f"{path}:{error.lineno}:{error.colno}", f"invalid JSON: {error.msg}"))
        return
    except RecursionError:
        problems.append(Problem(path, "nested too deeply to hold incident records; file skipped"))
        return
    yield path, document


def _json_lines(path: str, text: io.TextIOBase, problems: list[Problem]) -> Iterator[tuple[str, Any]]:
    number = 0
    while line := text.readline(MAX_LINE_BYTES):
        number += 1
        if len(line) >= MAX_LINE_BYTES and not line.endswith("\n"):
            problems.append(Problem(f"{path}:{number}", f"line longer than {MAX_LINE_BYTES:,} characters; skipped"))
            while (rest := text.readline(MAX_LINE_BYTES)) and not rest.endswith("\n"):
                pass
            continue
        if not line.strip():
            continue
        try:
            yield f"{path}:{number}", json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(f"{path}:{number}", f"invalid JSON: {error.msg} (column {error.colno})"))
        except RecursionError:
            problems.append(Problem(f"{path}:{number}", "nested too deeply to hold an incident record; skipped"))


class _Utf8:
    """The file's text again as UTF-8 bytes, which the streaming parser reads (whatever the
    file's own encoding was)."""

    def __init__(self, text: io.TextIOBase) -> None:
        self.text = text

    def read(self, size: int = -1) -> bytes:
        return self.text.read(size).encode()


def _streamed(path: str, text: io.TextIOBase, problems: list[Problem]) -> Iterator[tuple[str, Any]]:
    """A large file's values one at a time: a top-level array's items, or each of several
    top-level values; nesting past MAX_DEPTH stops the file (a streaming parser would
    otherwise build it whole)."""
    depth, index, in_array, builder = 0, 0, False, None
    try:
        for event, value in ijson.basic_parse(_Utf8(text), multiple_values=True, use_float=True):
            if depth == 0 and event == "start_array" and builder is None and not in_array:
                in_array, depth = True, 1
                continue
            if in_array and depth == 1 and event == "end_array":
                in_array, depth = False, 0
                continue
            builder = builder or ijson.ObjectBuilder()
            builder.event(event, value)
            depth += event in ("start_map", "start_array")
            depth -= event in ("end_map", "end_array")
            if depth > MAX_DEPTH:
                problems.append(Problem(f"{path}[{index}]", f"nested deeper than {MAX_DEPTH} levels; the rest of the file skipped"))
                return
            if depth == in_array:  # a value is complete
                yield (f"{path}[{index}]" if in_array else f"{path}:value {index + 1}"), builder.value
                builder, index = None, index + 1
    except ijson.JSONError as error:
        problems.append(Problem(f"{path}[{index}]", f"invalid JSON after {index} values: {' '.join(str(error).split())}"))


def _collect(document: Any, location: str, export: dict[str, Any], problems: list[Problem]) -> Iterator[IncidentRecord]:
    """Unwrap arrays and export envelopes down to record objects."""
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield from _collect(item, f"{location}[{index}]", export, problems)
    elif isinstance(document, dict) and isinstance(document.get("record"), dict):
        envelope = {"site": document.get("site"), "exported_at": document.get("generatedAt")}
        yield from _collect(document["record"], location, envelope, problems)
    elif isinstance(document, dict):
        record = parse_record(document, location, export, problems)
        if record is not None:
            yield record
    else:
        problems.append(Problem(location, f"expected an incident record object, got {type(document).__name__}"))


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
            problems.append(Problem(location, f"{where}: {_without_credentials_in(str(error), raw_url)}", False))
            continue
        if (public := without_credentials(cited_url)) != cited_url:
            problems.append(Problem(location, f"{where}: a user name and password in the URL were removed; "
                                              f"it is checked as {public}", False))
            cited_url = public
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


def _without_credentials_in(message: str, raw_url: Any) -> str:
    """A message about a URL that cannot be used, with any password in it left out."""
    text = raw_url.strip() if isinstance(raw_url, str) else ""
    return message.replace(text, without_credentials(text)) if text else message


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
