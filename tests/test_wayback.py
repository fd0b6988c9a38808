"""The Wayback Machine: submissions through the persistent queue, pacing, backoff, lookups.

All against a fake Wayback Machine on loopback that speaks the real formats."""

from datetime import datetime, timedelta, timezone

import pytest
from fake_wayback import ACCESS_KEY, SECRET_KEY
from helpers import ARTICLE, closed_port, run_cli, status_json, write_record
from webserver import Page

from citewatch.config import WaybackSettings
from citewatch.storage.database import open_database
from citewatch.storage.wayback import SaveFailed, WaybackClient
from citewatch.storage.wayback_queue import enqueue, run_queue
from citewatch.times import to_iso


@pytest.fixture
def config(tmp_path, wayback):
    path = tmp_path / "citewatch.toml"
    path.write_text(
        f'[storage]\ndir = "data"\n[crawl]\ndelay = 0\ntimeout = 2\nallow_private_addresses = true\n'
        f'[wayback]\nbase_url = "{wayback.base_url}"\ntimeout = 2\n'
    )
    return path


class Clock:
    """A clock that only moves when the code under test sleeps (or the test says so)."""

    def __init__(self):
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "queue.db")
    for n in range(8):
        database["sources"].insert({"url": f"https://news.example/{n}", "cited_url": f"https://news.example/{n}",
                                    "created_at": "2026-01-01T00:00:00+00:00", "state": "ok", "failure_count": 0})
    yield database
    database.close()


def queue(db, clock, *source_ids):
    for source_id in source_ids:
        enqueue(db, source_id, f"https://news.example/{source_id - 1}", "first capture", to_iso(clock()))


def test_new_sources_are_submitted_and_show_their_archive_url(config, tmp_path, web, wayback):
    web.pages["/article"] = Page(ARTICLE)
    url = web.url("/article")
    run_cli(config, "ingest", str(write_record(tmp_path / "r.json", "incident", [url])))
    run_cli(config, "check", "--all")
    assert wayback.saves() == []  # the crawl only queues: the Wayback Machine never slows it
    result = run_cli(config, "archive")
    assert result.exit_code == 0 and "Submitted 1," in result.output and "0 pending" in result.output
    assert wayback.saves() == [url]
    archive_url = status_json(config)[url]["archive_url"]
    assert archive_url.startswith(f"{wayback.base_url}/web/") and archive_url.endswith(f"/{url}")
    assert "Submitted 0," in run_cli(config, "archive").output  # nothing twice


@pytest.mark.parametrize("style", ["content-location", "link", "redirect"])
def test_every_form_of_save_answer_names_the_capture(wayback, style):
    wayback.answer_style = style
    client = WaybackClient(WaybackSettings(base_url=wayback.base_url))
    archive_url = client.save("https://news.example/story")
    assert archive_url.startswith(f"{wayback.base_url}/web/2") and archive_url.endswith("/https://news.example/story")


