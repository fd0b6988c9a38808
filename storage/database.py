"""The SQLite database: opening it, and its schema as sqlite-utils migrations.

Tables:
- incidents: one row per incident record (slug is the key);
- sources: one row per cited URL, identified by its normalised form;
- citations: which incident cites which source, in which role, with which title;
- checks: one row per fetch of a source, whatever its outcome, except that a run of
  fetches that found the source unchanged is one row (`repeats`, `last_checked_at`);
- snapshots: extracted text and metadata, stored only when it differs from the last one;
- text_dictionaries: what snapshot text is compressed with (see packing.py);
- events: what happened to a source (changed, dead, revived, ...), for alerts and reports;
- volatile_signatures: lines of a source's article text that are noise, not edits;
- wayback_queue, wayback_state: Save Page Now submissions and the queue's pacing;
- outbox: alert messages of every notifier, stored before they are sent so that none is
  sent twice;
- job_runs: when the scheduled jobs (digest, report) last ran;
- check_failures: checks that failed inside citewatch before they could be stored;
- evidence: per archived version, the SHA-256 of its WARC records and its RFC 3161
  timestamp token (pending until an authority answers);
- archive_copies: Wayback copies fetched and judged (verified, mismatch or unusable);
- cited_sources (a view): one row per citation, with its incident, host and state.

All SQL lives in this package.
"""

from __future__ import annotations

import fcntl
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database, Migrations

from citewatch.errors import BadInput
from citewatch.model import Problem
from citewatch.urls import credentials_redacted, without_credentials

DATABASE_FILENAME = "citewatch.db"

MIGRATIONS = Migrations("citewatch")
QUIET_OUTCOMES = ("unchanged", "not_modified")  # a check that found the source as it was
PAGE_SIZE = 16384


