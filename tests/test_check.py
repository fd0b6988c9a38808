import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ARTICLE, closed_port, run_cli, status_json, write_record
from webserver import Page

from citewatch.config import Settings, load_settings
from citewatch.crawler import pipelines
from citewatch.crawler.runner import run_check
from citewatch.storage.checks import sources_to_check
from citewatch.storage.database import open_database
from citewatch.storage.packing import text_packer
from citewatch.times import utc_now


def checks(config_file: Path, url: str) -> list[dict]:
    db = open_database(config_file.parent / "data" / "citewatch.db")
    try:
        return list(
            db.query(
                "SELECT checks.* FROM checks JOIN sources ON sources.id = checks.source_id "
                "WHERE sources.cited_url = ? ORDER BY checks.id",
                [url],
            )
        )
    finally:
        db.close()


def table_count(config_file: Path, table: str) -> int:
    db = open_database(config_file.parent / "data" / "citewatch.db")
    try:
        return db[table].count
    finally:
        db.close()


def ingest_and_check(config_file: Path, tmp_path: Path, urls: list[str]) -> None:
    record = write_record(tmp_path / "record.json", "incident", urls)
    assert run_cli(config_file, "ingest", str(record)).exit_code == 0
    result = run_cli(config_file, "check", "--all")
    assert result.exit_code == 0, result.output


