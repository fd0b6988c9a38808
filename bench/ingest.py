"""Ingesting a large export: N incident records in the seed's format (a source and a
legal analysis each, one in three citing a source of another, many hosts), as one JSON
array file and as JSON Lines, through the real CLI. Prints the time and the peak RSS of
each `citewatch ingest`: records are stored as they are read, so memory stays bounded.

    .venv/bin/python bench/ingest.py [--records 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CITEWATCH = Path(sys.executable).parent / "citewatch"


def record(n: int) -> dict:
    host = f"news{n % 5000}.example"
    return {"site": "https://tracker.example", "generatedAt": "2026-11-01T00:00:00Z", "record": {
        "slug": f"incident-{n}", "title": f"Incident {n}", "category": "conflict", "tags": ["shelling"],
        "sources": [{"url": f"https://{host}/2026/11/story-{n}", "title": f"Story {n}", "publisher": host}],
        "legalAnalyses": [{"url": f"https://ngo{n % 300}.example/analysis/{n // 3}"}]}}


def write_exports(folder: Path, count: int) -> tuple[Path, Path]:
    lines, array = folder / "export.jsonl", folder / "export.json"
    with lines.open("w") as jsonl, array.open("w") as whole:
        whole.write("[")
        for n in range(count):
            text = json.dumps(record(n))
            jsonl.write(text + "\n")
            whole.write(("," if n else "") + text)
        whole.write("]")
    return array, lines


def ingest(folder: Path, export: Path) -> tuple[float, int]:
    """Seconds and peak RSS (MB) of one `citewatch ingest` into a fresh data directory."""
    config = folder / f"{export.suffix[1:]}.toml"
    config.write_text(f'[storage]\ndir = "{folder / ("data-" + export.suffix[1:])}"\n')
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([str(CITEWATCH), "--config", str(config), "--quiet", "ingest", str(export)], check=True,
                   stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        array, lines = write_exports(folder, args.records)
        print(f"ingest of {args.records:,} records ({array.stat().st_size / 2**20:,.0f} MB as one JSON array)")
        for export in (lines, array):  # JSON Lines first: RUSAGE_CHILDREN keeps the largest child's peak
            seconds, peak = ingest(folder, export)
            print(f"    {export.name:14} {seconds:8.1f} s  {args.records / seconds:9,.0f} records/s  peak RSS {peak:,} MB")


if __name__ == "__main__":
    main()
