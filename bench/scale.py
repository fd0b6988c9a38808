"""Scale: a synthetic tracker of N sources, ingested through the real CLI, checked for D
days through the real storage path, and timed at what a maintainer does.

    .venv/bin/python bench/scale.py [--sources N] [--days D] [--keep DIR]

1. Writes N sources as incident records in the tracker's export format (JSON Lines, five
   citations an incident, one host for every 50 sources) and ingests them with
   `citewatch ingest`.
2. Simulates D days of checks without a network but through the real storage path: each
   day the due list (`sources_to_check`), each due source's liveness read and advanced
   (`load_liveness`, `advance`), its next check set by the adaptive schedule
   (`next_check_at`), and the check stored with all it led to (`save_check`, a thousand
   to a transaction, as the crawl stores them). Fates are fixed per source: 90% stable
   (304 Not Modified), 4% edited now and then, 2% removed (404, then dead), 2% blocked
   (403), 2% flaky (a 503 one check in ten). Article texts are the corpus' (../shared),
   so that they compress as real text does (the dictionary the database learns never
   sees the texts it compresses); synthetic ones of 4,500 characters without it.
3. Times, each command in a process of its own (wall time, peak RSS): the due list,
   `status --json`, `status --state dead --json`, the report (full, then after one more
   day), and one day's digest (`alert --dry-run`). Prints the database's size, its
   tables' share, and its growth per check.
4. Measures the growth per unchanged check apart: up to 20,000 sources checked daily for
   30 days, every check finding the source as it was.

Targets (issue 19), at N = 1,000,000 and D = 90 on 2 cores: ingest < 5 min, due list
< 10 s, status --json < 30 s and < 300 MB, report after a day < 60 s, database < 3 GB,
at most 50 bytes per source per unchanged daily check.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from corpus import load_corpus

from citewatch.config import Settings, settings_from_dict
from citewatch.crawler.liveness import advance
from citewatch.crawler.revisit import ContentAge, next_check_at
from citewatch.model import Change, CheckOutcome, Extraction, FetchResult, SourceToCheck, Verdict
from citewatch.storage.checks import latest_snapshot, load_liveness, save_check, sources_to_check
from citewatch.storage.database import open_database
from citewatch.storage.packing import TRAIN_AFTER

CITEWATCH = str(Path(sys.executable).parent / "citewatch")
TEXT_CHARS = 4500
BATCH = 1000
WORDS = ("the ministry said on monday that the strike had hit a market in the north of the city where "
         "witnesses counted dozens of dead and wounded among them children and aid workers").split()


def fate(source_id: int) -> str:
    draw = int(hashlib.sha256(str(source_id).encode()).hexdigest()[:8], 16) % 100
    return "stable" if draw < 90 else "edited" if draw < 94 else "removed" if draw < 96 else "blocked" if draw < 98 else "flaky"


def write_tracker(path: Path, sources: int) -> None:
    with path.open("w") as out:
        for incident in range(0, sources, 5):
            cited = [{"url": f"https://news{number // 50}.example.org/2026/{number}/article-{number}",
                      "title": f"Report {number}", "publisher": f"News {number // 50}"}
                     for number in range(incident, min(incident + 5, sources))]
            record = {"slug": f"incident-{incident // 5}", "title": f"Incident {incident // 5}",
                      "category": random.Random(incident).choice(["conflict", "detention", "foreign-policy"]),
                      "sources": cited}
            out.write(json.dumps({"site": "https://tracker.example.org", "generatedAt": "2026-01-01T00:00:00Z",
                                  "record": record}) + "\n")


@functools.cache
def _texts() -> list[str]:
    """Real article texts (the corpus), so that stored text compresses as real text does;
    synthetic ones of the same length without ../shared. Ordered by length in UTF-8, so
    that the shares article() takes are alike."""
    try:
        return sorted((page.article for page in load_corpus()), key=lambda text: len(text.encode()))
    except SystemExit:
        sentences = [" ".join(random.Random(n).choice(WORDS) for _ in range(30)).capitalize() + "." for n in range(400)]
        return ["\n".join(random.Random(n).choices(sentences, k=TEXT_CHARS // 180)) for n in range(200)]


@functools.cache
def _share(learnt: bool) -> list[str]:
    """The texts of the sources the dictionary is learnt from (every third by length), or
    of all the others."""
    return [text for n, text in enumerate(_texts()) if (n % 3 == 1) == learnt]


def article(source_id: int, version: int) -> Extraction:
    """The source's text at `version`: a corpus article, with a line of its own that each edit changes.

    The database learns its compression dictionary from the first TRAIN_AFTER texts it
    stores (the sources with the lowest ids: they are checked first). Those sources take
    their texts from a third of the corpus (every third by length) and all the others from
    the rest, so that the dictionary never saw the articles it compresses, as with a real
    tracker. The rest is 5.1 KB a text on average (the whole corpus 4.8 KB)."""
    share = _share(learnt=source_id <= TRAIN_AFTER)
    text = share[source_id % len(share)]
    return Extraction(f"Report {source_id}, version {version}.\n{text}", title=f"Report {source_id}", published="2025-12-20")


def fetch(source: SourceToCheck, at: datetime, day: int, versions: dict[int, int],
          fates: Callable[[int], str] = fate) -> tuple[FetchResult, Verdict, bool]:
    """A synthetic fetch of `source` on `day`: the result, its verdict, and whether the text changed."""
    kind, when = fates(source.id), at.isoformat(timespec="seconds")
    result = FetchResult(source, when, final_url=source.url, content_type="text/html", elapsed=0.08)
    if kind == "removed" and day >= source.id % 60:
        result.http_status = 404
        return result, Verdict("failure", "http_404"), False
    if kind == "blocked":
        result.http_status = 403
        return result, Verdict("blocked", "forbidden"), False
    if kind == "flaky" and random.Random(f"{source.id}/{day}").random() < 0.1:
        result.http_status = 503
        return result, Verdict("failure", "http_5xx"), False
    edited = kind == "edited" and source.body_hash is not None and random.Random(f"{source.id}/{day}").random() < 0.05
    if source.body_hash is not None and not edited:
        result.http_status = 304
        return result, Verdict("ok"), False
    versions[source.id] = versions.get(source.id, 0) + edited
    result.http_status, result.etag = 200, f'"{source.id}-{versions[source.id]}"'
    result.body = article(source.id, versions[source.id]).text.encode()
    result.body_hash = hashlib.sha256(result.body).hexdigest()
    result.html = ""
    return result, Verdict("ok"), edited


def outcome_of(db, settings: Settings, source: SourceToCheck, at: datetime, day: int, versions: dict[int, int],
               stable_since: dict[int, datetime], fates: Callable[[int], str]) -> CheckOutcome:  # type: ignore[no-untyped-def]
    result, verdict, edited = fetch(source, at, day, versions, fates)
    result.verdict = verdict
    transition = advance(load_liveness(db, source.id), verdict, at, settings.dead)
    snapshot = change = None
    if result.body:
        extraction = article(source.id, versions[source.id])
        snapshot = (extraction, hashlib.sha256(extraction.text.encode()).hexdigest())
        if edited:
            before = latest_snapshot(db, source.id)
            change = (Change("1 paragraph changed", f"--- before\n+++ after\n@@ -1 +1 @@\n-{before.extraction.text[:200]}\n"
                                                    f"+{extraction.text[:200]}\n", 0.9, False), before)
        stable_since[source.id] = at
    age = ContentAge(stable_since.get(source.id), datetime(2025, 12, 20, tzinfo=timezone.utc))
    return CheckOutcome(result, transition, next_check_at(transition.liveness, at, settings, verdict, age),
                        snapshot, change)


def simulate(settings: Settings, start: datetime, days: int, first_day: int = 0,
             fates: Callable[[int], str] = fate) -> Counter[str]:
    """Check what is due on each day after `start`, from `first_day`; the checks stored, by HTTP status."""
    db = open_database(settings.storage.database)
    versions: dict[int, int] = {}
    stable_since: dict[int, datetime] = {}
    checked: Counter[str] = Counter()
    try:
        for day in range(first_day, first_day + days):
            at = start + timedelta(days=day)
            due = sources_to_check(db, at)
            for offset in range(0, len(due), BATCH):
                with db.atomic():
                    for source in due[offset:offset + BATCH]:
                        outcome = outcome_of(db, settings, source, at, day, versions, stable_since, fates)
                        save_check(db, outcome)
                        checked[str(outcome.result.http_status)] += 1
            print(f"  day {day + 1}: {len(due):,} checks", file=sys.stderr)
    finally:
        db.close()
    return checked


def daily_growth(folder: Path, sources: int, days: int = 30) -> float:
    """Bytes the database grows by per source per unchanged check, over `days` of daily
    checks that all find the source as it was (the first check, which stores the
    article, is not counted)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_tracker(folder / "tracker.jsonl", sources)
    config = folder / "citewatch.toml"
    config.write_text('[storage]\ndir = "data"\n[wayback]\nenabled = false\n')
    subprocess.run([CITEWATCH, "--config", str(config), "-q", "ingest", str(folder / "tracker.jsonl")], check=True,
                   stdout=subprocess.DEVNULL)
    settings = settings_from_dict({"storage": {"dir": str(folder / "data")}, "wayback": {"enabled": False},
                                   "schedule": {"min_interval": "1d", "max_interval": "1d", "jitter": 0}})
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days + 1)
    backdate(settings.storage.database, start)
    simulate(settings, start, 1, fates=lambda _: "stable")
    before = _size(settings.storage.database)
    checked = simulate(settings, start, days, first_day=1, fates=lambda _: "stable")
    return (_size(settings.storage.database) - before) / sum(checked.values())


