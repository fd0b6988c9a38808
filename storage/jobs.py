"""When each scheduled job (digest, report) and one-off task last ran, so a run from cron knows what is due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from apscheduler.triggers.cron import CronTrigger
from sqlite_utils import Database

from citewatch.times import from_iso, to_iso


def is_due(db: Database, job: str, cron: str, now: datetime) -> bool:
    """Whether the job's schedule has fired since it last ran (a job never run is due)."""
    row = db.execute("SELECT last_run_at FROM job_runs WHERE name = ?", [job]).fetchone()
    if row is None:
        return True
    trigger = CronTrigger.from_crontab(cron, timezone=timezone.utc)
    fire = trigger.get_next_fire_time(None, from_iso(row[0]) + timedelta(seconds=1))  # strictly after it
    return fire is not None and fire <= now


def has_run(db: Database, job: str) -> bool:
    return db.execute("SELECT 1 FROM job_runs WHERE name = ?", [job]).fetchone() is not None


def record_run(db: Database, job: str, at: datetime) -> None:
    db.execute(
        "INSERT INTO job_runs (name, last_run_at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET last_run_at = excluded.last_run_at",
        [job, to_iso(at)],
    )
