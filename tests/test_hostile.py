"""Hostile or broken servers, server-side request forgery, crashes and secrets."""

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_wayback import ACCESS_KEY, SECRET_KEY, FakeWayback
from helpers import ARTICLE, living_in_group, run_cli, status_json, wait_for, write_record
from smtp_server import SmtpServer
from webserver import Page, RawWeb, Web

from citewatch.crawler import guard

CITEWATCH = str(Path(sys.executable).parent / "citewatch")


def config(tmp_path, extra=""):
    path = tmp_path / "citewatch.toml"
    path.write_text(
        '[storage]\ndir = "data"\n[crawl]\ndelay = 0\ntimeout = 2\nmax_bytes = 5000000\n'
        f"allow_private_addresses = true\n[wayback]\nenabled = false\n{extra}"
    )
    return path


def check(path, tmp_path, urls):
    run_cli(path, "ingest", str(write_record(tmp_path / "record.json", "incident", urls)))
    started = time.monotonic()
    result = run_cli(path, "check", "--all")
    assert result.exit_code == 0, result.output
    return time.monotonic() - started


def dribble(connection):
    """A page promised, then sent one byte every half second."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(120):
        connection.sendall(b"x")
        time.sleep(0.5)


def test_hostile_and_broken_servers_end_as_recorded_outcomes(tmp_path, web):
    bomb = gzip.compress(b"\0" * 60_000_000)
    web.pages["/bomb"] = Page(bomb, headers={"Content-Encoding": "gzip"})
    web.pages["/huge"] = Page(b"<p>" + b"a" * 8_000_000)
    web.pages["/loop-a"] = Page(status=302, headers={"Location": "/loop-b"})
    web.pages["/loop-b"] = Page(status=302, headers={"Location": "/loop-a"})
    web.pages["/garbage"] = Page(os.urandom(20_000))
    web.pages["/charset"] = Page(ARTICLE.encode(), content_type="text/html; charset=no-such-charset")
    web.pages["/deep"] = Page("<html><body>" + "<div>" * 10_000 + "deep text" + "</div>" * 10_000 + "</body></html>")
    web.pages["/empty"] = Page(b"")
    raw = RawWeb()
    raw.answers["/slowly"] = dribble
    urls = {path: web.url(path) for path in ("/bomb", "/huge", "/loop-a", "/garbage", "/charset", "/deep", "/empty")}
    urls["/slowly"] = raw.url("/slowly")
    path = config(tmp_path)
    try:
        elapsed = check(path, tmp_path, list(urls.values()))
    finally:
        raw.close()
    assert elapsed < 60
    status = status_json(path)
    reasons = {name: (status[url]["state"], status[url]["reason"]) for name, url in urls.items()}
    assert reasons["/bomb"] == ("failing", "too_large")
    assert reasons["/huge"] == ("failing", "too_large")
    assert reasons["/loop-a"] == ("failing", "redirect_loop")
    assert reasons["/slowly"] == ("failing", "timeout")
    assert reasons["/empty"] == ("failing", "empty")
    assert reasons["/charset"] == ("ok", None)
    assert status[urls["/garbage"]]["last_checked"] and status[urls["/deep"]]["last_checked"]  # judged, not crashed
    with sqlite3.connect(tmp_path / "data" / "citewatch.db") as connection:
        assert connection.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == len(urls)


@pytest.fixture
def strict(tmp_path):
    path = tmp_path / "strict.toml"
    path.write_text('[storage]\ndir = "data"\n[crawl]\ndelay = 0\ntimeout = 2\n[wayback]\nenabled = false\n')
    return path


def test_loopback_in_every_spelling_is_refused(tmp_path, web, strict):
    web.pages["/a"] = Page(ARTICLE)
    spellings = [web.url("/a"), f"http://localhost:{web.port}/a", f"http://[::1]:{web.port}/a",
                 f"http://0x7f000001:{web.port}/a", f"http://2130706433:{web.port}/a", f"http://127.1:{web.port}/a"]
    check(strict, tmp_path, spellings)
    status = status_json(strict)
    assert {status[url]["reason"] for url in spellings} == {"forbidden_address"}
    assert web.requests == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
     ("192.168.1.1", "private"), ("169.254.169.254", "link-local"), ("fd00::1", "private"),
     ("::ffff:10.0.0.1", "private"), ("0.0.0.0", "private"), ("93.184.216.34", None), ("2606:4700::1111", None)],
)
def test_forbidden_address_kinds(address, kind):
    assert guard.forbidden_kind(address) == kind


def test_a_redirect_to_a_forbidden_address_is_refused(tmp_path, strict, monkeypatch):
    """127.0.0.1 stands for a public site, 127.0.0.2 for the internal one behind the redirect."""
    monkeypatch.setattr(guard, "forbidden_kind", lambda address: "private" if address == "127.0.0.2" else None)
    inside = Web(host="127.0.0.2")
    outside = Web()
    try:
        inside.pages["/admin"] = Page("internal secrets")
        outside.pages["/story"] = Page(status=302, headers={"Location": inside.url("/admin")})
        outside.pages["/to-file"] = Page(status=302, headers={"Location": "file:///etc/passwd"})
        check(strict, tmp_path, [outside.url("/story"), outside.url("/to-file")])
        status = status_json(strict)
        assert status[outside.url("/story")]["reason"] == "forbidden_address"
        assert status[outside.url("/to-file")]["state"] == "failing"
        assert inside.requests == []
    finally:
        inside.close()
        outside.close()


def test_a_dns_answer_that_changes_after_the_check_cannot_reach_a_private_address(tmp_path, web, strict, monkeypatch):
    """The guard is told a public address; the connection then resolves to loopback."""
    monkeypatch.setattr(guard, "_resolve", lambda host: ["93.184.216.34"])
    web.pages["/a"] = Page(ARTICLE)
    url = f"http://localhost:{web.port}/a"
    check(strict, tmp_path, [url])
    assert status_json(strict)[url]["state"] == "failing"
    assert web.requests == []


def spawn(path, *args):
    return subprocess.Popen([CITEWATCH, "--config", str(path), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def count(tmp_path, sql):
    with sqlite3.connect(tmp_path / "data" / "citewatch.db") as connection:
        return connection.execute(sql).fetchone()[0]


def test_kill_9_during_check_loses_nothing_already_stored(tmp_path, web):
    for n in range(6):
        web.pages[f"/fast{n}"] = Page(ARTICLE.replace("Friday", f"day {n}"))
        web.pages[f"/slow{n}"] = Page(ARTICLE, delay=30)
    path = config(tmp_path, "")
    path.write_text(path.read_text().replace("timeout = 2", "timeout = 60"))
    urls = [web.url(f"/fast{n}") for n in range(6)] + [web.url(f"/slow{n}") for n in range(6)]
    run_cli(path, "ingest", str(write_record(tmp_path / "record.json", "incident", urls)))
    process = spawn(path, "check", "--all")
    assert wait_for(lambda: count(tmp_path, "SELECT COUNT(*) FROM checks") >= 6, 60)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(tmp_path / "data" / "citewatch.db") as connection:
        stored = {row[0] for row in connection.execute("SELECT id FROM checks")}
    assert count(tmp_path, "PRAGMA integrity_check") == "ok"
    for n in range(6):
        web.pages[f"/slow{n}"] = Page(ARTICLE)
    assert run_cli(path, "check").exit_code == 0
    assert count(tmp_path, "SELECT COUNT(*) FROM checks") == 12  # the ones stored before the kill, and the rest once
    with sqlite3.connect(tmp_path / "data" / "citewatch.db") as connection:
        assert stored <= {row[0] for row in connection.execute("SELECT id FROM checks")}
    assert count(tmp_path, "SELECT COUNT(*) FROM sources WHERE state = 'new'") == 0
    warcio = str(Path(sys.executable).parent / "warcio")
    for archive in (tmp_path / "data" / "warc").glob("*.warc.gz"):
        assert subprocess.run([warcio, "check", str(archive)], capture_output=True).returncode == 0


# `citewatch` with every crawl split over processes, however small
SPLIT_CRAWLS = ("import sys; from citewatch.crawler import runner; runner.SHARD_THRESHOLD = 1; "
                "from citewatch.scheduler.cli import cli; sys.exit(cli())")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from Linux's /proc")
def test_kill_9_of_a_split_crawl_ends_its_children_which_write_nothing_after(tmp_path, web):
    """Each shard extracts in its own worker pool; killed, the parent leaves no process
    behind and no check is stored after its death (the web is gone by then: any check
    stored after it would be a failure to connect)."""
    port = web.port
    urls = [f"http://{host}:{port}/p{n}" for host in ("127.0.0.1", "localhost") for n in range(80)]
    for n in range(80):
        web.pages[f"/p{n}"] = Page(ARTICLE.replace("Friday", f"day {n}"), delay=0.2)
    path = config(tmp_path)
    path.write_text(path.read_text().replace("[crawl]\n", "[crawl]\nprocesses = 2\nextract_workers = 2\n"))
    run_cli(path, "ingest", str(write_record(tmp_path / "record.json", "incident", urls)))
    process = subprocess.Popen([sys.executable, "-c", SPLIT_CRAWLS, "--config", str(path), "check", "--all"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert wait_for(lambda: count(tmp_path, "SELECT COUNT(DISTINCT host) FROM (SELECT substr(s.cited_url, 1, 16) "
                                                "AS host FROM checks c JOIN sources s ON s.id = c.source_id)") == 2, 60)
        assert len(living_in_group(process.pid)) >= 6  # two crawls, two forkservers, their workers
        process.send_signal(signal.SIGKILL)
        process.wait()
        web.close()
        assert wait_for(lambda: not living_in_group(process.pid), 5), "processes outlived their parent"
        assert count(tmp_path, "SELECT COUNT(*) FROM checks WHERE outcome != 'fetched'") == 0
        assert count(tmp_path, "PRAGMA integrity_check") == "ok"
    finally:
        for pid in living_in_group(process.pid):
            os.kill(pid, signal.SIGKILL)


def test_a_torn_warc_record_is_cut_off_on_start(tmp_path, web):
    web.pages["/a"] = Page(ARTICLE)
    path = config(tmp_path)
    check(path, tmp_path, [web.url("/a")])
    (archive,) = (tmp_path / "data" / "warc").glob("*.warc.gz")
    good = archive.stat().st_size
    with archive.open("ab") as handle:  # half a record, as a crash mid-write leaves it
        handle.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 500)[:200])
    web.pages["/a"] = Page(ARTICLE.replace("Friday", "Monday"))
    result = run_cli(path, "-v", "check", "--all")
    assert result.exit_code == 0
    warcio = str(Path(sys.executable).parent / "warcio")
    assert subprocess.run([warcio, "check", str(archive)], capture_output=True).returncode == 0
    assert archive.stat().st_size > good  # the new record was written after the cut
    assert "Monday" in run_cli(path, "snapshot", web.url("/a"), "--raw").output


def test_kill_9_during_alert_sends_nothing_twice_and_loses_nothing(tmp_path, web):
    smtp = SmtpServer()
    slow_inbox = smtp.inbox
    original = type(slow_inbox).handle_DATA

    async def slow_data(self, server, session, envelope):
        """A mail server that has queued the message and is slow to say so."""
        import asyncio

        answer = await original(self, server, session, envelope)
        await asyncio.sleep(3)
        return answer

    type(slow_inbox).handle_DATA = slow_data
    smtp.start()
    try:
        web.pages["/a"] = Page(ARTICLE)
        path = config(tmp_path, f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {smtp.port}\n'
                                'recipients = ["m@tracker.example"]\n')
        check(path, tmp_path, [web.url("/a")])
        web.pages["/a"] = Page(ARTICLE.replace("Friday", "Monday"))
        run_cli(path, "check", "--all")
        process = spawn(path, "alert")
        assert wait_for(lambda: count(tmp_path, "SELECT COUNT(*) FROM outbox WHERE state = 'sending'") == 1)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert len(smtp.inbox.envelopes) == 1  # the server had queued it
        type(slow_inbox).handle_DATA = original
        again = run_cli(path, "alert")
        assert again.exit_code == 0 and "not sent again" in again.output
        assert count(tmp_path, "SELECT COUNT(*) FROM events WHERE alerted_at IS NULL") == 0
        assert len(smtp.inbox.envelopes) == 1
    finally:
        type(slow_inbox).handle_DATA = original
        smtp.stop()


def test_kill_9_during_archive_drops_nothing(tmp_path, web):
    wayback = FakeWayback()
    try:
        wayback.save_delay = 5
        web.pages["/a"] = Page(ARTICLE)
        path = config(tmp_path)
        path.write_text(path.read_text().replace("[wayback]\nenabled = false", f'[wayback]\nbase_url = "{wayback.base_url}"'))
        check(path, tmp_path, [web.url("/a")])
        process = spawn(path, "archive")
        assert wait_for(lambda: len(wayback.requests) == 1)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert count(tmp_path, "SELECT COUNT(*) FROM wayback_queue WHERE status = 'pending'") == 1
        wayback.save_delay = 0
        time.sleep(15)  # the pacing of 4 a minute counts the killed attempt
        assert "Submitted 1," in run_cli(path, "archive").output
    finally:
        wayback.close()


def test_secrets_never_reach_the_log(tmp_path, web, monkeypatch):
    wayback = FakeWayback()
    try:
        monkeypatch.setenv("CITEWATCH_WAYBACK_ACCESS_KEY", ACCESS_KEY)
        monkeypatch.setenv("CITEWATCH_WAYBACK_SECRET_KEY", SECRET_KEY)
        monkeypatch.setenv("CITEWATCH_SMTP_PASSWORD", "smtp-password-123")
        web.pages["/a"] = Page(ARTICLE)
        path = config(tmp_path, '[email]\nusername = "citewatch"\n')
        path.write_text(path.read_text().replace("[wayback]\nenabled = false", f'[wayback]\nbase_url = "{wayback.base_url}"'))
        run_cli(path, "ingest", str(write_record(tmp_path / "record.json", "incident", [web.url("/a")])))
        outputs = [subprocess.run([CITEWATCH, "--config", str(path), "-vv", *args], capture_output=True, text=True,
                                  timeout=120, env=os.environ.copy()) for args in (["check", "--all"], ["archive"])]
        assert "Submitted 1," in outputs[1].stdout
        everything = "".join(o.stdout + o.stderr for o in outputs)
        assert len(everything) > 1000  # it did log, verbosely
        for secret in (SECRET_KEY, ACCESS_KEY, "smtp-password-123"):
            assert secret not in everything
    finally:
        wayback.close()


def test_an_unusable_data_directory_is_one_clear_line_and_exit_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    path = tmp_path / "c.toml"
    path.write_text(f'[storage]\ndir = "{blocker}/data"\n')
    result = run_cli(path, "status")
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot open the database") and "storage.dir" in result.output
    assert "Traceback" not in result.output
