"""One incident's archived versions as a WACZ package (https://specs.webrecorder.net/wacz/),
made with the `wacz` package: the WARC records copied as they are archived, a CDXJ index,
a pages list (each version's URL, capture time, title and article text), and SHA-256
digests of every file in datapackage.json. citewatch adds `evidence/`: each version's
record SHA-256 and timestamp token (timestamps.json) and the roots that the tokens chain
to (tsa-roots.pem), listed and hashed in datapackage.json like the rest, so the package
verifies offline (see `VERIFY` below, written as evidence/how-to-verify.txt).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from citewatch.config import EvidenceSettings
from citewatch.errors import RunFailed
from citewatch.model import WarcLocation

from .archive import WarcArchive
from .evidence import archived_versions, location_of
from .history import snapshot_at

logger = logging.getLogger(__name__)

VERIFY = """Each version's WARC record pair (response and request, two gzip members) sits in
archive/{warc} at the offset and length given in timestamps.json. Its SHA-256 is
record_sha256; the RFC 3161 token (base64) covers exactly those bytes. With OpenSSL:

    dd if=archive/{warc} of=record.bin bs=1 skip=OFFSET count=LENGTH
    base64 -d > token.tsr   # paste the token
    openssl ts -verify -in token.tsr -data record.bin -CAfile evidence/tsa-roots.pem

The token proves those bytes existed, unchanged, at the time it states (stamped_at). The
WARC records say what the server answered and when citewatch fetched it.
"""


@dataclass(frozen=True)
class WaczExport:
    path: Path
    versions: int
    stamped: int


def export_wacz(db: Database, archive: WarcArchive, evidence: EvidenceSettings, incident: str, out: Path) -> WaczExport:
    """Write the WACZ of `incident` to `out` (replaced whole, never left half written)."""
    versions = archived_versions(db, incident)
    if not versions:
        raise RunFailed(f"nothing archived yet for the sources of {incident!r}: no WACZ written")
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        warc = folder / f"{incident}.warc.gz"
        copied = archive.export((location_of(row) for row in versions), warc)
        pages = folder / "pages.jsonl"
        pages.write_text("\n".join(json.dumps(page) for page in _pages(db, archive, incident, versions)) + "\n")
        made = folder / "made.wacz"
        from wacz.main import main as wacz_main  # a third of a second to import: only here

        log = io.StringIO()
        with contextlib.redirect_stdout(log):  # the wacz package reports with print()
            status = wacz_main(["create", "-o", str(made), str(warc), "-p", str(pages), "--hash-type", "sha256",
                                "--title", f"citewatch: {incident}", "--desc", f"Every archived version of the sources cited by {incident}"])
        logger.debug("wacz create: %s", log.getvalue())
        if status != 0:
            raise RunFailed(f"the wacz package could not write the WACZ of {incident!r}: {log.getvalue()[-300:]}")
        extra = {
            "evidence/timestamps.json": json.dumps(_timestamps(versions, copied, warc.name), indent=2).encode(),
            "evidence/tsa-roots.pem": b"".join(path.read_bytes() for path in evidence.tsa_roots if path.exists()),
            "evidence/how-to-verify.txt": VERIFY.format(warc=warc.name).encode(),
        }
        _with_files(made, extra, out)
    return WaczExport(out, len(versions), sum(1 for row in versions if row["token"]))


def _pages(db: Database, archive: WarcArchive, incident: str, versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pages list: a header, then each version at the time its WARC record states."""
    pages: list[dict[str, Any]] = [{"format": "json-pages-1.0", "id": "pages", "title": f"Sources of {incident}"}]
    for row in versions:
        response = archive.read(location_of(row))
        snapshot = snapshot_at(db, row["source_id"], row["checked_at"])
        page = {"url": response.url, "ts": response.date, "title": (snapshot.title if snapshot else None) or row["url"]}
        if snapshot is not None:
            page["text"] = snapshot.text
        pages.append(page)
    return pages


def _timestamps(versions: list[dict[str, Any]], copied: list[WarcLocation], warc_name: str) -> list[dict[str, Any]]:
    return [
        {
            "url": row["url"],
            "archived_at": row["checked_at"],
            "warc": f"archive/{warc_name}",
            "offset": location.offset,
            "length": location.length,
            "record_sha256": row["record_sha256"],
            "tsa_url": row["tsa_url"],
            "stamped_at": row["stamped_at"],
            "token": base64.b64encode(row["token"]).decode() if row["token"] else None,
        }
        for row, location in zip(versions, copied)
    ]


def _with_files(made: Path, extra: dict[str, bytes], out: Path) -> None:
    """`made` with `extra` files added, listed and hashed in its datapackage.json, written to `out`."""
    with zipfile.ZipFile(made) as source:
        package = json.loads(source.read("datapackage.json"))
        for name, data in extra.items():
            package["resources"].append({"name": Path(name).name, "path": name, "hash": _sha256(data), "bytes": len(data)})
        package_bytes = json.dumps(package, indent=2).encode()
        digest = json.dumps({"path": "datapackage.json", "hash": _sha256(package_bytes)}, indent=2).encode()
        handle, partial = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        os.close(handle)
        try:
            with zipfile.ZipFile(partial, "w") as target:
                for info in source.infolist():
                    if info.filename not in ("datapackage.json", "datapackage-digest.json"):
                        with source.open(info) as reader, target.open(info, "w") as writer:
                            shutil.copyfileobj(reader, writer)
                for name, data in [*extra.items(), ("datapackage.json", package_bytes), ("datapackage-digest.json", digest)]:
                    target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
            os.chmod(partial, 0o644)
            os.replace(partial, out)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
