"""citewatch as a library: `Citewatch` does the work, the command line is a thin layer over it.

    from citewatch import Citewatch, load_settings

    with Citewatch(load_settings("citewatch.toml")) as cw:
        cw.ingest(["records/"])
        cw.check(all=True)
        dead = cw.status(state="dead")

Each method returns plain dataclasses and raises citewatch.errors.BadInput (a URL, slug,
path or setting that cannot be used; the message names it), RunFailed, or Busy (another
citewatch process is doing that job right now: a crawl, timestamping, the Wayback queue,
a run, the alerts; `alert` waits its turn for a while first).

What it does to the program that hosts it:
- a crawl runs Scrapy on Twisted's asyncio reactor, started once per process in a daemon
  thread and reused by every later crawl (a program that installed another Twisted reactor
  first gets a clear RuntimeError); crawls in one process run one at a time;
- crawls of 64 sources or more extract text in worker processes (a forkserver), and
  crawls of 1,000 or more are split over child processes (spawned). Like every program
  that starts processes this way, the host's main module must be safe to import: its own
  work guarded by `if __name__ == "__main__":`. A worker that finds it unguarded stops at
  once with UnsafeMainModule instead of running the host program again; interactive
  sessions and notebooks need nothing. No process that citewatch starts outlives the
  crawl that started it, except the extraction workers, which the host keeps until it
  exits; none outlives the host, however it ends (see crawler/lifeline.py).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from .config import Settings
from .crawler.change import compare_articles
from .crawler.control import CrawlControl
from .crawler.copies import judge_copies
from .crawler.feeds import FeedAnswer, FeedRequest, pull
from .crawler.judges import Judges
from .crawler.noise import Noise
from .crawler.runner import run_check
from .errors import BadInput, Busy, UnknownIncident, UnknownSource, UnsafeMainModule
from .model import Change, CheckSummary, Problem, State, StoredSnapshot
from .reports.alerts import AlertRun, send_alerts
from .reports.browse import browse_app
from .reports.digest import pending_digest
from .reports.email import render_message
from .reports.formats import previous_report, remember_report, report_format
from .reports.linkrot import build_report
from .reports.notify import active_notifiers, configured_notifiers
from .storage import history, jobs
from .storage.archive import ArchivedResponse, WarcArchive
from .storage.checks import sources_to_check, volatile_signatures
from .storage.database import data_dir_problems, open_database
from .storage.evidence import StampRun, VersionCheck, stamp_pending, verify_versions
from .storage.ingest import IngestReport, feed_validators, ingest_records, record_pull
from .storage.lock import RunLock
from .storage.outbox import waiting_by_channel
from .storage.records import Problem as InputProblem
from .storage.records import index_urls, read_records
from .storage.reporting import incidents_changed_since
from .storage.status import SourceStatus, incident_exists, incident_slugs, source_statuses
from .storage.wacz import WaczExport, export_wacz
from .storage.wayback import WaybackClient
from .storage.wayback_queue import QueueRun, refresh_archive_links, run_queue
from .times import end_of, from_iso, to_iso, utc_now
from .urls import check_cited_url, normalize_url, without_credentials
from .version import __version__

logger = logging.getLogger(__name__)
T = TypeVar("T")

REPORT_MARGIN = timedelta(hours=1)  # a check is stored within moments of its fetch; this covers a slow crawl
WAYBACK_BUDGET_SECONDS = 120  # a cron run submits for at most this long; the rest waits
STAMP_BUDGET_SECONDS = 120  # a run asks for timestamp tokens for at most this long; the rest waits
COPY_CHECK_SECONDS = 30  # at least this long to check new Wayback copies, after the queue's budget
ALERT_WAIT_SECONDS = 120  # an alert waits this long for another sender to finish


@dataclass
class LookupRun:
    """What `archive(lookup=True)` found: sources looked up, those with a copy, and the
    copies fetched back and judged."""

    looked_up: int
    found: int
    judged: int = 0


@dataclass(frozen=True)
class ReportRun:
    files: list[Path]
    incidents: int
    entry: Path  # the file a reader opens first
    changed: int | None = None  # written again as changed since the last report (None: written whole)


@dataclass
class Diagnosis:
    """What `doctor` checked, and the problems it found."""

    checked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, what: str, problems: Iterable[Problem | None]) -> None:
        self.checked.append(what)
        self.problems += [problem for problem in problems if problem is not None]


@dataclass
class CycleReport:
    """What one `run_cycle` did; `busy` says which of its jobs another process was doing."""

    ingested: list[IngestReport] = field(default_factory=list)  # one for each feed pulled
    checks: CheckSummary = field(default_factory=CheckSummary)
    stamps: StampRun | None = None
    wayback: QueueRun | LookupRun | None = None
    alerts: AlertRun | None = None
    report: ReportRun | None = None
    busy: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.checks.failed or self.checks.lost or (self.alerts and self.alerts.errors)
                    or any(report.problems or report.not_retired for report in self.ingested))


class Citewatch:
    """citewatch over one data directory. Owns the settings and the database connection
    (opened on first use, in the thread that uses it: one instance per thread)."""

    def __init__(self, settings: Settings | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        """Raises BadInput naming the key of a plug-in (judge, noise rule, notifier, report
        format) that the config names but that cannot be loaded. `clock` goes to the
        crawl's child processes in big crawls, so it must be picklable."""
        _refuse_to_rerun_the_host()
        self.settings = settings or Settings()
        self.clock = clock
        Judges.from_settings(self.settings.judges)
        Noise.from_settings(self.settings.noise)
        report_format(self.settings.schedule.report_format, "schedule.report_format")
        configured_notifiers(self.settings)
        self._db: Database | None = None

    # -- lifetime -------------------------------------------------------------------------

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.settings.storage.database)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> "Citewatch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest and check -----------------------------------------------------------------

    def ingest(self, inputs: Iterable[str | Path], on_record: Callable[[], None] | None = None,
               complete: bool = False, headers: dict[str, str] | None = None) -> IngestReport:
        """Read incident records from files, folders or http(s) URLs of exports and store them
        as they are read, each record whole or not at all. A URL is pulled with a conditional
        GET (an export not modified since its last pull is not read again) and may be an
        index listing record URLs. Problems in the input (a bad file, feed or record) are in
        the report's `problems`; the rest is stored. `on_record` is called after each. With
        `complete`, the input is the tracker's every incident: those it lacks are retired
        (within ingest.retire_limit), and any it brings back are revived."""
        db = self.db  # opened first: it makes the data directory, where pulled exports wait to be read
        with tempfile.TemporaryDirectory(dir=self.settings.storage.dir, prefix=".pulled-") as scratch:
            paths, names, pulled, problems = [], {}, [], []
            for item in inputs:
                if not str(item).startswith(("http://", "https://")):
                    paths.append(Path(item))
                    continue
                url = without_credentials(str(item))
                if url != str(item):
                    problems.append(InputProblem(url, "a user name and password in the URL were removed (pass "
                                                      "credentials in headers, as a feed's headers_env does)", False))
                for answer in self._pull(url, Path(scratch), headers or {}):
                    pulled.append(answer)
                    if answer.problem is not None:
                        problems.append(InputProblem(answer.url, answer.problem))
                    elif answer.body is not None and not answer.index:
                        paths.append(answer.body)
                        names[answer.body] = answer.url
            read = read_records(paths, names)
            read.problems.extend(problems)
            unchanged = [answer.url for answer in pulled if answer.not_modified]
            report = ingest_records(db, read, self.clock(), on_record=on_record,
                                    complete=complete and not unchanged, retire_limit=self.settings.ingest.retire_limit)
        report.not_modified = unchanged
        if complete and unchanged and paths:
            report.not_retired = "an export was not modified since its last pull, so this input is not the whole tracker"
        if read.whole:
            for answer in pulled:
                if answer.body is not None and (answer.etag or answer.last_modified):  # an index's too
                    record_pull(db, answer.url, answer.etag, answer.last_modified, self.clock())
        return report

    def feeds_due(self) -> bool:
        """Whether [[ingest.feeds]] are to be pulled now (schedule.ingest fired since the last pull)."""
        cron = self.settings.schedule.ingest
        return bool(self.settings.ingest.feeds) and cron is not None and jobs.is_due(self.db, "ingest", cron, self.clock())

    def pull_feeds(self) -> list[IngestReport]:
        """Pull and ingest every feed of [[ingest.feeds]], each on its own (a feed that fails
        stops no other); one report each."""
        reports = []
        for feed in self.settings.ingest.feeds:
            headers = _header_lines(os.environ.get(feed.headers_env, "")) if feed.headers_env else {}
            reports.append(self.ingest([feed.url], complete=feed.complete, headers=headers))
        jobs.record_run(self.db, "ingest", self.clock())
        return reports

    def _pull(self, url: str, scratch: Path, headers: dict[str, str]) -> list[FeedAnswer]:
        """A feed pulled into `scratch`: its answer, or (for an index) those of the records it lists."""
        crawl, limit = self.settings.crawl, self.settings.ingest.max_feed_bytes
        etag, last_modified = feed_validators(self.db, url)

        def fetch(target: str, conditional: bool) -> FeedAnswer:
            request = FeedRequest(target, headers, etag if conditional else None, last_modified if conditional else None)
            handle, body = tempfile.mkstemp(suffix=".json", dir=scratch)
            os.close(handle)
            return pull(request, Path(body), crawl.timeout, limit, crawl.user_agent, crawl.allow_private_addresses)

        answer = fetch(url, conditional=True)
        listed = index_urls(answer.body) if answer.body is not None else None
        return [answer] if listed is None else [replace(answer, index=True), *(fetch(without_credentials(item), False) for item in listed)]

    def check(self, urls: Iterable[str] | None = None, all: bool = False, on_checked: Callable[[], None] | None = None,
              on_start: Callable[[int], None] | None = None, control: CrawlControl | None = None) -> CheckSummary:
        """Fetch the sources that are due (every cited one with `all`, or the given `urls`)
        and store what each fetch found. Blocks until done; `control` can stop it from
        another thread. Raises UnknownSource for a URL that no record cites."""
        wanted = None
        if urls is not None:
            urls = list(urls)
            wanted = [normalize_url(check_cited_url(url)) for url in urls]
        sources = sources_to_check(self.db, self.clock(), everything=all, urls=wanted)
        if wanted is not None and len(sources) < len(set(wanted)):
            known = {normalize_url(source.url) for source in sources}
            missing = [url for url in urls or () if normalize_url(url) not in known]
            raise UnknownSource(f"not a cited source: {', '.join(missing)} (ingest a record citing it first)")
        with self._turn("crawl", "crawl"):
            if on_start is not None:
                on_start(len(sources))
            summary = run_check(self.settings, sources, clock=self.clock, control=control, on_checked=on_checked)
        logger.info("checked %d sources: %s; %d content changes", summary.checked, summary.states, summary.changed)
        if summary.failed:
            logger.error("%d checks failed, their sources still due: %s", summary.failed, summary.failures)
        return summary

    # -- what is stored -------------------------------------------------------------------

    def status(self, incident: str | None = None, state: State | str | None = None) -> Iterator[SourceStatus]:
        """Where every cited source stands, optionally of one incident or in one state: one
        source at a time, so that a million take no more memory than one. The incident and
        state are checked at the call."""
        self._known_incident(incident)
        if state is not None:
            try:
                state = State(state)
            except ValueError:
                raise BadInput(f"no state {state!r} (known: {', '.join(State)})") from None
        return source_statuses(self.db, incident=incident, state=state)

    def incidents(self, prefix: str = "") -> list[str]:
        """The slugs of the incidents ingested that start with `prefix`."""
        return incident_slugs(self.db, prefix)

    def history(self, url: str) -> list[history.HistoryEntry]:
        """Every check of the source, oldest first, with the events it raised."""
        return history.source_history(self.db, self._source_id(url))

    def diff(self, url: str) -> history.ChangeRecord | None:
        """The source's latest content change, or None if it never changed."""
        return history.latest_change(self.db, self._source_id(url))

    def snapshot(self, url: str, at: str | None = None) -> history.SnapshotRecord | None:
        """The extracted text current at `at` (ISO 8601, UTC unless stated; a date means
        the end of that day), or the latest."""
        return history.snapshot_at(self.db, self._source_id(url), _moment(at))

    def raw_snapshot(self, url: str, at: str | None = None) -> ArchivedResponse | None:
        """The archived response current at `at` (as for snapshot), body decoded."""
        location = history.archived_at(self.db, self._source_id(url), _moment(at))
        return self._archive().read(location) if location is not None else None

    def export_warc(self, out: str | Path, incident: str | None = None) -> int:
        """Write every archived version (of one incident's sources) into one WARC file; how many."""
        self._known_incident(incident)
        return len(self._archive().export(history.warc_locations(self.db, incident), Path(out)))

    def export_wacz(self, out: str | Path, incident: str) -> WaczExport:
        """Write a WACZ of every archived version of the incident's sources, with their
        digests and timestamp tokens (see storage/wacz.py)."""
        self._known_incident(incident)
        return export_wacz(self.db, self._archive(), self.settings.evidence, incident, Path(out))

    # -- evidence -------------------------------------------------------------------------

    def stamp(self, max_seconds: float = STAMP_BUDGET_SECONDS) -> StampRun:
        """Get trusted timestamp tokens for archived versions still without one (from the
        authorities in evidence.tsa_urls, in order), for at most `max_seconds`."""
        with self._turn("timestamps", "timestamping"):
            run = stamp_pending(self.db, self._archive(), self.settings.evidence, clock=self.clock,
                                max_seconds=max_seconds)
        for error in run.errors:
            logger.warning("timestamps: %s", error)
        if run.stamped or run.hashed:
            logger.info("timestamps: %d versions stamped, %d hashed, %d pending", run.stamped, run.hashed, run.pending)
        return run

    def verify(self, incident: str | None = None, url: str | None = None) -> list[VersionCheck]:
        """Read every archived version (of one incident's sources, or of one source) back
        and check its digests and timestamp token; each result lists what does not hold."""
        self._known_incident(incident)
        source_id = self._source_id(url) if url is not None else None
        return verify_versions(self.db, self._archive(), self.settings.evidence, incident, source_id)

    # -- archive, alert, report -----------------------------------------------------------

    def archive(self, lookup: bool = False, max_seconds: float = 300, keep_going: Callable[[], bool] = lambda: True,
                sleep: Callable[[float], object] = time.sleep) -> QueueRun | LookupRun | None:
        """Run the Wayback Machine queue once (None when wayback.enabled is false), or with
        `lookup` refresh every source's best existing copy through the CDX API; then fetch
        back and judge the captures not judged yet (crawler/copies.py), in the time left."""
        wayback = self.settings.wayback
        if not wayback.enabled:
            return None
        client = WaybackClient(wayback)
        started = time.monotonic()
        with self._turn("wayback", "Wayback queue run"):
            if lookup:
                run: QueueRun | LookupRun = LookupRun(*refresh_archive_links(self.db, client))
            else:
                run = run_queue(self.db, wayback, client, clock=self.clock, sleep=sleep, max_seconds=max_seconds,
                                keep_going=keep_going)
            left = max(max_seconds - (time.monotonic() - started), COPY_CHECK_SECONDS)
            run.judged = judge_copies(self.db, client, Judges.from_settings(self.settings.judges),
                                      Noise.from_settings(self.settings.noise), self.clock, left, keep_going)
        if isinstance(run, QueueRun) and (run.submitted or run.failed or run.paused_until):
            logger.info("wayback: %d submitted, %d failed, %d pending%s", run.submitted, run.failed, run.pending,
                        f", paused until {run.paused_until}" if run.paused_until else "")
        return run

    def alert(self, dry_run: bool = False) -> AlertRun:
        """Send every event not yet alerted as one digest, through every notifier enabled,
        and whatever an earlier run could not send. With `dry_run`, nothing is sent or
        marked: the run's `preview` holds the email digest as text."""
        if dry_run:
            return AlertRun(preview=self._preview())
        notifiers = active_notifiers(self.settings)
        if not notifiers:
            return AlertRun(disabled=True)
        with self._turn("alert", "alert sender", wait=ALERT_WAIT_SECONDS):  # the others wait their turn
            run = send_alerts(self.db, notifiers, clock=self.clock)
        for error in run.errors:
            logger.error("alert digest: %s", error)
        logger.info("alert digest: %d messages sent, %d events alerted", run.messages_sent, run.events_alerted)
        return run

    def report(self, out: str | Path, fmt: str = "html", incident: str | None = None, full: bool = False) -> ReportRun:
        """Write the link-rot report (from the database alone) in format `fmt` under `out`.
        A format with a page per incident, written there before by this version with the
        same links, gets only the pages of incidents that changed since (and its index);
        `full` (or `incident`) writes every page."""
        self._known_incident(incident)
        form = report_format(fmt)
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        serve = self.settings.serve
        browse_url = serve.public_url if serve.report_links else None
        signature = json.dumps([__version__, form.name, browse_url])
        started = self.clock()
        since = None if full or incident is not None or not form.incremental else previous_report(out, signature)
        only = incidents_changed_since(self.db, to_iso(from_iso(since) - REPORT_MARGIN)) if since else None
        site = build_report(self.db, incident, compare=self._drift_measure(), browse_url=browse_url, only=only)
        files = form.write(self.db, site, out)
        if form.incremental and incident is None:
            remember_report(out, signature, to_iso(started))
        logger.info("report: %d files written to %s", len(files), out)
        return ReportRun(files, len(site.summaries), out / form.entry, None if only is None else len(only))

    # -- doctor ---------------------------------------------------------------------------

    def doctor(self) -> Diagnosis:
        """Check what citewatch needs to do its work: the data directory, each notifier
        (the SMTP server is connected to and logged in to; nothing is sent), the Wayback
        Machine and the time-stamping authorities. Changes nothing."""
        diagnosis = Diagnosis()
        storage = self.settings.storage
        data_problems = data_dir_problems(storage.dir, storage.database)
        diagnosis.add("the data directory", data_problems)
        try:
            notifiers = active_notifiers(self.settings)
        except BadInput as error:
            diagnosis.add("the notifiers", [Problem("notifiers", str(error), "Fix the [email] or [[notify]] section")])
            notifiers = []
        for notifier in notifiers:
            diagnosis.add(f"notifier {notifier.channel}", notifier.problems())
        if not data_problems:
            diagnosis.add("the outbox", self._stranded_messages({notifier.channel for notifier in notifiers}))
        if self.settings.wayback.enabled:
            diagnosis.add("the Wayback Machine", [WaybackClient(self.settings.wayback).problem()])
        evidence = self.settings.evidence
        if evidence.tsa_urls:
            from .storage.timestamps import authority_problems  # cryptography: only doctor and stamping load it

            diagnosis.add("the time-stamping authorities",
                          authority_problems(evidence.tsa_urls, evidence.tsa_roots, evidence.timeout))
        return diagnosis

    def _stranded_messages(self, channels: set[str]) -> list[Problem]:
        return [Problem(f"outbox channel {channel!r}", f"{count} messages wait, but no notifier has this channel",
                        f"Restore its [[notify]] table (channel = \"{channel}\"): until they go out, their events "
                        "stay unalerted")
                for channel, count in waiting_by_channel(self.db).items() if channel not in channels]

    # -- browse ---------------------------------------------------------------------------

    def browse(self):  # type: ignore[no-untyped-def]
        """A Datasette instance over the database, read-only, with citewatch's titles, facets
        and canned queries (see storage/browse.py): `citewatch serve` runs it, a program may
        query it through its `client`."""
        self.db  # the database exists and is migrated before Datasette reads it
        return browse_app(self.settings.storage.database)

    def serve(self, host: str | None = None, port: int | None = None,
              on_ready: Callable[[str], None] | None = None) -> None:
        """Serve `browse()` over HTTP at host:port (serve.host and serve.port unless given)
        until SIGINT or SIGTERM; `on_ready` gets its URL once it listens. BadInput if the
        address cannot be listened on."""
        import uvicorn

        host, port = host or self.settings.serve.host, port if port is not None else self.settings.serve.port
        app = self.browse()
        try:
            listening = socket.create_server((host, port))
        except OSError as error:
            raise BadInput(f"cannot serve on {host}:{port}: {error.strerror or error} (choose another --port)") from None
        with listening, _stop_on_signals():
            if on_ready is not None:
                on_ready(f"http://{host}:{listening.getsockname()[1]}/")
            # Uvicorn logs through citewatch's logging (log_config=None): its lines are for -v.
            uvicorn.run(app.app(), fd=listening.fileno(), log_config=None, access_log=False, lifespan="on")

    # -- scheduled jobs -------------------------------------------------------------------

    def send_digest(self) -> AlertRun:
        """The scheduled digest: alert, and remember that the job ran once every message
        went out (a digest that failed is tried again by the next run, not a day later)."""
        run = self.alert()
        if not run.errors:
            jobs.record_run(self.db, "digest", self.clock())
        return run

    def write_scheduled_report(self) -> ReportRun:
        """The scheduled report, where and how `schedule.report_dir`/`report_format` say."""
        schedule = self.settings.schedule
        run = self.report(schedule.report_dir, schedule.report_format)
        jobs.record_run(self.db, "report", self.clock())
        return run

    def run_cycle(self, on_checked: Callable[[], None] | None = None,
                  on_start: Callable[[int], None] | None = None) -> CycleReport:
        """Everything that is due now, once (for cron): check what is due, get timestamp
        tokens for new versions, run the Wayback queue for at most two minutes, send the digest and rewrite the report if their
        schedules have fired since they last ran. One run at a time per data directory
        (Busy if another is active); a crawl or Wayback queue that another process is
        running (a `check` by hand) is left to it."""
        with self._turn("citewatch", "run"):
            cycle = CycleReport()
            if self.feeds_due():
                cycle.ingested = self.pull_feeds()
            cycle.checks = _unless_busy(cycle.busy, lambda: self.check(on_checked=on_checked, on_start=on_start)) \
                or CheckSummary()
            cycle.stamps = _unless_busy(cycle.busy, self.stamp)
            cycle.wayback = _unless_busy(cycle.busy, lambda: self.archive(max_seconds=WAYBACK_BUDGET_SECONDS))
            now, schedule = self.clock(), self.settings.schedule
            if self.settings.notifies and jobs.is_due(self.db, "digest", schedule.digest, now):
                cycle.alerts = _unless_busy(cycle.busy, self.send_digest)
            if schedule.report is not None and jobs.is_due(self.db, "report", schedule.report, now):
                cycle.report = self.write_scheduled_report()
        return cycle

    # -- helpers --------------------------------------------------------------------------

    @contextmanager
    def _turn(self, job: str, doing: str, wait: float = 0) -> Iterator[None]:
        """Hold the lock of `job` (one process at a time does it), waiting up to `wait`
        seconds for another process to let it go, or raise Busy."""
        lock = RunLock(self.settings.storage.dir, job)
        if not lock.acquire(wait):
            raise Busy(f"Another citewatch {doing} is active (pid {lock.holder}): nothing to do.")
        with lock:
            yield

    def _drift_measure(self) -> Callable[[int, StoredSnapshot, StoredSnapshot], Change | None]:
        """How a source's text changed from the version a citation cited to the latest, as
        its changes are told (noise rules and the source's learned noise set aside)."""
        noise = Noise.from_settings(self.settings.noise)

        def drift(source_id: int, cited: StoredSnapshot, latest: StoredSnapshot) -> Change | None:
            return compare_articles(cited.extraction, latest.extraction, volatile_signatures(self.db, source_id),
                                    noise).change
        return drift

    def _archive(self) -> WarcArchive:
        storage = self.settings.storage
        return WarcArchive(storage.warc_dir, storage.warc_file_bytes)

    def _source_id(self, url: str) -> int:
        source_id = history.source_id_for(self.db, url)
        if source_id is None:
            raise UnknownSource(f"not a cited source: {url}")
        return source_id

    def _known_incident(self, incident: str | None) -> None:
        if incident is not None and not incident_exists(self.db, incident):
            raise UnknownIncident(f"no incident with slug {incident!r}")

    def _preview(self) -> str | None:
        digest = pending_digest(self.db)
        if not digest.incidents:
            return None
        email = self.settings.email
        message = render_message(digest, email, email.recipients, self.settings.schedule.report_url)
        headers = "".join(f"{name}: {message[name]}\n" for name in ("Subject", "From", "To"))
        return headers + "\n" + message.get_body(("plain",)).get_content()


