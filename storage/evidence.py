"""The evidence kept for each archived version, and checking it.

Each version (a check whose response was written to the WARC archive) has the SHA-256 of
its record pair's bytes, recorded in the transaction that stores the check, and, when
`evidence.tsa_urls` names authorities, an RFC 3161 token over those bytes. Tokens are
fetched by `stamp_pending` after the crawl, never during it: an authority that is down
delays a token (the version stays pending, retried with a growing backoff), never a check.

`verify_versions` reads every record pair back and reports, per version, whatever does not
hold: the bytes against their recorded SHA-256, each record's WARC-Block-Digest and
WARC-Payload-Digest, and the token against the bytes and the trusted roots.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database
from warcio.archiveiterator import ArchiveIterator

from citewatch.config import EvidenceSettings
from citewatch.model import WarcLocation
from citewatch.times import to_iso, utc_now

from . import jobs
from .archive import WarcArchive

logger = logging.getLogger(__name__)

HASH_BACKFILL = "hash versions archived before digests"  # its job_runs row says it is done
RETRY_BACKOFF = (timedelta(minutes=5), timedelta(days=1))  # a version no authority stamped: first, longest wait


@dataclass
class StampRun:
    """What one `stamp_pending` pass did."""

    stamped: int = 0
    hashed: int = 0  # versions archived before digests were kept, hashed now
    pending: int = 0  # versions still waiting for a token
    errors: list[str] = field(default_factory=list)  # authorities that gave none, bytes that changed


@dataclass(frozen=True)
class VersionCheck:
    """One archived version, checked."""

    url: str
    check_id: int
    archived_at: str
    record_sha256: str | None
    token: str  # verified | pending | off
    attested_at: str | None  # the time the token attests
    tsa_url: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _timestamps():  # type: ignore[no-untyped-def]
    """storage.timestamps, imported when first used: it loads cryptography and requests,
    a quarter of a second that every command and crawl process would pay (they import this
    module) and only stamping and verifying need."""
    from . import timestamps

    return timestamps


def record_version(db: Database, check_id: int, source_id: int, record_sha256: str, at: str) -> None:
    """Remember an archived version's digest; its token is pending (inside save_check's transaction)."""
    db.execute(
        "INSERT INTO evidence (check_id, source_id, record_sha256, recorded_at, attempts, next_attempt_at) "
        "VALUES (?, ?, ?, ?, 0, ?)",
        [check_id, source_id, record_sha256, at, at],
    )


def stamp_pending(
    db: Database, archive: WarcArchive, settings: EvidenceSettings, clock: Callable[[], datetime] = utc_now,
    max_seconds: float = 120,
) -> StampRun:
    """Hash versions archived before digests were kept, then get a token for each version
    due one (when authorities are configured), trying them in order, for at most
    `max_seconds`. A pass stops at the first version no authority stamps: they are down."""
    run = StampRun(hashed=_hash_unrecorded(db, archive, clock()))
    if settings.tsa_urls:
        roots = _timestamps().load_roots(settings.tsa_roots)
        started = clock()
        for row in _due(db, clock()):
            if (clock() - started).total_seconds() > max_seconds or not _stamp(db, archive, settings, roots, row, clock(), run):
                break
    run.pending = db.execute("SELECT COUNT(*) FROM evidence WHERE token IS NULL").fetchone()[0] if settings.tsa_urls else 0
    return run


def _stamp(db: Database, archive: WarcArchive, settings: EvidenceSettings, roots: list, row: dict[str, Any],
           now: datetime, run: StampRun) -> bool:
    """Stamp one version; False when no authority would."""
    try:
        data = archive.record_bytes(location_of(row))
    except OSError as error:
        run.errors.append(f"check {row['check_id']}: its WARC records cannot be read: {error}")
        _defer(db, row, now, str(error))
        return True
    if hashlib.sha256(data).hexdigest() != row["record_sha256"]:
        run.errors.append(f"check {row['check_id']}: its WARC records changed since they were archived: not stamped")
        _defer(db, row, now, "the records changed since they were archived")
        return True
    failures = []
    timestamps = _timestamps()
    for tsa_url in settings.tsa_urls:
        try:
            token = timestamps.request_token(tsa_url, data, roots, settings.timeout)
        except timestamps.NoToken as error:
            failures.append(str(error))
            continue
        with db.atomic():
            db.execute(
                "UPDATE evidence SET token = ?, tsa_url = ?, stamped_at = ?, last_error = NULL, next_attempt_at = NULL "
                "WHERE check_id = ? AND token IS NULL",
                [token.der, token.tsa_url, to_iso(token.attested_at), row["check_id"]],
            )
        run.stamped += 1
        return True
    run.errors.append("no time-stamping authority answered: " + "; ".join(failures))
    _defer(db, row, now, "; ".join(failures))
    return False


def _defer(db: Database, row: dict[str, Any], now: datetime, error: str) -> None:
    attempts = row["attempts"] + 1
    retry = now + min(RETRY_BACKOFF[0] * 2 ** (attempts - 1), RETRY_BACKOFF[1])
    with db.atomic():
        db.execute(
            "UPDATE evidence SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE check_id = ?",
            [attempts, error[:500], to_iso(retry), row["check_id"]],
        )


def _due(db: Database, now: datetime) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT evidence.check_id, record_sha256, attempts, warc_file, warc_offset, warc_length FROM evidence "
        "JOIN checks ON checks.id = evidence.check_id WHERE token IS NULL AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at, evidence.check_id",
        [to_iso(now)],
    ))


def _hash_unrecorded(db: Database, archive: WarcArchive, now: datetime) -> int:
    """Versions archived before digests were kept get theirs now: from now on they are held
    to them. Once: every version archived since has its digest from the start."""
    if jobs.has_run(db, HASH_BACKFILL):
        return 0
    rows = db.execute(
        "SELECT id, source_id, warc_file, warc_offset, warc_length FROM checks WHERE warc_file IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM evidence WHERE evidence.check_id = checks.id) ORDER BY id"
    ).fetchall()
    hashed = 0
    for check_id, source_id, *location in rows:
        try:
            data = archive.record_bytes(WarcLocation(*location))
        except OSError as error:
            logger.warning("check %d: its WARC records cannot be read: %s", check_id, error)
            continue
        with db.atomic():
            record_version(db, check_id, source_id, hashlib.sha256(data).hexdigest(), to_iso(now))
        hashed += 1
    with db.atomic():
        jobs.record_run(db, HASH_BACKFILL, now)
    return hashed


def archived_versions(db: Database, incident: str | None = None, source_id: int | None = None) -> list[dict[str, Any]]:
    """Every archived version (of one incident's sources, or one source), oldest first,
    with its evidence."""
    sql = (
        "SELECT checks.id AS check_id, sources.cited_url AS url, checked_at, warc_file, warc_offset, warc_length, "
        "record_sha256, token, tsa_url, stamped_at, checks.source_id FROM checks JOIN sources ON sources.id = checks.source_id "
        "LEFT JOIN evidence ON evidence.check_id = checks.id WHERE warc_file IS NOT NULL"
    )
    params: list[Any] = []
    if incident is not None:
        sql += " AND checks.source_id IN (SELECT source_id FROM citations WHERE incident_slug = ?)"
        params.append(incident)
    if source_id is not None:
        sql += " AND checks.source_id = ?"
        params.append(source_id)
    return list(db.query(sql + " ORDER BY checked_at, checks.id", params))


def verify_versions(db: Database, archive: WarcArchive, settings: EvidenceSettings,
                    incident: str | None = None, source_id: int | None = None) -> list[VersionCheck]:
    """Each archived version in scope, read back and checked."""
    versions = archived_versions(db, incident, source_id)
    roots = _timestamps().load_roots(settings.tsa_roots) if any(row["token"] for row in versions) else []
    return [verify_version(archive, row, roots) for row in versions]


def verify_version(archive: WarcArchive, row: dict[str, Any], roots: list) -> VersionCheck:
    problems: list[str] = []
    token_state, attested = ("pending" if row["record_sha256"] else "off"), None
    try:
        data = archive.record_bytes(location_of(row))
    except OSError as error:
        data = b""
        problems.append(f"its WARC file cannot be read: {error.strerror or error}")
    if not problems and len(data) != row["warc_length"]:
        problems.append(f"its WARC records are cut short ({len(data)} of {row['warc_length']} bytes)")
    if not problems:
        actual = hashlib.sha256(data).hexdigest()
        if row["record_sha256"] and actual != row["record_sha256"]:
            problems.append(f"its WARC records' SHA-256 is {actual}, not the {row['record_sha256']} recorded")
        problems.extend(record_digest_problems(data))
    if row["token"]:
        timestamps = _timestamps()
        try:
            attested = to_iso(timestamps.check_token(row["token"], data, roots))
            token_state = "verified"
        except timestamps.TokenInvalid as error:
            token_state = "invalid"
            problems.append(f"its timestamp token ({row['tsa_url']}) does not hold: {error}")
    return VersionCheck(row["url"], row["check_id"], row["checked_at"], row["record_sha256"], token_state, attested,
                        row["tsa_url"], tuple(problems))


def record_digest_problems(data: bytes) -> list[str]:
    """What is wrong with the records in `data`: digests that do not match their content,
    or records that cannot be read at all."""
    problems = []
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=True):
            record.content_stream().read()
            kind = record.rec_type
            if not record.rec_headers.get_header("WARC-Block-Digest"):
                problems.append(f"its {kind} record has no WARC-Block-Digest")
            for problem in record.digest_checker.problems:  # "block digest failed: sha256:..."
                which = problem.split(" failed")[0]
                problems.append(f"its {kind} record's {which} does not match its content")
    except Exception as error:  # damaged gzip or headers: whatever warcio raises
        detail = str(error).split(", first line")[0][:200]  # warcio quotes the damaged bytes after it
        readable = "".join(char if char.isprintable() else "?" for char in detail)
        problems.append(f"its WARC records cannot be read: {type(error).__name__}: {readable}")
    return problems


def location_of(row: dict[str, Any]) -> WarcLocation:
    """Where the version of a row of `archived_versions` (or of the stamping queue) is archived."""
    return WarcLocation(row["warc_file"], row["warc_offset"], row["warc_length"], row["record_sha256"])
