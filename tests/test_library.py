"""citewatch as a library: the Citewatch facade used from Python, without the command line."""

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from helpers import ARTICLE, write_record
from webserver import Page, Web

from citewatch import Citewatch, Settings
from citewatch.config import settings_from_dict
from citewatch.errors import BadInput, UnknownIncident, UnknownSource
from citewatch.model import CheckSummary, State
from citewatch.urls import InvalidURL

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    """A clock the test moves; picklable, so big crawls could take it to child processes."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def library_settings(tmp_path, **sections) -> Settings:
    data = {
        "storage": {"dir": str(tmp_path / "data")},
        "crawl": {"timeout": 2, "delay": 0, "allow_private_addresses": True},
        "wayback": {"enabled": False},
        "dead": {"failures": 1, "min_days": 0},
        **sections,
    }
    return settings_from_dict(data)


def test_the_library_ingests_checks_and_answers_without_the_command_line(tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    web.pages["/gone"] = Page("<h1>Gone</h1>", status=410)
    article, gone = web.url("/article"), web.url("/gone")
    record = write_record(tmp_path / "record.json", "strike", [article, gone])
    clock = Clock()
    with Citewatch(library_settings(tmp_path), clock=clock) as cw:
        ingested = cw.ingest([record])
        assert (ingested.incidents, ingested.citations, ingested.new_sources, ingested.problems) == (1, 2, 2, [])

        first = cw.check(all=True)
        assert first == CheckSummary(checked=2, changed=0, states={"ok": 1, "dead": 1})

        clock.now += timedelta(days=1)
        web.pages["/article"] = Page(ARTICLE.replace("Friday", "Thursday"))
        assert cw.check([article]).changed == 1

        statuses = {row.url: row for row in cw.status()}
        assert statuses[article].state is State.OK and statuses[article].changes == 1
        assert statuses[gone].state is State.DEAD and statuses[gone].reason == "http_410"
        assert [row.url for row in cw.status(state="dead")] == [gone]
        assert [row.url for row in cw.status(incident="strike", state=State.OK)] == [article]

        assert [entry.outcome for entry in cw.history(article)] == ["fetched", "fetched"]
        assert "changed: 1 paragraph changed" in cw.history(article)[1].events
        change = cw.diff(article)
        assert change is not None and "Thursday" in change.diff and "Friday" in change.diff
        assert cw.diff(gone) is None

        assert "Friday" in cw.snapshot(article, at=START.date().isoformat()).text
        assert "Thursday" in cw.snapshot(article).text
        assert b"Thursday" in cw.raw_snapshot(article).body
        assert cw.raw_snapshot(article, at="2000-01-01") is None
        assert cw.export_warc(tmp_path / "strike.warc.gz", incident="strike") == 3  # two versions and the 410

        report = cw.report(tmp_path / "site", "json")
        assert report.entry == tmp_path / "site" / "citations.json" and report.incidents == 1
        rows = {row["url"]: row for row in json.loads(report.entry.read_text())}
        assert rows[gone]["state"] == "dead" and rows[article]["changes"] == 1

        assert cw.alert(dry_run=True).preview.startswith("Subject: [citewatch] 1 source changed, 1 dead")
        assert cw.alert().disabled  # no notifier: nothing sent, nothing marked
        assert cw.alert(dry_run=True).preview is not None


def test_the_library_raises_errors_that_name_what_is_wrong(tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    record = write_record(tmp_path / "record.json", "strike", [web.url("/article")])
    with Citewatch(library_settings(tmp_path)) as cw:
        cw.ingest([record])
        with pytest.raises(UnknownSource, match="not a cited source: https://elsewhere.example/a"):
            cw.check(["https://elsewhere.example/a"])
        with pytest.raises(InvalidURL, match="unsupported scheme 'javascript'"):
            cw.check(["javascript:alert(1)"])
        with pytest.raises(UnknownSource):
            cw.history("https://elsewhere.example/a")
        with pytest.raises(UnknownIncident, match="no incident with slug 'nope'"):
            cw.report(tmp_path / "site", incident="nope")
        with pytest.raises(BadInput, match="no state 'zombie'"):
            cw.status(state="zombie")
        with pytest.raises(BadInput, match="'yesterday' is not an ISO 8601 date"):
            cw.snapshot(web.url("/article"), at="yesterday")
        with pytest.raises(BadInput, match="--format: no report format named 'pdf'"):
            cw.report(tmp_path / "site", "pdf")
    with pytest.raises(BadInput, match="schedule.report_format: no report format named 'pdf'"):
        Citewatch(library_settings(tmp_path, schedule={"report_format": "pdf"}))
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(BadInput, match="cannot open the database"):
        Citewatch(settings_from_dict({"storage": {"dir": str(tmp_path / "file")}})).status()


def test_two_instances_one_after_the_other_and_again_in_one_process(tmp_path, web):
    """The reactor is started once per process and reused by every later crawl."""
    web.pages["/article"] = Page(ARTICLE)
    record = write_record(tmp_path / "record.json", "strike", [web.url("/article")])
    settings = library_settings(tmp_path)
    for _ in range(3):
        with Citewatch(settings) as cw:
            cw.ingest([record])
            assert cw.check(all=True).checked == 1
    with Citewatch(settings) as cw:
        history = cw.history(web.url("/article"))
    assert [(entry.outcome, entry.repeats) for entry in history] == [("fetched", 1), ("unchanged", 2)]


UNGUARDED_PROGRAM = """
import logging, sys
import citewatch.crawler.crawl, citewatch.crawler.runner
from citewatch import Citewatch, load_settings

logging.basicConfig()
# Small thresholds, so that four sources use worker processes and two crawl processes.
citewatch.crawler.crawl.POOL_THRESHOLD = 1
citewatch.crawler.runner.SHARD_THRESHOLD = 1
summary = Citewatch(load_settings(sys.argv[1])).check(all=True)
print("CHECKED", summary.checked, "LOST", summary.lost, flush=True)
"""


def test_a_host_program_whose_main_module_is_not_guarded_gets_a_clear_error_not_a_second_run(tmp_path, web):
    """Worker processes import the host's main module; an unguarded one must not run the
    host's work again there (a second crawl, a second digest)."""
    other_host = Web("127.0.0.2")  # two hosts: two shards, one of them in a child process
    urls = []
    for number, server in enumerate([web, web, other_host, other_host]):
        server.pages[f"/a{number}"] = Page(ARTICLE.replace("Friday", f"day {number}"))
        urls.append(server.url(f"/a{number}"))
    config = tmp_path / "citewatch.toml"
    config.write_text('[storage]\ndir = "data"\n[crawl]\ntimeout = 5\ndelay = 0\nallow_private_addresses = true\n'
                      "processes = 2\nextract_workers = 1\n[wayback]\nenabled = false\n")
    with Citewatch(library_settings(tmp_path)) as cw:
        cw.ingest([write_record(tmp_path / "record.json", "strike", urls)])
    program = tmp_path / "unguarded.py"
    program.write_text(UNGUARDED_PROGRAM)
    try:
        run = subprocess.run([sys.executable, str(program), str(config)], capture_output=True, text=True, timeout=120)
    finally:
        other_host.close()
    assert run.stdout.count("CHECKED") == 1, run.stdout  # the host's work ran once, in the host
    assert "UnsafeMainModule" in run.stderr and "if __name__ == \"__main__\":" in run.stderr
    checked, lost = (int(word) for word in run.stdout.split()[1::2])
    assert checked + lost == 4 and lost > 0  # the child's shard is reported lost, not checked twice
    assert "extracting in this process from now on" in run.stderr  # the pool's failure, said once