def _header_lines(text: str) -> dict[str, str]:
    """HTTP headers from "Name: value" lines (a feed's API token, from its variable)."""
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {name.strip(): value.strip() for name, value in pairs if name.strip()}


class _Stop(Exception):
    """SIGTERM or SIGINT reached a server."""


def _stop(*_: object) -> None:
    raise _Stop


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT end a server as its normal end. Uvicorn handles them while it
    serves, then raises them again for the handlers it found: these, which end the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {stop: signal.signal(stop, _stop) for stop in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    except _Stop:
        pass
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)


def _unless_busy(busy: list[str], work: Callable[[], T]) -> T | None:
    """The result of `work`, or None (said in `busy`) when another process is doing it."""
    try:
        return work()
    except Busy as error:
        busy.append(str(error))
        return None


def _moment(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return end_of(value)
    except ValueError:
        raise BadInput(f"{value!r} is not an ISO 8601 date or time") from None


def _refuse_to_rerun_the_host() -> None:
    """A worker process (spawned or forkserver) imports the host's main module before it
    runs; an unguarded main module would run the host's work again there."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise UnsafeMainModule(
            "citewatch was started again while a worker process was importing this program's main module: "
            "put the program's own work under `if __name__ == \"__main__\":` (see 'citewatch as a library' in the README)"
        )
