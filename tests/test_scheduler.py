"""Running for months: the daemon, cron runs and their lock, and when each source is due."""

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import ARTICLE, wait_for, write_record
from webserver import Page

from citewatch.config import settings_from_dict
from citewatch.crawler.liveness import advance
from citewatch.crawler.revisit import ContentAge, next_check_at
from citewatch.model import Liveness, Verdict
from citewatch.storage.database import open_database
from citewatch.storage.jobs import is_due
from citewatch.times import to_iso

CITEWATCH = str(Path(sys.executable).parent / "citewatch")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def config(tmp_path, **schedule):
    lines = "".join(f"{key} = {value!r}\n".replace("'", '"') for key, value in schedule.items())
    path = tmp_path / "citewatch.toml"
    path.write_text(
        '[storage]\ndir = "data"\n[crawl]\ndelay = 0\ntimeout = 30\nallow_private_addresses = true\n'
        f"[wayback]\nenabled = false\n[schedule]\n{lines}"
    )
    return path


def cite(path, tmp_path, *urls):
    record = write_record(tmp_path / "record.json", "incident", list(urls))
    subprocess.run([CITEWATCH, "--config", str(path), "ingest", str(record)], check=True, capture_output=True)


def count_checks(tmp_path) -> int:
    database = tmp_path / "data" / "citewatch.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        try:
            return connection.execute("SELECT COALESCE(SUM(repeats), 0) FROM checks").fetchone()[0]
        except sqlite3.OperationalError:  # the daemon is still creating the database
            return 0


