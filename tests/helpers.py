"""Helpers shared by the tests: running the CLI, reading status, writing records."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from citewatch import Citewatch
from citewatch.config import load_settings
from citewatch.scheduler.cli import cli
from citewatch.storage.database import open_database

FIXTURES = Path(__file__).parent / "fixtures"
SEED_RECORD = FIXTURES / "incident-record.json"
ARTICLE = (FIXTURES / "article.html").read_text()


def run_cli(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def status_json(config: Path) -> dict[str, dict[str, Any]]:
    """`status --json`, keyed by URL."""
    result = run_cli(config, "status", "--json")
    assert result.exit_code == 0, result.output
    return {row["url"]: row for row in json.loads(result.output)}


def query(config_file: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    """Rows of the database of the data directory `config_file`'s tests use ("data" beside it)."""
    connection = sqlite3.connect(config_file.parent / "data" / "citewatch.db")
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def write_record(path: Path, slug: str, urls: list[str], **extra: Any) -> Path:
    """An incident record in the tracker's export format, citing `urls` as sources."""
    record = {"slug": slug, "title": f"Incident {slug}", "sources": [{"url": url, "title": url} for url in urls]}
    record.update(extra)
    path.write_text(json.dumps({"site": "https://tracker.example", "generatedAt": "2026-01-01", "record": record}))
    return path


def wait_for(condition: Any, seconds: float = 30) -> bool:
    """Poll `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def closed_port() -> int:
    """A loopback port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF with a text layer, as a court filing might be."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 12 Tf 72 720 Td " + " 0 -16 Td ".join(f"({escape(line)}) Tj" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({escape(title)}) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class Checker:
    """Ingests URLs and runs checks in this process, on a clock the test sets."""

    def __init__(self, config_file, tmp_path):
        self.config_file = config_file
        self.tmp_path = tmp_path
        self.settings = load_settings(config_file)
        self.now = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)

    def cite(self, *urls):
        self.ingest(write_record(self.tmp_path / "record.json", "incident", list(urls)))

    def ingest(self, record):
        """Ingest a record file at the checker's time."""
        with self.citewatch() as cw:
            assert not cw.ingest([record]).problems

    def citewatch(self):
        return Citewatch(self.settings, clock=lambda: self.now)

    def check(self, after=timedelta(0)):
        self.now += after
        with self.citewatch() as cw:
            return cw.check(all=True)

    def status(self, url):
        return status_json(self.config_file)[url]

    def source(self, url):
        db = open_database(self.settings.storage.database)
        try:
            return next(db.query("SELECT * FROM sources WHERE cited_url = ?", [url]))
        finally:
            db.close()

    def events(self, url):
        db = open_database(self.settings.storage.database)
        try:
            return [
                (row["kind"], json.loads(row["detail"]))
                for row in db.query(
                    "SELECT e.* FROM events e JOIN sources s ON s.id = e.source_id WHERE s.cited_url = ? ORDER BY e.id", [url]
                )
            ]
        finally:
            db.close()


def living_in_group(group: int) -> list[int]:
    """The processes of a process group still running (Linux: from /proc). Zombies are not:
    they only wait to be reaped."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if int(process_group) == group and state != "Z":
            living.append(int(stat.parent.name))
    return living
