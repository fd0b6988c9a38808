"""The local web archive: WARC/1.1 files of every version of every source.

Each fetch whose bytes differ from the last archived ones becomes a request and a response
record, each its own gzip member, with the body as received (before decompression), so
the files open in standard replay tools (pywb, ReplayWeb.page) and `warcio check` passes.
Every record carries SHA-256 block and payload digests (WARC-Block-Digest,
WARC-Payload-Digest), and the record pair's bytes as written have a SHA-256 of their own:
the digest a trusted timestamp covers (storage/evidence.py).
Files roll over past `storage.warc_file_bytes`; a check row keeps the file, offset and
length of its record pair, so any version can be read back or exported.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Iterable

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from citewatch.model import RawExchange, WarcLocation
from citewatch.version import __version__

# Headers that describe the transfer, not the payload: the body is stored de-chunked.
_TRANSFER_HEADERS = {"transfer-encoding"}


class Sha256WARCWriter(WARCWriter):
    """warcio's writer, with SHA-256 digests instead of its fixed SHA-1."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    date: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes  # decoded (Content-Encoding undone)


class WarcArchive:
    def __init__(self, directory: Path, max_file_bytes: int):
        self.directory = directory
        self.max_file_bytes = max_file_bytes

    def append(self, exchange: RawExchange, at: datetime) -> WarcLocation:
        """Write the exchange to the current file, durably, and say where it is."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._current_file(at)
        pair = io.BytesIO()
        writer = Sha256WARCWriter(pair, gzip=True, warc_version="1.1")
        writer.write_request_response_pair(*_records(writer, exchange, at))
        with path.open("ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # another citewatch process may be writing too
            try:
                handle.seek(0, os.SEEK_END)
                if handle.tell() == 0:
                    info = Sha256WARCWriter(handle, gzip=True, warc_version="1.1")
                    info.write_record(_warcinfo(info, path.name))
                offset = handle.tell()
                handle.write(pair.getvalue())
                handle.flush()
                os.fsync(handle.fileno())
                return WarcLocation(path.name, offset, len(pair.getvalue()), hashlib.sha256(pair.getvalue()).hexdigest())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def record_bytes(self, location: WarcLocation) -> bytes:
        """The record pair at `location`, as stored (gzip members): what its digest covers."""
        with (self.directory / location.file).open("rb") as handle:
            handle.seek(location.offset)
            return handle.read(location.length)

    def read(self, location: WarcLocation) -> ArchivedResponse:
        """The archived response at `location`, its body decoded."""
        for record in ArchiveIterator(io.BytesIO(self.record_bytes(location))):
            if record.rec_type == "response":
                http = record.http_headers
                return ArchivedResponse(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    date=record.rec_headers.get_header("WARC-Date"),
                    status=int(http.get_statuscode()),
                    headers=list(http.headers),
                    body=record.content_stream().read(),
                )
        raise ValueError(f"no response record at {location.file}:{location.offset}")

    def export(self, locations: Iterable[WarcLocation], out: Path) -> list[WarcLocation]:
        """Copy the given record pairs into one WARC file; returns where each now is in it."""
        copied = []
        with out.open("wb") as target:
            writer = Sha256WARCWriter(target, gzip=True, warc_version="1.1")
            writer.write_record(_warcinfo(writer, out.name))
            for location in locations:
                offset = target.tell()
                target.write(self.record_bytes(location))  # whole gzip members, copied as they are: digests hold
                copied.append(WarcLocation(out.name, offset, location.length, location.sha256))
        return copied

    def repair_tail(self, known_good_end: dict[str, int]) -> int:
        """Cut off a record torn by a crash in the middle of a write; returns bytes removed.

        Only the newest file is ever appended to, so only it can end in a torn record. It is
        read from the end of the last record the database refers to (`known_good_end`, by
        file name): whole records after that are kept, a torn one is truncated away. The
        file is locked while it is read, as for an append: another process's record being
        written is not torn, and must be waited for, not cut.
        """
        files = self.files()
        if not files:
            return 0
        path = files[-1]
        good_end = start = known_good_end.get(path.name, 0)
        with path.open("r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(start)
                iterator = ArchiveIterator(handle)
                try:
                    for record in iterator:
                        record.content_stream().read()
                        good_end = start + iterator.get_record_offset() + iterator.get_record_length()
                except Exception:  # garbage where a record should start: cut from there
                    pass
                size = os.fstat(handle.fileno()).st_size
                if size <= good_end:
                    return 0
                handle.truncate(good_end)
                os.fsync(handle.fileno())
                return size - good_end
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("citewatch-*.warc.gz"))

    def _current_file(self, at: datetime) -> Path:
        files = self.files()
        if files and files[-1].stat().st_size < self.max_file_bytes:
            return files[-1]
        stamp = at.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
        return self.directory / f"citewatch-{stamp}-{len(files):05d}.warc.gz"


def _warcinfo(writer: WARCWriter, filename: str):  # type: ignore[no-untyped-def]
    return writer.create_warcinfo_record(
        filename, {"software": f"citewatch/{__version__}", "format": "WARC File Format 1.1"}
    )


def _records(writer: WARCWriter, exchange: RawExchange, at: datetime):  # type: ignore[no-untyped-def]
    date = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = exchange.url.split("/", 3)[3] if exchange.url.count("/") >= 3 else ""
    request = writer.create_warc_record(
        exchange.url,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=StatusAndHeaders(
            f"{exchange.method} /{path} HTTP/1.1", _ascii(exchange.request_headers), is_http_request=True
        ),
        warc_headers_dict={"WARC-Date": date},
    )
    reason = _reason(exchange.status)
    headers = _ascii([(name, value) for name, value in exchange.response_headers if name.lower() not in _TRANSFER_HEADERS])
    response = writer.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),
        http_headers=StatusAndHeaders(f"{exchange.status} {reason}", headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": date},
    )
    return request, response


def _ascii(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers a WARC header block can hold: a WARC's HTTP headers are ASCII, and warcio's
    own percent-encoding leaves some values (a charset parameter) as they were, then fails.
    Header bytes outside ASCII (read as latin-1) are percent-encoded, as warcio would."""
    return [(_percent_encoded(name), _percent_encoded(value)) for name, value in headers]


def _percent_encoded(text: str) -> str:
    if text.isascii():
        return text
    return "".join(char if char.isascii() else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    raw = char.encode("latin-1") if ord(char) < 256 else char.encode("utf-8")  # the byte as received
    return "".join(f"%{byte:02X}" for byte in raw)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
