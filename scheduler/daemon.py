"""`citewatch daemon`: the cycle's jobs on APScheduler timers, in the foreground.

Checks every `schedule.tick`, timestamp tokens for new versions as often, the Wayback queue every minute (pacing itself within its
rate limit), the digest on `schedule.digest`, the report on `schedule.report`. Each job
runs alone (no overlap, missed runs coalesced), through a Citewatch of its own (a
database connection belongs to the thread that opened it). SIGTERM or SIGINT stops it
cleanly: the running crawl is stopped (checks already fetched are stored whole, the rest
dropped), the Wayback queue stops between submissions, and the process exits 0 within
`schedule.stop_timeout`, abandoning what has not finished by then (nothing is half
written: every write is a transaction, every archive record is synced before use).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import datetime, timezone
from typing import Any, Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from citewatch.config import Settings
from citewatch.crawler.control import CrawlControl
from citewatch.errors import Busy
from citewatch.facade import Citewatch

logger = logging.getLogger(__name__)

WAYBACK_EVERY_SECONDS = 60


def run_daemon(settings: Settings) -> int:
    stopping = threading.Event()
    control = CrawlControl()
    scheduler = BackgroundScheduler(
        timezone=timezone.utc,
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    _add_jobs(scheduler, settings, control, stopping)

    def request_stop(signum: int, _frame: Any) -> None:
        logger.info("%s received: stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler.start()
    logger.info("citewatch daemon started: checks every %ss, digest at '%s'%s", settings.schedule.tick,
                settings.schedule.digest, f", report at '{settings.schedule.report}'" if settings.schedule.report else "")
    while not stopping.wait(1):
        pass
    control.stop()
    finisher = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    finisher.start()
    finisher.join(settings.schedule.stop_timeout)
    if finisher.is_alive():
        logger.warning("jobs still running after %ss: abandoned", settings.schedule.stop_timeout)
        logging.shutdown()
        os._exit(0)  # the stuck job threads would otherwise keep the process alive
    logger.info("citewatch daemon stopped")
    return 0


def _job(settings: Settings, work: Callable[[Citewatch], object]) -> None:
    with Citewatch(settings) as cw:
        try:
            work(cw)
        except Busy as busy:  # a `check` or `archive` typed by hand is doing it: its turn
            logger.info("%s", busy)


def _pull_and_check(cw: Citewatch, control: CrawlControl) -> None:
    """The feeds pulled, then their new citations checked at once (not at the next tick)."""
    cw.pull_feeds()
    cw.check(control=control)


def _add_jobs(scheduler: BackgroundScheduler, settings: Settings, control: CrawlControl, stopping: threading.Event) -> None:
    now = datetime.now(timezone.utc)
    schedule = settings.schedule

    def add(job: str, name: str, work: Callable[[Citewatch], object], trigger: Any, **options: Any) -> None:
        scheduler.add_job(_job, trigger, args=[settings, work], id=job, name=name, **options)

    if settings.ingest.feeds and schedule.ingest is not None:
        add("ingest", "pull the tracker's feeds", lambda cw: _pull_and_check(cw, control),
            CronTrigger.from_crontab(schedule.ingest, timezone=timezone.utc), next_run_time=now)  # and at start
    add("check", "check due sources", lambda cw: cw.check(control=control), IntervalTrigger(seconds=schedule.tick),
        next_run_time=now)
    add("stamp", "timestamp new versions", lambda cw: cw.stamp(), IntervalTrigger(seconds=schedule.tick),
        next_run_time=now)
    if settings.wayback.enabled:
        keep_going = lambda: not stopping.is_set()  # noqa: E731
        add("wayback", "Wayback queue",
            lambda cw: cw.archive(max_seconds=WAYBACK_EVERY_SECONDS - 5, keep_going=keep_going, sleep=stopping.wait),
            IntervalTrigger(seconds=WAYBACK_EVERY_SECONDS), next_run_time=now)
    if settings.notifies:
        add("digest", "alert digest", lambda cw: cw.send_digest(), CronTrigger.from_crontab(schedule.digest, timezone=timezone.utc))
    if schedule.report is not None:
        add("report", "link-rot report", lambda cw: cw.write_scheduled_report(),
            CronTrigger.from_crontab(schedule.report, timezone=timezone.utc))