def daemon_until(path, condition, failure: str) -> str:
    """Run the daemon until `condition` holds, then stop it with SIGTERM (it must exit 0);
    its log."""
    daemon = subprocess.Popen([CITEWATCH, "--config", str(path), "daemon"], stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(condition, 60), failure
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0
    finally:
        daemon.kill()
    return daemon.stderr.read()


def test_daemon_checks_on_its_tick_and_stops_on_sigterm(tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    path = config(tmp_path, tick="1s", min_interval="1s", jitter=0, stop_timeout="10s")
    cite(path, tmp_path, web.url("/article"))
    log = daemon_until(path, lambda: count_checks(tmp_path) >= 2, "the daemon did not check twice")
    assert "citewatch daemon started" in log and "SIGTERM received: stopping" in log and "daemon stopped" in log
    with sqlite3.connect(tmp_path / "data" / "citewatch.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_daemon_pulls_its_feeds_at_start_and_checks_the_new_citations(tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    web.pages["/export.json"] = Page(json.dumps({"slug": "fed", "sources": [{"url": web.url("/article")}]}))
    path = config(tmp_path, tick="1h", ingest="0 * * * *", stop_timeout="10s")
    path.write_text(path.read_text() + f'[[ingest.feeds]]\nurl = "{web.url("/export.json")}"\n')
    daemon_until(path, lambda: count_checks(tmp_path) >= 1, "the daemon did not pull its feed and check it")


def test_sigterm_during_a_slow_crawl_exits_0_within_the_stop_timeout(tmp_path, web):
    web.pages["/slow"] = Page(ARTICLE, delay=20)
    path = config(tmp_path, tick="1h", stop_timeout="5s")
    cite(path, tmp_path, web.url("/slow"))
    daemon = subprocess.Popen([CITEWATCH, "--config", str(path), "daemon"], stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: web.requests_to("/slow"), 30), "the crawl did not start"
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0
        assert time.monotonic() - started < 8
    finally:
        daemon.kill()
    with sqlite3.connect(tmp_path / "data" / "citewatch.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_only_one_run_at_a_time(tmp_path, web):
    web.pages["/slow"] = Page(ARTICLE, delay=4)
    path = config(tmp_path)
    cite(path, tmp_path, web.url("/slow"))
    first = subprocess.Popen([CITEWATCH, "--config", str(path), "run"], stdout=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: web.requests_to("/slow"), 30)
        second = subprocess.run([CITEWATCH, "--config", str(path), "run"], capture_output=True, text=True, timeout=30)
        assert second.returncode == 0
        assert second.stdout.startswith(f"Another citewatch run is active (pid {first.pid})")
        assert first.wait(timeout=60) == 0 and "Checked 1 source" in first.stdout.read()
    finally:
        first.kill()
    assert count_checks(tmp_path) == 1


def test_one_crawl_at_a_time_so_an_edit_is_found_once(tmp_path, web):
    """A `check` typed while the cron run crawls says so in one line and checks nothing;
    the run goes on with the rest of its work while a `check` holds the crawl."""
    web.pages["/a"] = Page(ARTICLE)
    path = config(tmp_path)
    cite(path, tmp_path, web.url("/a"))
    subprocess.run([CITEWATCH, "--config", str(path), "check"], check=True, capture_output=True)
    web.pages["/a"] = Page(ARTICLE.replace("Friday", "Monday"), delay=4)
    first = subprocess.Popen([CITEWATCH, "--config", str(path), "check", "--all"], stdout=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: len(web.requests_to("/a")) == 2, 30)
        for args in (["check", "--all"], ["check", web.url("/a")]):
            second = subprocess.run([CITEWATCH, "--config", str(path), *args], capture_output=True, text=True, timeout=30)
            assert second.returncode == 0
            assert second.stdout == f"Another citewatch crawl is active (pid {first.pid}): nothing to do.\n"
        run = subprocess.run([CITEWATCH, "--config", str(path), "run"], capture_output=True, text=True, timeout=30)
        assert run.returncode == 0 and run.stdout.startswith(f"Another citewatch crawl is active (pid {first.pid})")
        assert "Checked 0 sources" in run.stdout
        assert first.wait(timeout=60) == 0 and "1 content change" in first.stdout.read()
    finally:
        first.kill()
    with sqlite3.connect(tmp_path / "data" / "citewatch.db") as connection:
        assert connection.execute("SELECT COUNT(*) FROM events WHERE kind = 'changed'").fetchone()[0] == 1
    assert count_checks(tmp_path) == 2


def test_a_transaction_holds_the_write_lock_from_its_start(tmp_path):
    """Else a transaction that reads, then writes, fails at once with "database is locked"
    when another process wrote in between (sqlite-utils' `update` reads the row first)."""
    database = tmp_path / "citewatch.db"
    db = open_database(database)
    other = sqlite3.connect(database, timeout=0)
    try:
        with db.atomic():
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # and lets it go at the end
        other.rollback()
    finally:
        other.close()
        db.close()


def test_a_killed_run_leaves_a_lock_the_next_run_takes_over(tmp_path, web):
    web.pages["/slow"] = Page(ARTICLE, delay=30)
    path = config(tmp_path)
    cite(path, tmp_path, web.url("/slow"))
    killed = subprocess.Popen([CITEWATCH, "--config", str(path), "run"], stdout=subprocess.PIPE)
    assert wait_for(lambda: web.requests_to("/slow"), 30)
    killed.kill()
    killed.wait()
    assert (tmp_path / "data" / "citewatch.lock").read_text() == str(killed.pid)
    web.pages["/slow"] = Page(ARTICLE)
    after = subprocess.run([CITEWATCH, "--config", str(path), "-v", "run"], capture_output=True, text=True, timeout=60)
    assert after.returncode == 0 and "Checked 1 source" in after.stdout
    assert f"took over the lock of run {killed.pid}" in after.stderr


SETTINGS = settings_from_dict({"schedule": {"jitter": 0}})


def due(state="ok", verdict=None, age=ContentAge(), failure_count=0, settings=SETTINGS, rng=lambda: 0.5):
    return next_check_at(Liveness(state, failure_count=failure_count), NOW, settings, verdict, age, rng) - NOW


def test_new_sources_are_due_at_once(tmp_path):
    db = open_database(tmp_path / "c.db")
    db["sources"].insert({"url": "https://a.example/", "cited_url": "https://a.example/", "created_at": to_iso(NOW),
                          "state": "new", "failure_count": 0, "next_check_at": to_iso(NOW)})
    db["incidents"].insert({"slug": "i", "ingested_at": to_iso(NOW)})
    db["citations"].insert({"incident_slug": "i", "source_id": 1, "role": "source", "cited_url": "https://a.example/"})
    from citewatch.storage.checks import sources_to_check

    assert [s.url for s in sources_to_check(db, NOW)] == ["https://a.example/"]
    assert sources_to_check(db, NOW - timedelta(seconds=1)) == []


def test_fresh_articles_daily_stable_ones_back_off_to_the_maximum():
    assert due(age=ContentAge(NOW - timedelta(days=300), published=NOW - timedelta(days=10))) == timedelta(days=1)
    assert due(age=ContentAge(stable_since=NOW)) == timedelta(days=1)  # just changed
    assert due(age=ContentAge(stable_since=NOW - timedelta(days=2))) == timedelta(days=1)
    assert due(age=ContentAge(stable_since=NOW - timedelta(days=30))) == timedelta(days=10)
    assert due(age=ContentAge(stable_since=NOW - timedelta(days=300))) == timedelta(days=30)


def test_failing_dead_blocked_and_rate_limited_rhythms():
    assert due("failing", failure_count=1) == timedelta(days=1.5)  # 3 checks over 3 days
    assert due("ok", failure_count=1) == timedelta(days=1.5)  # a 5xx's grace check
    assert due("dead") == timedelta(days=7)
    assert due("blocked") == timedelta(days=1)
    assert due("blocked", Verdict("blocked", "rate_limited", retry_after=900)) == timedelta(seconds=900)
    assert due("blocked", Verdict("blocked", "rate_limited")) == timedelta(hours=1)


def test_a_site_that_keeps_refusing_is_asked_less_and_less_often_up_to_weekly():
    def blocked_for(days):
        since = NOW - timedelta(days=days)
        return next_check_at(Liveness("blocked", "forbidden", since=since), NOW, SETTINGS, rng=lambda: 0.5) - NOW

    assert [blocked_for(days) for days in (0, 2, 9, 21, 200)] == [timedelta(days=d) for d in (1, 1, 3, 7, 7)]
    # How long it has been blocked comes from the check: a new block starts the count again.
    previous = Liveness("blocked", "forbidden", since=NOW - timedelta(days=60))
    assert advance(previous, Verdict("blocked", "forbidden"), NOW, SETTINGS.dead).liveness.since == previous.since
    assert advance(previous, Verdict("blocked", "login_required"), NOW, SETTINGS.dead).liveness.since == NOW
    assert advance(Liveness("ok"), Verdict("blocked", "forbidden"), NOW, SETTINGS.dead).liveness.since == NOW


def test_how_long_a_source_has_been_blocked_is_read_back_from_the_database(tmp_path):
    from citewatch.storage.checks import load_liveness

    db = open_database(tmp_path / "c.db")
    db["sources"].insert({"url": "https://a.example/", "cited_url": "https://a.example/", "created_at": to_iso(NOW),
                          "state": "blocked", "reason": "forbidden", "failure_count": 0,
                          "standing_since": to_iso(NOW - timedelta(days=30))})
    assert load_liveness(db, 1).since == NOW - timedelta(days=30)


def test_jitter_spreads_a_large_import_but_never_shortens_a_required_wait():
    settings = settings_from_dict({"schedule": {"jitter": 0.1}})
    stable = ContentAge(stable_since=NOW - timedelta(days=30))
    spread = {due(age=stable, settings=settings, rng=lambda n=n: n / 10) for n in range(11)}
    assert min(spread) == timedelta(days=9) and max(spread) == timedelta(days=11) and len(spread) == 11
    waits = {due("failing", failure_count=1, settings=settings, rng=lambda n=n: n / 10) for n in range(11)}
    assert min(waits) == timedelta(days=1.5)


def test_the_digest_and_report_are_due_when_their_schedule_fired(tmp_path):
    db = open_database(tmp_path / "c.db")
    assert is_due(db, "digest", "0 8 * * *", NOW)  # never sent: due
    db["job_runs"].insert({"name": "digest", "last_run_at": "2026-06-01T08:00:00+00:00"})
    assert not is_due(db, "digest", "0 8 * * *", NOW)
    assert not is_due(db, "digest", "0 8 * * *", datetime(2026, 6, 2, 7, 59, tzinfo=timezone.utc))
    assert is_due(db, "digest", "0 8 * * *", datetime(2026, 6, 2, 8, 0, tzinfo=timezone.utc))


def test_run_sends_the_digest_and_rewrites_the_report_when_due(tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    path = config(tmp_path, report="0 * * * *", report_dir="site")
    cite(path, tmp_path, web.url("/article"))
    result = subprocess.run([CITEWATCH, "--config", str(path), "run"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Report: " in result.stdout and (tmp_path / "site" / "index.html").exists()
    again = subprocess.run([CITEWATCH, "--config", str(path), "run"], capture_output=True, text=True, timeout=60)
    assert "Report: " not in again.stdout  # written this hour already


def test_a_digest_that_failed_is_sent_by_the_next_run(tmp_path, web):
    from smtp_server import SmtpServer, free_port

    web.pages["/article"] = Page(ARTICLE)
    port = free_port()  # nothing listens there yet: the mail server is down
    path = config(tmp_path)
    path.write_text(path.read_text() + f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n'
                    'sender = "citewatch@tracker.example"\nrecipients = ["maintainers@tracker.example"]\n'
                    "[dead]\nfailures = 1\nmin_days = 0\n")
    cite(path, tmp_path, web.url("/article"), web.url("/gone"))
    failed = subprocess.run([CITEWATCH, "--config", str(path), "run"], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and "error:" in failed.stderr
    server = SmtpServer()
    server.port = port
    server.start()
    try:
        retried = subprocess.run([CITEWATCH, "--config", str(path), "run"], capture_output=True, text=True, timeout=60)
    finally:
        server.stop()
    assert retried.returncode == 0, retried.stderr
    assert len(server.inbox.messages) == 1


def test_commands_that_open_a_new_database_at_once_create_it_once(tmp_path):
    """The daemon's jobs all open the database at its start: its tables are made once."""
    errors = []

    def open_it():
        try:
            open_database(tmp_path / "data" / "citewatch.db").close()
        except Exception as error:  # noqa: BLE001 (any failure is the test's finding)
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
