"""Helpers shared by the tests: running the CLI, reading status, writing records."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from citewatch.scheduler.cli import cli

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


def write_record(path: Path, slug: str, urls: list[str], **extra: Any) -> Path:
    """An incident record in the tracker's export format, citing `urls` as sources."""
    record = {"slug": slug, "title": f"Incident {slug}", "sources": [{"url": url, "title": url} for url in urls]}
    record.update(extra)
    path.write_text(json.dumps({"site": "https://tracker.example", "generatedAt": "2026-01-01", "record": record}))
    return path


def closed_port() -> int:
    """A loopback port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