def test_check_pass_records_every_outcome(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    web.pages["/gone"] = Page("<h1>Not here</h1>", status=404)
    web.pages["/old"] = Page(status=301, headers={"Location": "/new"})
    web.pages["/new"] = Page(ARTICLE)
    web.pages["/slow"] = Page(ARTICLE, delay=4)  # the config's timeout is 2 s
    web.pages["/photo.jpg"] = Page(b"\xff\xd8\xff\xe0 a photograph", content_type="image/jpeg")
    urls = {
        "ok": web.url("/article"),
        "404": web.url("/gone"),
        "redirect": web.url("/old"),
        "timeout": web.url("/slow"),
        "image": web.url("/photo.jpg"),
        "refused": f"http://127.0.0.1:{closed_port()}/article",
        "dns": "http://no-such-host.invalid/article",
    }
    ingest_and_check(config_file, tmp_path, list(urls.values()))
    status = status_json(config_file)

    assert status[urls["ok"]]["state"] == "ok"
    assert status[urls["ok"]]["http_status"] == 200
    (ok,) = checks(config_file, urls["ok"])
    assert ok["outcome"] == "fetched" and ok["error"] is None
    assert ok["bytes"] == len(ARTICLE.encode()) and len(ok["body_hash"]) == 64
    assert ok["elapsed"] is not None and ok["content_type"].startswith("text/html")

    assert status[urls["404"]]["state"] == "failing"
    assert status[urls["404"]]["reason"] == "http_404" and status[urls["404"]]["http_status"] == 404
    assert checks(config_file, urls["404"])[0]["outcome"] == "http_error"

    redirected = status[urls["redirect"]]
    assert redirected["state"] == "ok" and redirected["final_url"] == web.url("/new")
    (hop,) = json.loads(checks(config_file, urls["redirect"])[0]["redirects"])
    assert hop == {"url": web.url("/old"), "status": 301}

    (image,) = checks(config_file, urls["image"])
    assert image["outcome"] == "non_html" and image["body_hash"] and image["warc_file"]
    assert status[urls["image"]]["state"] == "ok"

    for kind, reason in (("refused", "refused"), ("dns", "dns"), ("timeout", "timeout")):
        row = status[urls[kind]]
        assert (row["state"], row["reason"], row["http_status"]) == ("failing", reason, None), kind
        (check,) = checks(config_file, urls[kind])
        assert check["outcome"] == "error" and check["error"] == reason and check["error_detail"]

    assert table_count(config_file, "snapshots") == 2  # the two article pages, not the image


def test_status_json_contract(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    ingest_and_check(config_file, tmp_path, [web.url("/article")])
    (row,) = json.loads(run_cli(config_file, "status", "--json").output)
    assert set(row) == {
        "url", "state", "reason", "http_status", "final_url", "last_checked",
        "last_changed", "changes", "archive_url", "incidents",
    }
    assert row["state"] == "ok" and row["changes"] == 0 and row["last_changed"] is None
    assert row["incidents"] == ["incident"] and row["last_checked"].endswith("+00:00")


def test_conditional_get_answers_304_and_counts_as_unchanged(config_file, tmp_path, web):
    web.pages["/etag"] = Page(ARTICLE, etag='"v1"')
    web.pages["/modified"] = Page(ARTICLE, last_modified="Wed, 21 Oct 2025 07:28:00 GMT")
    ingest_and_check(config_file, tmp_path, [web.url("/etag"), web.url("/modified")])
    assert run_cli(config_file, "check", "--all").exit_code == 0

    assert web.requests_to("/etag")[1]["If-None-Match"] == '"v1"'
    assert web.requests_to("/modified")[1]["If-Modified-Since"] == "Wed, 21 Oct 2025 07:28:00 GMT"
    for path in ("/etag", "/modified"):
        first, second = checks(config_file, web.url(path))
        assert (first["outcome"], second["outcome"], second["http_status"]) == ("fetched", "not_modified", 304)
        assert second["body_hash"] == first["body_hash"]
        row = status_json(config_file)[web.url(path)]
        assert row["state"] == "ok" and row["changes"] == 0
    assert table_count(config_file, "snapshots") == 2


def test_same_bytes_skip_extraction(config_file, tmp_path, web, monkeypatch):
    web.pages["/article"] = Page(ARTICLE)
    ingest_and_check(config_file, tmp_path, [web.url("/article")])
    calls = []
    monkeypatch.setattr(pipelines, "extract_content", lambda *args: calls.append(args))
    assert run_cli(config_file, "check", "--all").exit_code == 0
    assert calls == []
    assert [c["outcome"] for c in checks(config_file, web.url("/article"))] == ["fetched", "unchanged"]


def test_text_change_raises_changes_to_one(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    ingest_and_check(config_file, tmp_path, [web.url("/article")])
    web.pages["/article"] = Page(ARTICLE.replace("more than $5 billion", "more than $4 billion"))
    result = run_cli(config_file, "check", "--all")
    assert "1 content change" in result.output

    row = status_json(config_file)[web.url("/article")]
    assert row["changes"] == 1 and row["last_changed"] == row["last_checked"]
    db = open_database(config_file.parent / "data" / "citewatch.db")
    (event,) = db.query("SELECT * FROM events WHERE kind = 'changed'")
    detail = json.loads(event["detail"])
    assert event["summary"] == "1 paragraph changed"
    assert "-The same memo rescinds the humanitarian demining programme, which had provided more than $5 billion" in detail["diff"]
    assert "+The same memo rescinds the humanitarian demining programme, which had provided more than $4 billion" in detail["diff"]
    assert 0.5 < detail["similarity"] < 1
    assert db["snapshots"].count == 2
    db.close()


def test_title_change_is_a_change(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    ingest_and_check(config_file, tmp_path, [web.url("/article")])
    web.pages["/article"] = Page(ARTICLE.replace("Demining programme cut", "Demining programme ended"))
    run_cli(config_file, "check", "--all")
    assert status_json(config_file)[web.url("/article")]["changes"] == 1


def test_crawls_run_again_and_again_in_one_process(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    record = write_record(tmp_path / "record.json", "incident", [web.url("/article")])
    run_cli(config_file, "ingest", str(record))
    settings = load_settings(config_file)
    db = open_database(settings.storage.database)
    for _ in range(3):
        summary = run_check(settings, sources_to_check(db, utc_now(), everything=True))
        assert summary.checked == 1 and summary.states == {"ok": 1}
    db.close()
    assert sum(row["repeats"] for row in checks(config_file, web.url("/article"))) == 3  # the last two as one run


def test_check_without_all_only_checks_what_is_due(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    ingest_and_check(config_file, tmp_path, [web.url("/article")])
    result = run_cli(config_file, "check")
    assert result.exit_code == 0 and "Checked 0 sources" in result.output


def test_check_named_urls(config_file, tmp_path, web):
    web.pages["/a"] = Page(ARTICLE)
    web.pages["/b"] = Page(ARTICLE)
    record = write_record(tmp_path / "record.json", "incident", [web.url("/a"), web.url("/b")])
    run_cli(config_file, "ingest", str(record))
    assert "Checked 1 source" in run_cli(config_file, "check", web.url("/b")).output
    assert web.requests_to("/a") == [] and len(web.requests_to("/b")) == 1
    unknown = run_cli(config_file, "check", web.url("/never-cited"))
    assert unknown.exit_code == 2 and "not a cited source" in unknown.output


def test_user_agent_is_sent(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    ingest_and_check(config_file, tmp_path, [web.url("/article")])
    assert web.requests_to("/article")[0]["User-Agent"].startswith("citewatch/")


def test_too_large_response_is_cut_off_and_recorded(tmp_path, web):
    config = tmp_path / "small.toml"
    config.write_text('[storage]\ndir = "data"\n[crawl]\ndelay = 0\nmax_bytes = 5000\nallow_private_addresses = true\n')
    web.pages["/huge"] = Page(ARTICLE + "<p>" + "x" * 20000 + "</p>")
    ingest_and_check(config, tmp_path, [web.url("/huge")])
    row = status_json(config)[web.url("/huge")]
    assert (row["state"], row["reason"]) == ("failing", "too_large")


def test_private_addresses_are_refused_unless_allowed(tmp_path, web):
    config = tmp_path / "default.toml"
    config.write_text('[storage]\ndir = "data"\n[crawl]\ndelay = 0\n')
    web.pages["/article"] = Page(ARTICLE)
    ingest_and_check(config, tmp_path, [web.url("/article"), f"http://localhost:{web.port}/article"])
    for url in (web.url("/article"), f"http://localhost:{web.port}/article"):
        assert status_json(config)[url]["reason"] == "forbidden_address"
    assert web.requests == []


def test_status_table_and_filters(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    ingest_and_check(config_file, tmp_path, [web.url("/article"), web.url("/missing")])
    table = run_cli(config_file, "status").output
    assert web.url("/article") in table and "http_404" in table and "2 sources: 1 failing, 1 ok" in table
    failing = json.loads(run_cli(config_file, "status", "--json", "--state", "failing").output)
    assert [row["url"] for row in failing] == [web.url("/missing")]
    assert len(json.loads(run_cli(config_file, "status", "--json", "--incident", "incident").output)) == 2
    unknown = run_cli(config_file, "status", "--incident", "nope")
    assert unknown.exit_code == 2 and "no incident with slug 'nope'" in unknown.output


def test_console_script_end_to_end(config_file, tmp_path, web):
    """The installed `citewatch` command, run as a user runs it."""
    web.pages["/article"] = Page(ARTICLE)
    record = write_record(tmp_path / "record.json", "incident", [web.url("/article"), web.url("/missing")])
    command = [str(Path(sys.executable).parent / "citewatch"), "--config", str(config_file)]
    ingest = subprocess.run([*command, "ingest", str(record)], capture_output=True, text=True, timeout=60)
    assert ingest.returncode == 0, ingest.stderr
    check = subprocess.run([*command, "check", "--all"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert check.stdout == "Checked 2 sources: 1 failing, 1 ok; 0 content changes.\n"
    status = subprocess.run([*command, "status", "--json"], capture_output=True, text=True, timeout=60)
    states = {row["url"]: row["state"] for row in json.loads(status.stdout)}
    assert states == {web.url("/article"): "ok", web.url("/missing"): "failing"}


@pytest.mark.parametrize("command", [[], ["ingest"], ["check"], ["status"], ["diff"], ["history"]])
def test_every_command_explains_itself(config_file, command):
    result = run_cli(config_file, *command, "--help")
    assert result.exit_code == 0 and "Usage: " in result.output


def test_tls_failure_is_recorded(config_file, tmp_path, web):
    """https:// to a server that only speaks plain HTTP: the TLS handshake fails."""
    web.pages["/article"] = Page(ARTICLE)
    url = f"https://127.0.0.1:{web.port}/article"
    ingest_and_check(config_file, tmp_path, [url])
    row = status_json(config_file)[url]
    assert (row["state"], row["reason"]) == ("failing", "tls")


def test_extraction_in_the_worker_pool_gives_the_same_text(config_file, tmp_path, web, monkeypatch):
    """Large crawls extract in worker processes; the stored text must not depend on where."""
    from citewatch.crawler import crawl

    web.pages["/a"] = Page(ARTICLE)
    web.pages["/b"] = Page(ARTICLE.replace("Friday", "Monday"))
    ingest_and_check(config_file, tmp_path, [web.url("/a")])  # in-process: one source is a small crawl
    monkeypatch.setattr(crawl, "POOL_THRESHOLD", 1)
    record = write_record(tmp_path / "record.json", "incident", [web.url("/a"), web.url("/b")])
    run_cli(config_file, "ingest", str(record))
    settings = load_settings(config_file)
    assert crawl.scrapy_settings(settings, 2)["CITEWATCH_EXTRACT_WORKERS"] == settings.crawl.extract_workers > 0
    db = open_database(settings.storage.database)
    (pooled,) = [s for s in sources_to_check(db, utc_now(), everything=True) if s.url.endswith("/b")]
    assert run_check(settings, [pooled]).checked == 1
    from citewatch.crawler.extract import ExtractionPool

    assert ExtractionPool._executor is not None  # the pool did the extraction
    texts = {row["cited_url"]: text_packer(db).unpack(row["text"]) for row in db.query(
        "SELECT sources.cited_url, snapshots.text FROM snapshots JOIN sources ON sources.id = snapshots.source_id")}
    db.close()
    assert texts[web.url("/b")] == texts[web.url("/a")].replace("Friday", "Monday")


def test_extraction_workers_that_died_are_replaced_by_the_next_crawl(config_file, tmp_path, web, monkeypatch, caplog):
    """A daemon whose workers were killed extracts in its crawl thread only until its next
    crawl, which starts new workers."""
    import os
    import signal

    from citewatch.crawler import crawl
    from citewatch.crawler.extract import ExtractionPool

    monkeypatch.setattr(crawl, "POOL_THRESHOLD", 1)
    pages = iter(range(1000))
    web.pages["/a"] = Page(lambda n: ARTICLE.replace("Friday", f"day {next(pages)}"))  # new bytes each time
    ingest_and_check(config_file, tmp_path, [web.url("/a")])
    workers = list(ExtractionPool._executor._processes.values())
    assert workers, "the first crawl extracted in worker processes"
    for worker in workers:
        os.kill(worker.pid, signal.SIGKILL)
    for worker in workers:
        worker.join(10)
    assert run_cli(config_file, "check", "--all").exit_code == 0  # extracted here instead
    assert "extracting in this process from now on" in caplog.text
    assert run_cli(config_file, "check", "--all").exit_code == 0
    replaced = list(ExtractionPool._executor._processes.values())
    assert replaced and all(worker.is_alive() for worker in replaced)
    assert not {worker.pid for worker in replaced} & {worker.pid for worker in workers}
    assert sum(row["repeats"] for row in checks(config_file, web.url("/a"))) == 3


KILLED_WHILE_STARTING_A_WORKER = """
import os
from multiprocessing import forkserver
from citewatch.crawler.extract import ExtractionPool

assert ExtractionPool.executor(1).submit(len, "up").result() == 2  # the forkserver runs
# What a parent killed while starting a worker leaves: a new process asked of the
# forkserver, and its pipe closed before what the worker runs was written to it.
started, handing = forkserver._forkserver.connect_to_new_process([])
pid = forkserver.read_signed(started)
os.close(handing)
print(pid, forkserver.read_signed(started))  # the worker's pid and exit status, once it has ended
ExtractionPool.shutdown()
"""


def test_a_worker_whose_parent_died_while_starting_it_ends_without_a_traceback():
    """The traceback multiprocessing would print on the dead parent's stderr (a cron mail,
    the daemon's journal) reads as a crash of citewatch's, when it was only killed."""
    ended = subprocess.run([sys.executable, "-c", KILLED_WHILE_STARTING_A_WORKER], capture_output=True, text=True, timeout=60)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.split()[1] == "1"  # the worker did end, having nothing to run
    assert "Traceback" not in ended.stderr and "EOFError" not in ended.stderr


def test_split_by_host_keeps_each_host_in_one_shard_and_balances():
    from citewatch.crawler.shards import split_by_host
    from citewatch.model import SourceToCheck

    hosts = {"a.example": 6, "b.example": 4, "C.example": 2, "c.example": 1, "d.example": 2}
    sources = [SourceToCheck(n, f"https://{host}/{n}") for host, count in hosts.items() for n in range(count)]
    shards = split_by_host(sources, 2)
    assert sorted(len(shard) for shard in shards) == [7, 8]
    for host in ("a.example", "b.example", "c.example", "d.example"):
        assert sum(any(host in s.url.lower() for s in shard) for shard in shards) == 1
    assert split_by_host(sources[:2], 4) == [sources[:2]]  # one host: one shard, no empty ones


def sharded_sources(config_file: Path, tmp_path: Path, web, per_host: int = 2) -> list:
    """Sources on two hosts (127.0.0.1 and localhost: one server, two host names)."""
    paths = [f"/p{n}" for n in range(per_host)]
    for path in paths:
        web.pages[path] = Page(ARTICLE.replace("Friday", path))
    port = web.url("/").split(":")[2].split("/")[0]
    urls = [f"http://{host}:{port}{path}" for host in ("127.0.0.1", "localhost") for path in paths]
    record = write_record(tmp_path / "record.json", "incident", urls)
    assert run_cli(config_file, "ingest", str(record)).exit_code == 0
    db = open_database(config_file.parent / "data" / "citewatch.db")
    try:
        return sources_to_check(db, utc_now(), everything=True)
    finally:
        db.close()


def two_processes(settings: Settings) -> Settings:
    return dataclasses.replace(settings, crawl=dataclasses.replace(settings.crawl, processes=2))


def test_a_big_crawl_is_split_by_host_over_processes_and_every_check_stored(config_file, tmp_path, web, monkeypatch):
    """Enough sources that each shard extracts in its own worker pool: a child process must
    shut its pool down, or it never exits."""
    from citewatch.crawler import crawl, runner

    per_host = crawl.POOL_THRESHOLD
    sources = sharded_sources(config_file, tmp_path, web, per_host)
    monkeypatch.setattr(runner, "SHARD_THRESHOLD", 1)
    settings = two_processes(load_settings(config_file))
    progress = []
    summary = run_check(settings, sources, on_checked=lambda: progress.append(1))
    assert summary.checked == 2 * per_host and summary.states == {"ok": 2 * per_host}  # half from the child
    assert len(progress) == 2 * per_host  # the child's checks reported too
    for source in sources:
        assert [row["outcome"] for row in checks(config_file, source.url)] == ["fetched"]


def test_stopping_a_sharded_crawl_stops_its_children(config_file, tmp_path, web, monkeypatch):
    from citewatch.crawler import runner

    sources = sharded_sources(config_file, tmp_path, web)
    monkeypatch.setattr(runner, "SHARD_THRESHOLD", 1)
    settings = two_processes(load_settings(config_file))
    control = runner.CrawlControl()
    control.stop()
    assert run_check(settings, sources, control=control).checked == 0
    assert all(checks(config_file, source.url) == [] for source in sources)


def test_a_child_that_cannot_start_is_reported_once_this_process_shard_is_stored(config_file, tmp_path, web, monkeypatch):
    """Children start while this process crawls its own shard; a failed start is raised
    at the end, and this process's checks are kept."""
    from citewatch.crawler import runner

    sources = sharded_sources(config_file, tmp_path, web)
    monkeypatch.setattr(runner, "SHARD_THRESHOLD", 1)
    settings = two_processes(load_settings(config_file))
    with pytest.raises(Exception, match="pickle"):
        run_check(settings, sources, clock=lambda: utc_now())  # a lambda cannot go to a child
    stored = [source for source in sources if checks(config_file, source.url)]
    assert len(stored) == len(sources) // 2


def test_a_check_that_cannot_be_stored_leaves_the_rest_of_its_batch_stored(config_file, tmp_path, web, monkeypatch):
    """Checks commit in batches, each in its own savepoint: one failing halfway through
    leaves nothing of itself, and its source stays due."""
    from citewatch.storage import checks as stored_checks

    for path in ("/a", "/b", "/c"):
        web.pages[path] = Page(ARTICLE.replace("Friday", path))
    record = write_record(tmp_path / "record.json", "incident", [web.url(p) for p in ("/a", "/b", "/c")])
    assert run_cli(config_file, "ingest", str(record)).exit_code == 0
    source_update = stored_checks._source_update

    def fail_for_b(result, *args):  # called after the check's row is inserted
        if result.source.url.endswith("/b"):
            raise OSError("simulated failure while storing /b")
        return source_update(result, *args)

    monkeypatch.setattr(stored_checks, "_source_update", fail_for_b)
    result = run_cli(config_file, "check", "--all")
    assert result.exit_code == 1 and "1 check failed (1 in store: OSError), still due" in result.output
    assert [len(checks(config_file, web.url(p))) for p in ("/a", "/b", "/c")] == [1, 0, 1]
    monkeypatch.undo()
    assert run_cli(config_file, "check").exit_code == 0  # /b is still due
    assert len(checks(config_file, web.url("/b"))) == 1


class SimulatedBug(Exception):
    pass


@pytest.mark.parametrize("stage, step", [
    ("fetch", "citewatch.crawler.spider.result_from_response"),
    ("extract", "citewatch.crawler.pipelines.extract_text"),
    ("judge", "citewatch.crawler.judges.Judges.verdict"),
    ("confirm", "citewatch.crawler.pipelines.volatile_signatures"),
    ("assess", "citewatch.crawler.pipelines.advance"),
])
def test_a_check_that_fails_in_any_step_is_recorded_counted_and_stays_due(stage, step, config_file, tmp_path, web, monkeypatch):
    web.pages["/a"] = Page(ARTICLE)
    record = write_record(tmp_path / "record.json", "incident", [web.url("/a")])
    assert run_cli(config_file, "ingest", str(record)).exit_code == 0

    def bug(*args, **kwargs):
        raise SimulatedBug("a page no step could handle")

    monkeypatch.setattr(step, bug)
    result = run_cli(config_file, "check", "--all")
    assert result.exit_code == 1
    assert f"1 check failed (1 in {stage}: SimulatedBug), still due" in result.output
    assert "Checked 0 sources" in result.output
    db = open_database(config_file.parent / "data" / "citewatch.db")
    try:
        assert [(row["stage"], row["error_class"], row["detail"]) for row in db["check_failures"].rows] == [
            (stage, "SimulatedBug", "a page no step could handle")]
    finally:
        db.close()
    assert checks(config_file, web.url("/a")) == []
    monkeypatch.undo()
    assert run_cli(config_file, "check").exit_code == 0  # still due
    assert [row["outcome"] for row in checks(config_file, web.url("/a"))] == ["fetched"]


def test_run_says_which_checks_failed_and_exits_1(config_file, tmp_path, web, monkeypatch):
    web.pages["/a"] = Page(ARTICLE)
    web.pages["/b"] = Page(ARTICLE.replace("Friday", "Monday"))
    record = write_record(tmp_path / "record.json", "incident", [web.url("/a"), web.url("/b")])
    assert run_cli(config_file, "ingest", str(record)).exit_code == 0
    extract_text = pipelines.extract_text

    def fail_for_b(result):
        if result.source.url.endswith("/b"):
            raise SimulatedBug("a page no step could handle")
        return extract_text(result)

    monkeypatch.setattr(pipelines, "extract_text", fail_for_b)
    result = run_cli(config_file, "run")
    assert result.exit_code == 1
    assert "Checked 1 source;" in result.output
    assert "error: 1 check failed (1 in extract: SimulatedBug), still due: see the log" in result.output


def test_a_revisit_reads_the_content_age_from_an_index_alone(tmp_path):
    """Every check reads when the latest snapshot was taken; the snapshot's row, with its
    text, must not be read for that."""
    from citewatch.storage.checks import snapshot_age

    db = open_database(tmp_path / "citewatch.db")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    snapshot_age(db, 1)
    db.conn.set_trace_callback(None)
    ((*_, plan),) = db.execute("EXPLAIN QUERY PLAN " + statements[-1]).fetchall()
    db.close()
    assert "COVERING INDEX" in plan