def backdate(database: Path, at: datetime) -> None:
    """As if the tracker had been ingested at `at` (the CLI ingests at the real time)."""
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE incidents SET ingested_at = ?", [at.isoformat()])
        connection.execute("UPDATE citations SET cited_at = ?", [at.isoformat()])
        connection.execute("UPDATE sources SET created_at = ?, next_check_at = ?", [at.isoformat(), at.isoformat()])


def _size(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database.stat().st_size


# Linux counts a child's peak RSS from before its exec, when it is still a copy of this
# (large) process: each command is started from a small Python process that reports it.
_MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(child.pid, 0)
sys.stderr.write(child.stderr.read().decode()[-2000:])
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def timed(argv: list[str]) -> tuple[float, float]:
    """Run argv as a process of its own: (seconds, its peak RSS in MB)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr}")
    return seconds, int(done.stdout) / 1024


def table_sizes(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return dict(connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"))


def measure_due(config: str, at: str) -> None:
    """In a process of its own: the due list at `at`."""
    from citewatch.config import load_settings

    settings = load_settings(config)
    db = open_database(settings.storage.database)
    due = sources_to_check(db, datetime.fromisoformat(at))
    print(len(due))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--due", nargs=2, metavar=("CONFIG", "TIME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.due:
        return measure_due(*args.due)
    if args.keep is not None:
        if (args.keep / "data").exists():
            # Sources checked before would answer 304 from the first simulated day, and
            # the schedule would never learn their age: the figures would be wrong.
            raise SystemExit(f"{args.keep} holds the data of an earlier run: give an empty or new folder")
        args.keep.mkdir(parents=True, exist_ok=True)
        return run(args.keep, args.sources, args.days)
    with tempfile.TemporaryDirectory(prefix="citewatch-scale-") as folder:
        run(Path(folder), args.sources, args.days)


def run(folder: Path, sources: int, days: int) -> None:
    config = folder / "citewatch.toml"
    config.write_text('[storage]\ndir = "data"\n[wayback]\nenabled = false\n[dead]\nfailures = 3\nmin_days = 3\n')
    settings = settings_from_dict({"storage": {"dir": str(folder / "data")}, "wayback": {"enabled": False}})
    figures: list[tuple[str, str]] = []

    def report(what: str, value: str) -> None:
        figures.append((what, value))
        print(f"{what:<44} {value}", flush=True)

    write_tracker(folder / "tracker.jsonl", sources)
    seconds, rss = timed([CITEWATCH, "--config", str(config), "-q", "ingest", str(folder / "tracker.jsonl")])
    report(f"ingest {sources:,} sources", f"{seconds:8.1f} s   {rss:6.0f} MB")
    database = settings.storage.database
    after_ingest = database.stat().st_size

    # The days simulated end now, so that the report's "changed since" sees the day after;
    # the tracker was ingested when they began.
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days + 1)
    backdate(database, start)
    started = time.monotonic()
    checked = simulate(settings, start, days)
    total = sum(checked.values())
    report(f"simulate {days} days: {total:,} checks", f"{time.monotonic() - started:8.1f} s   "
           f"({', '.join(f'{n:,} {status}' for status, n in checked.most_common())})")

    seconds, rss = timed([sys.executable, __file__, "--due", str(config), datetime.now(timezone.utc).isoformat()])
    report("one day's due list", f"{seconds:8.1f} s   {rss:6.0f} MB")
    seconds, rss = timed([CITEWATCH, "--config", str(config), "status", "--json"])
    report("status --json", f"{seconds:8.1f} s   {rss:6.0f} MB")
    seconds, rss = timed([CITEWATCH, "--config", str(config), "status", "--state", "dead", "--json"])
    report("status --state dead --json", f"{seconds:8.1f} s   {rss:6.0f} MB")
    seconds, rss = timed([CITEWATCH, "--config", str(config), "report", "--out", str(folder / "report")])
    report("report, full", f"{seconds:8.1f} s   {rss:6.0f} MB")

    sizes = table_sizes(database)
    size = database.stat().st_size
    report("database", f"{size / 1e6:8.1f} MB  ({', '.join(f'{name} {pages / 1e6:.0f}' for name, pages in list(sizes.items())[:6])} MB)")
    report("growth per check, all kinds", f"{(size - after_ingest) / max(total, 1):8.1f} bytes")

    with sqlite3.connect(database) as connection:  # the digest of one day: older events were alerted
        connection.execute("UPDATE events SET alerted_at = '2026-01-01T00:00:00+00:00' WHERE alerted_at IS NULL")
    simulate(settings, datetime.now(timezone.utc).replace(microsecond=0), 1)  # the day since the full report
    seconds, rss = timed([CITEWATCH, "--config", str(config), "report", "--out", str(folder / "report")])
    report("report, after one more day", f"{seconds:8.1f} s   {rss:6.0f} MB")
    seconds, rss = timed([CITEWATCH, "--config", str(config), "alert", "--dry-run"])
    report("one day's digest (alert --dry-run)", f"{seconds:8.1f} s   {rss:6.0f} MB")
    sample = min(sources, 20_000)
    report(f"growth per unchanged daily check ({sample:,} sources, 30 days)",
           f"{daily_growth(folder / 'daily', sample):8.1f} bytes per source per check")


if __name__ == "__main__":
    main()
