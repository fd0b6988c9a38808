"""Two incidents whose sources change and die: the events every digest test alerts."""

import json
from pathlib import Path

import pytest
from click.testing import Result
from helpers import ARTICLE, run_cli
from webserver import Page, Web

from citewatch.reports import alerts

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)> Evil\r\nBcc: victim@example.org"


def write_records(tmp_path: Path, web: Web) -> None:
    """records.json in tmp_path: two incidents citing three pages of `web`, one page twice."""
    web.pages["/landmines"] = Page(ARTICLE)
    web.pages["/demining"] = Page(ARTICLE.replace("Friday", "Thursday"))
    web.pages["/statement"] = Page(ARTICLE.replace("Friday", "Monday"))
    records = [
        {"site": "https://tracker.example", "record": {
            "slug": "landmine-policy", "title": "Landmine ban reversed", "url": "https://tracker.example/incident/landmine-policy",
            "category": "foreign-policy", "tags": ["landmines"],
            "sources": [{"url": web.url("/landmines"), "title": "Land mine policy reversed", "publisher": "The Example Times"},
                        {"url": web.url("/statement"), "title": HOSTILE, "publisher": "NGO"}]}},
        {"site": "https://tracker.example", "record": {
            "slug": "demining-cuts", "title": "Demining programme cut", "url": "https://tracker.example/incident/demining-cuts",
            "category": "aid", "tags": [],
            "sources": [{"url": web.url("/demining"), "title": "Demining cut", "publisher": "Wire"},
                        {"url": web.url("/landmines"), "title": "Land mine policy reversed", "publisher": "The Example Times"}]}},
    ]
    (tmp_path / "records.json").write_text(json.dumps(records))


def make_events(config: Path, tmp_path: Path, web: Web) -> None:
    """Ingest and check twice: two sources changed, one dead (404)."""
    assert run_cli(config, "ingest", str(tmp_path / "records.json")).exit_code == 0
    run_cli(config, "check", "--all")
    web.pages["/landmines"] = Page(ARTICLE.replace("$5 billion", "$4 billion"))
    web.pages["/demining"] = Page(ARTICLE.replace("Friday", "Thursday").replace("125 countries", "120 countries"))
    web.pages["/statement"] = Page("<h1>Gone</h1>", status=404)
    run_cli(config, "check", "--all")


class SimulatedCrash(BaseException):
    """The process dying: nothing in citewatch catches it."""


def alert_after_a_crash_once_delivered(config: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """`alert` killed right after the receiver took the message, before it was marked
    sent; then the `alert` that follows, whose result this is."""

    def crash(*args: object) -> None:
        raise SimulatedCrash("killed right after the receiver took the message")

    with monkeypatch.context() as patched:
        patched.setattr(alerts, "mark_sent", crash)
        with pytest.raises(SimulatedCrash):
            run_cli(config, "alert")
    return run_cli(config, "alert")
