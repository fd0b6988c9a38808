"""Faults: random citewatch commands at once, some killed with SIGKILL, then the invariants.

    python bench/faults.py [--seconds 60] [--sources 200] [--seed N]

Over a loopback web whose pages change every few seconds, a real SMTP server (aiosmtpd)
and a fake Wayback Machine, random commands (check, archive, alert, report, run, daemon,
status, ingest) run side by side for a set time, each crawl split over child processes
with extraction workers; random ones are killed with SIGKILL at random moments, daemons
that live are stopped with SIGTERM. Then, once a last `alert` has sent what is left:

- every event alerted exactly once: no Message-ID received twice, every message marked
  sent (or possibly sent) was received, no event is left unalerted, and no edit is
  reported twice (two crawls at once finding the same change);
- nothing lost: every check, event and outbox row seen while commands ran is still stored;
- `PRAGMA integrity_check` is ok and every WARC file reads to its end;
- no process of a killed command alive 5 s after the kill (nor of one that exited);
- no traceback in any command's output, and every exit status documented (0 or 1).

It prints what it did and what it found, and exits 1 unless duplicates, orphans, lost
items and tracebacks are all 0. Needs the test extras (pip install -e '.[test]') and
Linux (/proc). tests/test_faults.py runs a short form.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fake_wayback import FakeWayback  # noqa: E402
from helpers import ARTICLE, living_in_group, write_record  # noqa: E402
from smtp_server import SmtpServer  # noqa: E402
from webserver import Page, Web  # noqa: E402

EPOCH_SECONDS = 4  # the pages change this often
MAX_RUNNING = 4  # commands at once
KILL_SHARE = 0.4  # of the commands started, this share is killed
ORPHAN_GRACE = 5.0  # seconds a killed command's processes have to end
# `citewatch` with every crawl split over child processes, however small
LAUNCH = ("import sys; from citewatch.crawler import runner; runner.SHARD_THRESHOLD = 1; "
          "from citewatch.scheduler.cli import cli; sys.exit(cli())")


@dataclass
class Findings:
    commands: int = 0
    kills: int = 0
    terminated: int = 0
    exits: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    events: int = 0
    checks: int = 0
    duplicates: int = 0
    orphans: int = 0
    lost: int = 0
    tracebacks: int = 0
    undocumented_exits: int = 0
    unalerted: int = 0
    broken: list[str] = field(default_factory=list)  # integrity and WARC problems
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.orphans or self.lost or self.tracebacks or self.undocumented_exits
                    or self.unalerted or self.broken)

    def lines(self) -> list[str]:
        exits = ", ".join(f"{status}: {count}" for status, count in sorted(self.exits.items()))
        return [
            f"commands run       {self.commands} (exit statuses {exits})",
            f"killed (SIGKILL)   {self.kills}",
            f"daemons stopped    {self.terminated} (SIGTERM)",
            f"checks stored      {self.checks}",
            f"events             {self.events}",
            f"messages received  {self.messages}",
            f"duplicates         {self.duplicates}",
            f"orphans            {self.orphans}",
            f"lost items         {self.lost}",
            f"unalerted events   {self.unalerted}",
            f"tracebacks         {self.tracebacks}",
            f"undocumented exits {self.undocumented_exits}",
            f"integrity, WARC    {'ok' if not self.broken else '; '.join(self.broken)}",
            *self.notes,
        ]


@dataclass
class Command:
    args: list[str]
    process: subprocess.Popen
    output: Path
    kill_at: float | None = None  # monotonic time
    stop_at: float | None = None  # daemons: SIGTERM at this time
    killed: bool = False
    terminated: bool = False  # sent SIGTERM: ending by it is as documented


class World:
    """The loopback web, the SMTP server and the fake Wayback Machine, and a data directory."""

    def __init__(self, directory: Path, sources: int) -> None:
        self.directory = directory
        self.web = Web()
        self.smtp = SmtpServer()
        self.smtp.start()
        self.wayback = FakeWayback()
        self.wayback.pending_polls = 0
        urls = []
        for number in range(sources):
            path = f"/story/{number}"
            if number % 10 == 9:
                self.web.pages[path] = Page("<h1>Not found</h1>", status=404)
            else:
                self.web.pages[path] = _changing(number)
            host = "127.0.0.1" if number % 2 else "localhost"
            urls.append(f"http://{host}:{self.web.port}{path}")
        self.record = write_record(directory / "record.json", "incident", urls)
        self.config = directory / "citewatch.toml"
        self.config.write_text(
            '[storage]\ndir = "data"\n'
            "[crawl]\ndelay = 0\ntimeout = 3\nallow_private_addresses = true\nprocesses = 2\nextract_workers = 2\n"
            f'[wayback]\nbase_url = "{self.wayback.base_url}"\nper_minute = 6000\nmin_interval = "1s"\ntimeout = 5\n'
            f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {self.smtp.port}\nrecipients = ["m@tracker.example"]\n'
            f'[schedule]\ntick = "2s"\ndigest = "* * * * *"\nreport = "* * * * *"\nreport_dir = "report"\n'
            'min_interval = "1s"\nstop_timeout = "20s"\n'
        )

    @property
    def database(self) -> Path:
        return self.directory / "data" / "citewatch.db"

    def close(self) -> None:
        self.web.close()
        self.smtp.stop()
        self.wayback.close()


def _changing(number: int) -> Page:
    return Page(lambda _: ARTICLE.replace("Friday", f"day {number}-{int(time.time() // EPOCH_SECONDS)}"))


COMMANDS: list[tuple[int, list[str]]] = [  # weight, arguments
    (3, ["check", "--all"]), (2, ["check"]), (3, ["alert"]), (2, ["archive", "--max-time", "8s"]),
    (1, ["report", "--out", "report-by-hand"]), (3, ["run"]), (2, ["daemon"]), (1, ["status"]),
    (1, ["ingest", "{record}"]),
]


def start(world: World, args: list[str], rng: random.Random, number: int) -> Command:
    args = [arg.replace("{record}", str(world.record)) for arg in args]
    output = world.directory / f"command-{number}.out"
    with output.open("wb") as handle:
        process = subprocess.Popen([sys.executable, "-c", LAUNCH, "--config", str(world.config), *args],
                                   stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=world.directory, start_new_session=True)
    now = time.monotonic()
    command = Command(args, process, output)
    if rng.random() < KILL_SHARE:
        command.kill_at = now + rng.uniform(0.2, 3.0)
    elif args[0] == "daemon":
        command.stop_at = now + rng.uniform(3.0, 10.0)
    return command


class Watcher:
    """Reads what is stored while commands run: every id seen must still be there at the end."""

    TABLES = ("checks", "events", "outbox")

    def __init__(self, database: Path) -> None:
        self.database = database
        self.seen: dict[str, set[int]] = {table: set() for table in self.TABLES}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.3):
            self.look()

    def look(self) -> dict[str, set[int]]:
        now: dict[str, set[int]] = {table: set() for table in self.TABLES}
        if not self.database.exists():
            return now
        try:
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30) as connection:
                for table in self.TABLES:
                    now[table] = {row[0] for row in connection.execute(f"SELECT id FROM {table}")}
        except sqlite3.Error:
            return now  # not yet created, or migrating: looked at again in a moment
        for table in self.TABLES:
            self.seen[table] |= now[table]
        return now

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_faults(seconds: float, sources: int, seed: int, directory: Path) -> Findings:
    rng = random.Random(seed)
    findings = Findings()
    world = World(directory, sources)
    try:
        _cli(world, "ingest", str(world.record))
        _cli(world, "check", "--all")  # a first version of every page, then a second with an edit:
        time.sleep(EPOCH_SECONDS - time.time() % EPOCH_SECONDS + 0.1)  # events to alert from the start
        _cli(world, "check", "--all")
        watcher = Watcher(world.database)
        running: list[Command] = []
        finished: list[Command] = []
        deadline = time.monotonic() + seconds
        number = 0
        while time.monotonic() < deadline or running:
            now = time.monotonic()
            if now < deadline and len(running) < MAX_RUNNING:
                args = rng.choices([args for _, args in COMMANDS], weights=[weight for weight, _ in COMMANDS])[0]
                running.append(start(world, args, rng, number))
                number += 1
            for command in list(running):
                if command.kill_at is not None and now >= command.kill_at and command.process.poll() is None:
                    command.process.send_signal(signal.SIGKILL)
                    command.killed = True
                    findings.kills += 1
                elif command.stop_at is not None and (now >= command.stop_at or now >= deadline):
                    command.process.send_signal(signal.SIGTERM)
                    command.stop_at = None
                    command.terminated = True
                    findings.terminated += 1
                elif command.kill_at is not None and now >= deadline:
                    command.kill_at = now  # the run is over: killed now instead
                if command.process.poll() is not None:
                    running.remove(command)
                    finished.append(command)
            time.sleep(rng.uniform(0.05, 0.6))
        for command in finished:
            findings.orphans += _orphans(command)
        final_alert = _cli(world, "alert")
        watcher.stop()
        _judge(world, watcher, finished, final_alert, findings)
    finally:
        world.close()
    return findings


def _cli(world: World, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LAUNCH, "--config", str(world.config), *args],
                          capture_output=True, text=True, cwd=world.directory, timeout=300)


def _orphans(command: Command) -> int:
    """Processes of the command's group alive ORPHAN_GRACE seconds after it ended (killed
    ones are then killed, so that one leak is counted once)."""
    group = command.process.pid
    deadline = time.monotonic() + ORPHAN_GRACE
    while time.monotonic() < deadline and living_in_group(group):
        time.sleep(0.1)
    left = living_in_group(group)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return len(left)


def _judge(world: World, watcher: Watcher, finished: list[Command], final_alert: subprocess.CompletedProcess,
           findings: Findings) -> None:
    findings.commands = len(finished)
    failures: Counter[str] = Counter()
    for command in finished:
        status = "killed" if command.killed else str(command.process.returncode)
        findings.exits[status] = findings.exits.get(status, 0) + 1
        text = command.output.read_text(errors="replace")
        if "Traceback" in text:
            findings.tracebacks += 1
            findings.notes.append(f"traceback in `{' '.join(command.args)}`:\n{_tail(text)}")
        documented = (0, 1, -signal.SIGTERM) if command.terminated else (0, 1)
        if not command.killed and command.process.returncode not in documented:
            findings.undocumented_exits += 1
            findings.notes.append(f"`{' '.join(command.args)}` exited {command.process.returncode}:\n{_tail(text)}")
        elif not command.killed and command.process.returncode == 1:
            said = re.sub(r"pid \d+", "pid N", _tail(text, 1).strip())
            failures[f"`{command.args[0]}` exited 1: {said}"] += 1
    findings.notes.extend(f"{line} (x{count})" for line, count in failures.items())
    if final_alert.returncode != 0 or "Traceback" in final_alert.stdout + final_alert.stderr:
        findings.broken.append(f"the last alert failed: {_tail(final_alert.stdout + final_alert.stderr)}")
    final = watcher.look()
    findings.lost = sum(len(watcher.seen[table] - final[table]) for table in Watcher.TABLES)
    findings.checks, findings.events = len(final["checks"]), len(final["events"])
    received = [str(message["Message-ID"]) for message in world.smtp.inbox.messages]
    findings.messages = len(received)
    findings.duplicates = len(received) - len(set(received))
    with sqlite3.connect(world.database, timeout=30) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            findings.broken.append(f"integrity_check: {integrity}")
        findings.duplicates += connection.execute(  # one edit found by two crawls at once, alerted twice
            "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM events WHERE kind = 'changed' "
            "GROUP BY source_id, json_extract(detail, '$.snapshot_before'))").fetchone()[0]
        findings.unalerted = connection.execute("SELECT COUNT(*) FROM events WHERE alerted_at IS NULL").fetchone()[0]
        out = {row[0] for row in connection.execute("SELECT message_id FROM outbox WHERE state IN ('sent', 'uncertain')")}
    never_received = out - set(received)
    findings.lost += len(never_received)
    if never_received:
        findings.notes.append(f"marked sent but never received: {sorted(never_received)}")
    for warc in sorted((world.directory / "data" / "warc").glob("*.warc.gz")):
        check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", str(warc)], capture_output=True, text=True)
        if check.returncode != 0:
            findings.broken.append(f"{warc.name}: {_tail(check.stdout + check.stderr, 2)}")


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long commands are started (default 60)")
    parser.add_argument("--sources", type=int, default=200, help="cited pages on the loopback web (default 200)")
    parser.add_argument("--seed", type=int, default=None, help="for a run that can be repeated (default: random)")
    options = parser.parse_args()
    seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    print(f"faults: {options.seconds:.0f} s of random commands over {options.sources} sources, seed {seed}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="citewatch-faults-") as directory:
        findings = run_faults(options.seconds, options.sources, seed, Path(directory))
    for line in findings.lines():
        print(line)
    print(f"{'passed' if findings.ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return 0 if findings.ok else 1


if __name__ == "__main__":
    sys.exit(main())
