"""One citewatch cycle: check what is due, run the Wayback queue, send the digest and
rewrite the report when their schedules say so. `citewatch run` is one cycle (for cron);
the daemon runs the same jobs on its own timers."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from apscheduler.triggers.cron import CronTrigger
from sqlite_utils import Database

from citewatch.config import Settings
from citewatch.crawler.runner import CheckSummary, CrawlControl, run_check
from citewatch.reports.alerts import AlertRun, send_alerts
from citewatch.reports.linkrot import build_report
from citewatch.reports.render import write_report
from citewatch.storage.checks import sources_to_check
from citewatch.storage.database import from_iso, open_database, to_iso, utc_now
from citewatch.storage.wayback import WaybackClient
from citewatch.storage.wayback_queue import QueueRun, run_queue

logger = logging.getLogger(__name__)

WAYBACK_BUDGET_SECONDS = 120  # a cron run submits for at most this long; the rest waits


@dataclass
class CycleReport:
    checks: CheckSummary
    wayback: QueueRun | None = None
    alerts: AlertRun | None = None
    report: list[Path] | None = None

    @property
    def failed(self) -> bool:
        return bool(self.checks.store_errors or (self.alerts and self.alerts.errors))


def check_due(settings: Settings, control: CrawlControl | None = None, on_checked: Callable[[], None] | None = None,
              clock: Callable[[], datetime] = utc_now) -> CheckSummary:
    db = open_database(settings.storage.database)
    try:
        sources = sources_to_check(db, clock())
    finally:
        db.close()
    summary = run_check(settings, sources, clock=clock, control=control, on_checked=on_checked)
    logger.info("checked %d sources: %s; %d content changes", summary.checked, summary.states, summary.changed)
    return summary


def archive_queue(settings: Settings, max_seconds: float, keep_going: Callable[[], bool] = lambda: True,
                  sleep: Callable[[float], object] = time.sleep) -> QueueRun:
    db = open_database(settings.storage.database)
    try:
        run = run_queue(db, settings.wayback, WaybackClient(settings.wayback), max_seconds=max_seconds,
                        keep_going=keep_going, sleep=sleep)
    finally:
        db.close()
    if run.submitted or run.failed or run.paused_until:
        logger.info("wayback: %d submitted, %d failed, %d pending%s", run.submitted, run.failed, run.pending,
                    f", paused until {run.paused_until}" if run.paused_until else "")
    return run


def send_digest(settings: Settings, clock: Callable[[], datetime] = utc_now) -> AlertRun:
    db = open_database(settings.storage.database)
    try:
        run = send_alerts(db, settings.email, clock=clock)
        _ran(db, "digest", clock())
    finally:
        db.close()
    for error in run.errors:
        logger.error("alert digest: %s", error)
    logger.info("alert digest: %d messages sent, %d events alerted", run.messages_sent, run.events_alerted)
    return run


def rewrite_report(settings: Settings, clock: Callable[[], datetime] = utc_now) -> list[Path]:
    db = open_database(settings.storage.database)
    try:
        written = write_report(db, build_report(db), settings.schedule.report_dir, settings.schedule.report_format)
        _ran(db, "report", clock())
    finally:
        db.close()
    logger.info("report: %d files written to %s", len(written), settings.schedule.report_dir)
    return written


def run_cycle(settings: Settings, clock: Callable[[], datetime] = utc_now,
              on_checked: Callable[[], None] | None = None) -> CycleReport:
    """Everything that is due now, once."""
    report = CycleReport(check_due(settings, on_checked=on_checked, clock=clock))
    if settings.wayback.enabled:
        report.wayback = archive_queue(settings, WAYBACK_BUDGET_SECONDS)
    db = open_database(settings.storage.database)
    try:
        digest_due = settings.email.enabled and is_due(db, "digest", settings.schedule.digest, clock())
        report_due = settings.schedule.report is not None and is_due(db, "report", settings.schedule.report, clock())
    finally:
        db.close()
    if digest_due:
        report.alerts = send_digest(settings, clock)
    if report_due:
        report.report = rewrite_report(settings, clock)
    return report


def is_due(db: Database, job: str, cron: str, now: datetime) -> bool:
    """Whether the job's schedule has fired since it last ran (a job never run is due)."""
    row = db.execute("SELECT last_run_at FROM job_runs WHERE name = ?", [job]).fetchone()
    if row is None:
        return True
    trigger = CronTrigger.from_crontab(cron, timezone=timezone.utc)
    fire = trigger.get_next_fire_time(None, from_iso(row[0]) + timedelta(seconds=1))  # strictly after it
    return fire is not None and fire <= now


def _ran(db: Database, job: str, at: datetime) -> None:
    db["job_runs"].upsert({"name": job, "last_run_at": to_iso(at)}, pk="name")