@MIGRATIONS()
def m001_initial_schema(db: Database) -> None:
    db["incidents"].create(
        {
            "slug": str,
            "title": str,
            "url": str,
            "category": str,
            "tags": str,  # JSON list
            "site": str,
            "exported_at": str,
            "source_file": str,
            "ingested_at": str,
        },
        pk="slug",
        not_null={"ingested_at"},
    )
    db["sources"].create(
        {
            "id": int,
            "url": str,  # normalised: the identity
            "cited_url": str,  # as first cited: what people see and what is fetched
            "created_at": str,
            "state": str,
            "reason": str,
            "http_status": int,
            "final_url": str,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_checked": str,
            "last_ok": str,
            "failure_count": int,
            "first_failure_at": str,
            "next_check_at": str,
            "archive_url": str,
        },
        pk="id",
        not_null={"url", "cited_url", "created_at", "state", "failure_count"},
        defaults={"state": "new", "failure_count": 0},
    )
    db["sources"].create_index(["url"], unique=True)
    db["sources"].create_index(["next_check_at"])
    db["citations"].create(
        {
            "id": int,
            "incident_slug": str,
            "source_id": int,
            "role": str,
            "cited_url": str,
            "title": str,
            "publisher": str,
        },
        pk="id",
        not_null={"incident_slug", "source_id", "role", "cited_url"},
        foreign_keys=[("incident_slug", "incidents", "slug"), ("source_id", "sources", "id")],
    )
    db["citations"].create_index(["incident_slug", "source_id", "role"], unique=True)
    db["citations"].create_index(["source_id"])
    db["checks"].create(
        {
            "id": int,
            "source_id": int,
            "checked_at": str,
            "url": str,
            "outcome": str,
            "http_status": int,
            "final_url": str,
            "redirects": str,  # JSON list of {"url", "status"}
            "error": str,
            "error_detail": str,
            "content_type": str,
            "elapsed": float,
            "bytes": int,
            "body_hash": str,
        },
        pk="id",
        not_null={"source_id", "checked_at", "url", "outcome"},
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["checks"].create_index(["source_id", "checked_at"])
    db["snapshots"].create(
        {
            "id": int,
            "source_id": int,
            "check_id": int,
            "taken_at": str,
            "title": str,
            "author": str,
            "published": str,
            "text": str,
            "text_hash": str,
        },
        pk="id",
        not_null={"source_id", "check_id", "taken_at", "text", "text_hash"},
        foreign_keys=[("source_id", "sources", "id"), ("check_id", "checks", "id")],
    )
    db["snapshots"].create_index(["source_id", "taken_at"])
    db["events"].create(
        {
            "id": int,
            "source_id": int,
            "check_id": int,
            "kind": str,
            "at": str,
            "summary": str,
            "detail": str,  # JSON object, kind-specific
            "alerted_at": str,
        },
        pk="id",
        not_null={"source_id", "kind", "at"},
        foreign_keys=[("source_id", "sources", "id"), ("check_id", "checks", "id")],
    )
    db["events"].create_index(["source_id", "kind"])
    db["events"].create_index(["alerted_at"])


@MIGRATIONS()
def m002_volatile_signatures(db: Database) -> None:
    """Per-source signatures of lines that are page noise (see crawler/noise.py)."""
    db["volatile_signatures"].create(
        {"source_id": int, "signature": str, "learned_at": str},
        pk=("source_id", "signature"),
        foreign_keys=[("source_id", "sources", "id")],
    )


@MIGRATIONS()
def m003_snapshot_headlines(db: Database) -> None:
    db["snapshots"].add_column("headlines", str)  # JSON object: title, og:title, h1


@MIGRATIONS()
def m004_local_archive(db: Database) -> None:
    """Where each check's record pair sits in the WARC files, and what was last archived."""
    for column in ("warc_file", "warc_offset", "warc_length"):
        db["checks"].add_column(column, str if column == "warc_file" else int)
    db["sources"].add_column("archived_hash", str)


@MIGRATIONS()
def m005_wayback_queue(db: Database) -> None:
    """Save Page Now submissions waiting or done, and the queue's own pacing state."""
    db["wayback_queue"].create(
        {
            "id": int,
            "source_id": int,
            "url": str,
            "reason": str,  # first capture | changed
            "enqueued_at": str,
            "status": str,  # pending | done
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "submitted_at": str,
            "archive_url": str,
        },
        pk="id",
        not_null={"source_id", "url", "enqueued_at", "status", "attempts", "next_attempt_at"},
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["wayback_queue"].create_index(["status", "next_attempt_at"])
    db["wayback_queue"].create_index(["url", "status"])
    db["wayback_state"].create(
        {"id": int, "paused_until": str, "busy_streak": int, "last_request_at": str}, pk="id", not_null={"busy_streak"}
    )
    db["wayback_state"].insert({"id": 1, "busy_streak": 0})


@MIGRATIONS()
def m006_alert_outbox(db: Database) -> None:
    """Alert emails waiting, being sent or sent; events remember the batch that carries them."""
    db["outbox"].create(
        {
            "id": int,
            "batch": int,
            "message_id": str,
            "recipients": str,  # JSON list
            "subject": str,
            "message": bytes,  # the whole message, as sent
            "state": str,  # prepared | sending | sent | uncertain
            "attempts": int,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        not_null={"batch", "message_id", "recipients", "message", "state", "attempts", "created_at"},
    )
    db["outbox"].create_index(["state"])
    db["outbox"].create_index(["batch"])
    db["events"].add_column("alert_batch", int)
    db["events"].create_index(["alert_batch"])


@MIGRATIONS()
def m007_state_after_each_check(db: Database) -> None:
    """The source's state after each check: the history behind the report's chart."""
    db["checks"].add_column("state", str)
    db["checks"].create_index(["checked_at"])


@MIGRATIONS()
def m008_job_runs(db: Database) -> None:
    """When each scheduled job (digest, report) last ran, so `run` from cron knows what is due."""
    db["job_runs"].create({"name": str, "last_run_at": str}, pk="name")


@MIGRATIONS()
def m009_source_changes_view(db: Database) -> None:
    """Per source, how many meaningful changes, the last one's time and event: one
    definition for status, reports and anything else that counts changes."""
    db.create_view(
        "source_changes",
        "SELECT source_id, COUNT(*) AS count, MAX(at) AS last_at, MAX(id) AS last_event_id "
        "FROM events WHERE kind = 'changed' GROUP BY source_id",
    )


@MIGRATIONS()
def m010_content_age_from_an_index(db: Database) -> None:
    """Every revisit reads when the source's latest snapshot was taken and the article's
    publication date: an index that holds both answers without reading the snapshot's
    row (its text makes it large). It replaces the index on (source_id, taken_at)."""
    db["snapshots"].create_index(["source_id", "taken_at", "id", "published"], index_name="snapshots_content_age")
    db.execute("DROP INDEX idx_snapshots_source_id_taken_at")


@MIGRATIONS()
def m011_outbox_per_notifier(db: Database) -> None:
    """Each outbox message belongs to one notifier's channel, delivered exactly once there."""
    db["outbox"].add_column("channel", str, not_null_default="email")
    db["outbox"].create_index(["channel", "state"])


@MIGRATIONS()
def m012_interstitials(db: Database) -> None:
    """Consecutive checks that met a consent, paywall, sign-in or bot-check page instead of
    the article: the source is blocked only when this persists."""
    db["sources"].add_column("interstitials", int, not_null_default=0)


@MIGRATIONS()
def m013_reason_on_each_check(db: Database) -> None:
    """What each check's page was judged to be, when not the article (paywall, removed, ...)."""
    db["checks"].add_column("reason", str)


@MIGRATIONS()
def m014_check_failures(db: Database) -> None:
    """Checks that failed inside citewatch before they could be stored: the step, the
    error's class and message. Their sources stay due."""
    db["check_failures"].create(
        {"id": int, "source_id": int, "failed_at": str, "stage": str, "error_class": str, "detail": str},
        pk="id",
        not_null={"source_id", "failed_at", "stage", "error_class"},
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["check_failures"].create_index(["source_id", "failed_at"])


@MIGRATIONS()
def m015_evidence(db: Database) -> None:
    """Per archived version (a check with WARC records): the SHA-256 of its record pair as
    written, and a trusted timestamp token over it once an authority gives one."""
    db["evidence"].create(
        {
            "check_id": int,
            "source_id": int,
            "record_sha256": str,  # hex, of the record pair's bytes as stored
            "recorded_at": str,
            "token": bytes,  # the TimeStampResp as the authority sent it (DER)
            "tsa_url": str,
            "stamped_at": str,  # the time the token attests (its genTime)
            "attempts": int,
            "last_error": str,
            "next_attempt_at": str,
        },
        pk="check_id",
        not_null={"source_id", "record_sha256", "recorded_at", "attempts"},
        defaults={"attempts": 0},
        foreign_keys=[("check_id", "checks", "id"), ("source_id", "sources", "id")],
    )
    db.execute("CREATE INDEX evidence_pending ON evidence (next_attempt_at) WHERE token IS NULL")
    db["evidence"].create_index(["source_id"])


@MIGRATIONS()
def m016_archive_copies(db: Database) -> None:
    """Wayback copies fetched and judged against the local snapshot of the same version:
    only a verified one is offered as "cite instead"."""
    db["archive_copies"].create(
        {
            "id": int,
            "source_id": int,
            "archive_url": str,  # the capture as a reader opens it
            "captured_at": str,
            "judged_at": str,
            "verdict": str,  # verified | mismatch | unusable
            "reason": str,
            "similarity": float,  # share of the local version's words the copy holds
            "snapshot_id": int,  # the local version it was compared with
        },
        pk="id",
        not_null={"source_id", "archive_url", "judged_at", "verdict"},
        foreign_keys=[("source_id", "sources", "id"), ("snapshot_id", "snapshots", "id")],
    )
    db["archive_copies"].create_index(["source_id", "archive_url"], unique=True)


@MIGRATIONS()
def m017_cited_version(db: Database) -> None:
    """When each citation appeared, and the version of its source it cited: the first good
    snapshot after that, pinned. Citations already stored cite their source's first snapshot."""
    db["citations"].add_column("cited_at", str)
    db["citations"].add_column("cited_snapshot_id", int)  # snapshots.id
    db.execute(
        "UPDATE citations SET cited_at = (SELECT ingested_at FROM incidents WHERE slug = incident_slug), "
        "cited_snapshot_id = (SELECT id FROM snapshots WHERE snapshots.source_id = citations.source_id "
        "ORDER BY taken_at, id LIMIT 1)"
    )


@MIGRATIONS()
def m018_cited_sources_view(db: Database) -> None:
    """One row per citation with its incident, its source's host and state and the verified
    copy to cite instead: what `citewatch serve` facets (see storage/browse.py)."""
    db.create_view(
        "cited_sources",
        "SELECT c.id AS citation_id, c.incident_slug AS incident, i.title AS incident_title, c.role, c.title, "
        f"c.publisher, s.cited_url AS url, {host_of('s.url')} AS host, s.state, s.reason, s.http_status, "
        "CASE WHEN s.state IN ('failing', 'dead') THEN s.first_failure_at END AS failing_since, "
        "s.last_checked, s.last_ok, COALESCE(sc.count, 0) AS changes, sc.last_at AS last_changed, "
        "(SELECT archive_url FROM archive_copies a WHERE a.source_id = s.id AND a.verdict = 'verified' "
        "ORDER BY a.captured_at DESC, a.id DESC LIMIT 1) AS verified_copy, s.id AS source_id "
        "FROM citations c JOIN sources s ON s.id = c.source_id JOIN incidents i ON i.slug = c.incident_slug "
        "LEFT JOIN source_changes sc ON sc.source_id = s.id",
    )


@MIGRATIONS()
def m019_runs_of_unchanged_checks(db: Database) -> None:
    """A run of unchanged checks of a source is one row: the first check's, with the last
    one's time (`last_checked_at`) and how many (`repeats`). Only quiet checks (unchanged
    or not modified, nothing archived, no snapshot, no event) join a run; `last_checked_at`
    is set on exactly those rows. Existing runs are folded in place."""
    db["checks"].add_column("last_checked_at", str)
    db["checks"].add_column("repeats", int, not_null_default=1)
    fold_quiet_checks(db)


@MIGRATIONS()
def m020_sources_by_state(db: Database) -> None:
    """`status --state dead` and the reports' dead lists read one state's sources, not all."""
    db["sources"].create_index(["state"])


@MIGRATIONS()
def m021_states_by_day(db: Database) -> None:
    """How many sources were in each state at the end of each day, kept as checks are
    stored (`count_state_change`), so the report's chart never reads the checks again;
    filled from the checks stored so far. Events and incidents get the indexes the
    incremental report's "changed since" needs."""
    db["state_counts"].create({"state": str, "sources": int}, pk="state")
    db["state_days"].create({"day": str, "state": str, "sources": int}, pk=("day", "state"))
    db["events"].create_index(["at"])
    db["incidents"].create_index(["ingested_at"])
    db["snapshots"].create_index(["taken_at"])
    db["sources"].add_column("standing_since", str)  # when its state or reason last changed
    db.execute("UPDATE sources SET standing_since = last_checked")
    db["sources"].create_index(["standing_since"])
    count_states_from_checks(db)


def count_states_from_checks(db: Database) -> None:
    """Fill the counts of sources by state and day (empty) from the checks stored."""
    current: dict[int, str] = {}
    for source_id, checked_at, state in db.execute(
        "SELECT source_id, checked_at, state FROM checks WHERE state IS NOT NULL ORDER BY checked_at, id"
    ).fetchall():
        if current.get(source_id) != state:
            count_state_change(db, current.get(source_id), state, checked_at)
            current[source_id] = state


def count_state_change(db: Database, before: str | None, after: str, at: str) -> None:
    """One source went from `before` (None: never checked) to `after` at `at`: the current
    counts, and the day's, follow."""
    if before is not None:
        db.execute("UPDATE state_counts SET sources = sources - 1 WHERE state = ?", [before])
    db.execute("INSERT INTO state_counts (state, sources) VALUES (?, 1) "
               "ON CONFLICT (state) DO UPDATE SET sources = sources + 1", [after])
    db.execute("INSERT OR REPLACE INTO state_days (day, state, sources) SELECT ?, state, sources FROM state_counts "
               "WHERE state IN (?, ?)", [at[:10], before, after])


@MIGRATIONS()
def m022_snapshot_text_packed(db: Database) -> None:
    """Snapshot text is stored zlib-compressed (a third of its size for real articles):
    the text already stored is packed in place, a thousand rows at a time."""
    while True:
        rows = db.execute("SELECT id, text FROM snapshots WHERE typeof(text) = 'text' LIMIT 1000").fetchall()
        if not rows:
            return
        db.conn.executemany("UPDATE snapshots SET text = ? WHERE id = ?",
                            [(zlib.compress(text.encode(), 6), row_id) for row_id, text in rows])


@MIGRATIONS()
def m023_no_index_of_checks_by_time(db: Database) -> None:
    """Nothing reads the checks by time alone any more (the report's chart comes from the
    counts kept by day): the index cost every check row its bytes."""
    db.execute("DROP INDEX IF EXISTS idx_checks_checked_at")


@MIGRATIONS()
def m024_text_dictionaries(db: Database) -> None:
    """Dictionaries that snapshot text is compressed with, learnt from the database's own
    texts (storage/packing.py)."""
    db["text_dictionaries"].create({"id": int, "trained_at": str, "samples": int, "data": bytes}, pk="id",
                                   not_null={"trained_at", "data"})


@MIGRATIONS()
def m025_checks_without_repeated_addresses(db: Database) -> None:
    """A check row no longer repeats its source's address: the URL fetched is always the
    source's, and the final URL is kept only when the answer came from elsewhere."""
    db.execute("UPDATE checks SET final_url = NULL "
               "WHERE final_url = (SELECT cited_url FROM sources WHERE sources.id = checks.source_id)")
    db.execute("ALTER TABLE checks DROP COLUMN url")


@MIGRATIONS()
def m026_checks_indexed_by_source_alone(db: Database) -> None:
    """A source has few check rows now that runs are folded: finding its latest one sorts
    a handful of rows, and the index no longer holds every check's time."""
    db.execute("DROP INDEX IF EXISTS idx_checks_source_id_checked_at")
    db["checks"].create_index(["source_id"], if_not_exists=True)


@MIGRATIONS()
def m027_sources_final_url_only_when_redirected(db: Database) -> None:
    """A source keeps the address its last answer came from only when it was redirected."""
    db.execute("UPDATE sources SET final_url = NULL WHERE final_url = cited_url")


@MIGRATIONS()
def m028_no_credentials_in_urls(db: Database) -> None:
    """User names and passwords taken out of every stored URL (they are no longer stored:
    see urls.without_credentials). A source whose URL without them is already another
    source's keeps its own, its credentials replaced by the word "redacted"."""
    for table, columns in (("sources", ("url", "cited_url", "final_url")), ("citations", ("cited_url",)),
                           ("checks", ("final_url",))):
        where = " OR ".join(f"{column} LIKE '%@%'" for column in columns)
        for row in db.execute(f"SELECT id, {', '.join(columns)} FROM {table} WHERE {where}").fetchall():
            values = {column: _public(db, table, column, value) for column, value in zip(columns, row[1:])}
            db.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in values)} WHERE id = ?", [*values.values(), row[0]])


@MIGRATIONS()
def m029_retired_incidents(db: Database) -> None:
    """Incidents a complete export no longer has are retired: their citations wait in
    retired_citations (out of every check, status and report) until an export brings
    them back."""
    db.execute("ALTER TABLE incidents ADD COLUMN retired_at TEXT")
    db.execute("CREATE TABLE retired_citations AS SELECT * FROM citations WHERE 0")
    db["retired_citations"].create_index(["incident_slug"])


@MIGRATIONS()
def m030_feeds(db: Database) -> None:
    """What each feed (an export pulled over http) last answered: for conditional GETs."""
    db["feeds"].create({"url": str, "etag": str, "last_modified": str, "pulled_at": str}, pk="url")


def _public(db: Database, table: str, column: str, url: str | None) -> str | None:
    if url is None or (public := without_credentials(url)) == url:
        return url
    if (table, column) == ("sources", "url") and db.execute("SELECT 1 FROM sources WHERE url = ?", [public]).fetchone():
        return credentials_redacted(url)
    return public


def fold_quiet_checks(db: Database) -> int:
    """Mark the quiet checks stored one row each (before runs existed) and fold each run of
    them into its first row; how many rows were folded away."""
    db.execute(
        "UPDATE checks SET last_checked_at = checked_at WHERE last_checked_at IS NULL "
        f"AND outcome IN {QUIET_OUTCOMES!r} AND warc_file IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM snapshots WHERE snapshots.check_id = checks.id) "
        "AND NOT EXISTS (SELECT 1 FROM events WHERE events.check_id = checks.id)"
    )
    runs: dict[int, tuple[int, tuple]] = {}  # source -> (its open run's row, what the run's checks share)
    folded: list[int] = []
    rows = db.execute("SELECT id, source_id, last_checked_at, repeats, outcome, http_status, state, reason, final_url "
                      "FROM checks ORDER BY source_id, checked_at, id")
    for check_id, source_id, quiet_at, repeats, *shared in rows.fetchall():
        run = runs.get(source_id)
        if quiet_at is not None and run is not None and run[1] == tuple(shared):
            db.execute("UPDATE checks SET last_checked_at = ?, repeats = repeats + ? WHERE id = ?", [quiet_at, repeats, run[0]])
            folded.append(check_id)
        elif quiet_at is not None:
            runs[source_id] = (check_id, tuple(shared))
        else:
            runs.pop(source_id, None)
    for start in range(0, len(folded), 500):
        chunk = folded[start:start + 500]
        db.execute(f"DELETE FROM checks WHERE id IN ({','.join('?' * len(chunk))})", chunk)
    return len(folded)




def host_of(url: str) -> str:
    """SQL: the host (and port) of the URL column `url`, lower-cased."""
    rest = f"substr({url}, instr({url}, '://') + 3)"
    return f"lower(substr({rest}, 1, instr({rest} || '/', '/') - 1))"


def answered_from(row: str, sources: str) -> str:
    """SQL: the address the answer of the check or source row `row` came from. Stored only
    when it differs from the cited URL (of the source row `sources`); none without an answer."""
    return f"CASE WHEN {row}.http_status IS NOT NULL THEN COALESCE({row}.final_url, {sources}.cited_url) END"


def cited(sources: str = "sources") -> str:
    """The condition that the source row `sources` (a table name or alias) is cited by an
    incident: a source nobody cites any more keeps its history but is no longer checked,
    reported or looked up."""
    return f"EXISTS (SELECT 1 FROM citations WHERE citations.source_id = {sources}.id)"


class _Database(Database):
    """sqlite-utils' Database, whose transactions take the write lock as they begin.

    A transaction that reads before it writes (sqlite-utils' `update` first reads the row)
    fails at once with "database is locked" when another process wrote in between: a
    reader cannot become the writer over a newer version. BEGIN IMMEDIATE waits its turn
    (the busy timeout) instead, and what it reads is still true when it writes. Nested,
    a transaction is a savepoint, as in sqlite-utils."""

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()


LOW_DISK_BYTES = 1_000_000_000  # below this free, a growing archive soon stops the checks


def data_dir_problems(directory: Path, database: Path) -> list[Problem]:
    """What stops citewatch keeping its data in `directory`: not writable, the database
    not opening or damaged, the disk nearly full."""
    subject = f"data directory {directory}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        return [Problem(subject, f"cannot write there ({error.strerror or error})",
                        "Set storage.dir to a directory this user can write, or change its owner")]
    problems = []
    try:
        db = open_database(database)
    except BadInput as error:
        return [Problem(subject, str(error), "Restore the database from a backup, or move it away to start afresh")]
    try:
        answer = db.execute("PRAGMA quick_check").fetchone()[0]
        if answer != "ok":
            problems.append(Problem(f"database {database}", f"damaged ({answer})", "Restore it from a backup"))
    finally:
        db.close()
    free = shutil.disk_usage(directory).free
    if free < LOW_DISK_BYTES:
        problems.append(Problem(subject, f"only {free // 1_000_000} MB free on its disk",
                                "Free some space: archived versions and the database grow with every change"))
    return problems


def _migrate(db: Database, path: Path) -> None:
    """Apply the pending migrations, one process (or thread) at a time: two commands that
    open a new database at once (the daemon's jobs at its start) would otherwise both
    create its tables."""
    with open(path.with_name(path.name + ".migrating"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            MIGRATIONS.apply(db)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def open_database(path: str | Path) -> Database:
    """Open (creating if needed) the database at `path`, in WAL mode, fully migrated.
    Raises BadInput naming the file if it cannot be opened."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The crawl writes from the reactor thread through its own connection; a writer
        # waits for the other instead of failing at once.
        connection = sqlite3.connect(path, timeout=30)
        # Snapshot rows (a compressed article, about 2 KB) fill 4 KB pages a quarter empty;
        # 16 KB pages pack them. A page size is set before the first write, or by VACUUM.
        connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db = _Database(connection)
        db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode across process crashes
        _migrate(db, path)
    except (OSError, sqlite3.Error) as error:
        raise BadInput(f"cannot open the database {path}: {error} (check storage.dir)") from error
    return db