def test_submissions_are_paced_to_the_per_minute_limit(db, wayback):
    clock = Clock()
    queue(db, clock, 1, 2, 3, 4, 5, 6)
    settings = WaybackSettings(base_url=wayback.base_url)  # anonymous: 4 a minute
    run = run_queue(db, settings, WaybackClient(settings), clock=clock, sleep=clock.sleep, max_seconds=3600)
    assert run.submitted == 6 and run.pending == 0
    times = [row[0] for row in db.execute("SELECT submitted_at FROM wayback_queue ORDER BY submitted_at")]
    gaps = {(datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() for a, b in zip(times, times[1:])}
    assert gaps == {15.0}
    assert len(wayback.saves()) == 6


def test_an_access_key_raises_the_limit_and_uses_spn2(db, wayback, monkeypatch):
    monkeypatch.setenv("CITEWATCH_WAYBACK_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("CITEWATCH_WAYBACK_SECRET_KEY", SECRET_KEY)
    clock = Clock()
    queue(db, clock, 1, 2, 3)
    settings = WaybackSettings(base_url=wayback.base_url)
    assert settings.submissions_per_minute() == 12
    client = WaybackClient(settings, sleep=clock.sleep)
    run = run_queue(db, settings, client, clock=clock, sleep=clock.sleep, max_seconds=3600)
    assert run.submitted == 3
    assert [job["url"] for job in wayback.jobs.values()] == [f"https://news.example/{n}" for n in range(3)]
    assert all(job["polls"] == 2 for job in wayback.jobs.values())  # pending, then success
    assert not any(path.startswith("/save/http") for _, path, _ in wayback.requests)
    archive_url = db["wayback_queue"].get(1)["archive_url"]
    assert archive_url.startswith(f"{wayback.base_url}/web/")


def test_polling_a_slow_spn2_job_stays_within_the_time_budget(db, wayback, monkeypatch):
    monkeypatch.setenv("CITEWATCH_WAYBACK_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("CITEWATCH_WAYBACK_SECRET_KEY", SECRET_KEY)
    wayback.pending_polls = 1000  # the job never finishes while we wait
    clock = Clock()
    queue(db, clock, 1)
    settings = WaybackSettings(base_url=wayback.base_url)
    started = clock.now
    run = run_queue(db, settings, WaybackClient(settings, sleep=clock.sleep), clock=clock, sleep=clock.sleep, max_seconds=10)
    assert (clock.now - started).total_seconds() <= 10 and [job["polls"] for job in wayback.jobs.values()] == [5]
    assert (run.failed, run.pending) == (1, 1)  # tried again later


def test_a_time_budget_stops_the_run_and_keeps_the_rest(db, wayback):
    clock = Clock()
    queue(db, clock, 1, 2, 3, 4, 5, 6)
    settings = WaybackSettings(base_url=wayback.base_url)
    run = run_queue(db, settings, WaybackClient(settings), clock=clock, sleep=clock.sleep, max_seconds=40)
    assert (run.submitted, run.pending) == (3, 3)


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_wayback_machine_pauses_the_queue_with_backoff_and_loses_nothing(db, wayback, status):
    clock = Clock()
    queue(db, clock, 1, 2)
    settings = WaybackSettings(base_url=wayback.base_url)
    client = WaybackClient(settings)
    wayback.save_statuses = [status]
    run = run_queue(db, settings, client, clock=clock, sleep=clock.sleep)
    assert (run.submitted, run.pending) == (0, 2)
    assert run.paused_until == to_iso(clock.now + timedelta(minutes=1))
    assert db["wayback_queue"].get(1)["attempts"] == 0  # not the item's fault
    clock.now += timedelta(seconds=30)
    assert run_queue(db, settings, client, clock=clock, sleep=clock.sleep).submitted == 0  # still paused
    clock.now += timedelta(seconds=31)
    wayback.save_statuses = [status]
    run = run_queue(db, settings, client, clock=clock, sleep=clock.sleep)
    assert run.paused_until == to_iso(clock.now + timedelta(minutes=2))  # the pause grows
    clock.now += timedelta(minutes=3)
    run = run_queue(db, settings, client, clock=clock, sleep=clock.sleep)
    assert (run.submitted, run.pending) == (2, 0)


def test_the_same_url_is_not_submitted_twice_within_the_interval(db, wayback):
    clock = Clock()
    queue(db, clock, 1)
    settings = WaybackSettings(base_url=wayback.base_url)
    client = WaybackClient(settings)
    run_queue(db, settings, client, clock=clock, sleep=clock.sleep)
    clock.now += timedelta(hours=2)
    enqueue(db, 1, "https://news.example/0", "changed", to_iso(clock.now))
    run = run_queue(db, settings, client, clock=clock, sleep=clock.sleep)
    assert (run.submitted, run.deferred, run.pending) == (0, 1, 1)
    assert len(wayback.saves()) == 1
    clock.now += timedelta(hours=22, seconds=1)
    assert run_queue(db, settings, client, clock=clock, sleep=clock.sleep).submitted == 1
    assert wayback.saves() == ["https://news.example/0"] * 2


def test_a_failed_save_is_retried_later_and_never_dropped(db, wayback):
    clock = Clock()
    queue(db, clock, 1)
    settings = WaybackSettings(base_url=wayback.base_url, timeout=1)
    client = WaybackClient(settings)
    wayback.save_statuses = [404]
    run = run_queue(db, settings, client, clock=clock, sleep=clock.sleep)
    item = db["wayback_queue"].get(1)
    assert (run.failed, item["status"], item["attempts"]) == (1, "pending", 1)
    assert item["next_attempt_at"] == to_iso(clock.now + timedelta(minutes=5))
    wayback.save_delay = 2  # longer than the timeout: bounded, and retried later
    clock.now += timedelta(minutes=6)
    with pytest.raises(SaveFailed):
        client.save("https://news.example/0")
    wayback.save_delay = 0
    clock.now += timedelta(minutes=10)
    assert run_queue(db, settings, client, clock=clock, sleep=clock.sleep).submitted == 1


def test_an_unreachable_wayback_machine_never_blocks_the_crawl(tmp_path, web):
    config = tmp_path / "c.toml"
    config.write_text(
        f'[storage]\ndir = "data"\n[crawl]\ndelay = 0\nallow_private_addresses = true\n'
        f'[wayback]\nbase_url = "http://127.0.0.1:{closed_port()}"\ntimeout = 2\n'
    )
    web.pages["/article"] = Page(ARTICLE)
    run_cli(config, "ingest", str(write_record(tmp_path / "r.json", "incident", [web.url("/article")])))
    assert run_cli(config, "check", "--all").exit_code == 0
    result = run_cli(config, "archive")
    assert result.exit_code == 0 and "failed 1 (retried later)" in result.output and "1 pending" in result.output


def test_lookup_chooses_the_latest_good_capture_before_the_source_failed(tmp_path, web, wayback, config):
    web.pages["/live"] = Page(ARTICLE)
    dead, live = web.url("/gone"), web.url("/live")
    run_cli(config, "ingest", str(write_record(tmp_path / "r.json", "incident", [dead, live])))
    run_cli(config, "check", "--all")  # /gone answers 404: failing since now
    db = open_database(tmp_path / "data" / "citewatch.db")
    failed_at = datetime.fromisoformat(db.execute("SELECT first_failure_at FROM sources WHERE cited_url = ?", [dead]).fetchone()[0])
    db.close()
    stamp = lambda moment: moment.strftime("%Y%m%d%H%M%S")  # noqa: E731
    wayback.captures[dead] = [
        (stamp(failed_at - timedelta(days=30)), 200),
        (stamp(failed_at - timedelta(days=2)), 200),  # the one to cite
        (stamp(failed_at - timedelta(days=1)), 404),
        (stamp(failed_at + timedelta(hours=1)), 200),  # taken after it failed: a capture of the error
    ]
    wayback.captures[live] = [(stamp(failed_at - timedelta(days=3)), 200), (stamp(failed_at + timedelta(days=1)), 200)]
    result = run_cli(config, "archive", "--lookup")
    assert result.exit_code == 0 and "Looked up 2 sources: 2 with an archived copy;" in result.output
    db = open_database(tmp_path / "data" / "citewatch.db")
    found = dict(db.execute("SELECT cited_url, archive_url FROM sources").fetchall())  # the captures found, not yet judged good
    db.close()
    assert found[dead] == f"{wayback.base_url}/web/{stamp(failed_at - timedelta(days=2))}/{dead}"
    assert found[live] == f"{wayback.base_url}/web/{stamp(failed_at + timedelta(days=1))}/{live}"
    cdx = [path for method, path, _ in wayback.requests if path.startswith("/cdx/")]
    assert all("filter=statuscode%3A200" in path for path in cdx)
