"""`citewatch serve`: Datasette over the database, read-only, with the facets and canned
queries a maintainer needs, queried through Datasette's own test client; and the server
itself, started and stopped as a user would."""

import asyncio
import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from digest_events import make_events
from helpers import run_cli
from lxml import html as lxml_html
from webserver import Page

from citewatch import Citewatch
from citewatch.config import load_settings


def write_config(tmp_path, extra=""):
    path = tmp_path / "citewatch.toml"
    path.write_text('[storage]\ndir = "data"\n[crawl]\ndelay = 0\ntimeout = 2\nallow_private_addresses = true\n'
                    f"[dead]\nfailures = 1\nmin_days = 0\n[wayback]\nenabled = false\n{extra}")
    return path


@pytest.fixture
def tracker(tmp_path, events):
    """Two incidents after their checks: two sources changed, one dead, one blocked."""
    config = write_config(tmp_path)
    events.pages["/walled"] = Page("<h1>Forbidden</h1>", status=403)
    records = json.loads((tmp_path / "records.json").read_text())
    records[1]["record"]["sources"].append({"url": events.url("/walled"), "title": "Ministry statement"})
    (tmp_path / "records.json").write_text(json.dumps(records))
    make_events(config, tmp_path, events)
    return config


@pytest.fixture
def datasette(tracker):
    with Citewatch(load_settings(tracker)) as cw:
        app = cw.browse()
    yield lambda path: asyncio.run(app.client.get(path))


def rows(get, path):
    response = get(path + ("&" if "?" in path else "?") + "_shape=array")
    assert response.status_code == 200, response.text
    return response.json()


def test_canned_queries_answer_what_maintainers_ask(datasette, events):
    (dead,) = rows(datasette, "/citewatch/dead_by_incident.json")
    assert dead["incident"] == "landmine-policy" and dead["url"] == events.url("/statement")
    assert dead["reason"] == "http_404" and dead["verified_copy"] is None

    changes = rows(datasette, "/citewatch/changes_this_week.json")
    assert {change["url"] for change in changes} == {events.url("/landmines"), events.url("/demining")}
    landmines = next(change for change in changes if change["url"] == events.url("/landmines"))
    assert "+The same memo" in landmines["diff"] and "$4 billion" in landmines["diff"]
    assert landmines["incidents"] == "demining-cuts, landmine-policy" and landmines["summary"] == "1 paragraph changed"

    (blocked,) = rows(datasette, "/citewatch/blocked_sources.json")
    assert blocked["url"] == events.url("/walled") and blocked["reason"] == "forbidden"
    assert blocked["host"] == events.url("/").split("/")[2]

    (unarchived,) = rows(datasette, "/citewatch/dead_without_verified_copy.json")
    assert unarchived["url"] == events.url("/statement") and unarchived["local_copy_of"]

    cited = rows(datasette, "/citewatch/incident_sources.json?incident=demining-cuts")
    assert [(row["url"], row["state"]) for row in cited] == [
        (events.url("/demining"), "ok"), (events.url("/landmines"), "ok"), (events.url("/walled"), "blocked")]


def test_citations_are_faceted_by_state_reason_host_and_incident(datasette):
    page = datasette("/citewatch/cited_sources.json").json()
    facets = page["facet_results"]
    facets = facets.get("results", facets)  # Datasette 1.0 nests them
    assert {"state", "reason", "host", "incident"} <= set(facets)
    states = {item["value"]: item["count"] for item in facets["state"]["results"]}
    assert states == {"ok": 3, "dead": 1, "blocked": 1}
    incidents = {item["value"]: item["count"] for item in facets["incident"]["results"]}
    assert incidents == {"landmine-policy": 2, "demining-cuts": 3}


def test_pages_are_titled_described_and_show_diffs_as_diffs(datasette):
    index = lxml_html.fromstring(datasette("/citewatch").text)
    links = {a.text_content().strip() for a in index.iter("a")}
    assert {"Dead sources by incident", "Changes this week, with their diffs", "Blocked sources",
            "Dead sources without a verified archived copy", "Sources of one incident"} <= links
    assert "volatile_signatures" not in links  # internals are hidden
    sources = datasette("/citewatch/sources").text
    assert "One row per cited URL" in sources
    changes = lxml_html.fromstring(datasette("/citewatch/changes_this_week").text)
    (diff, *_) = changes.xpath("//div[@class='diff']")
    (edit, *_) = diff.xpath("div[@class='edit']")  # a paragraph edited: its changed words marked
    assert edit.xpath("del") and edit.xpath("ins")


def test_nothing_served_can_write(datasette, tracker):
    refused = datasette("/citewatch.json?sql=DELETE+FROM+sources")
    assert refused.status_code == 400
    assert rows(datasette, "/citewatch.json?sql=SELECT+count(*)+AS+n+FROM+sources") == [{"n": 4}]
    with Citewatch(load_settings(tracker)) as cw:
        app = cw.browse()
    with pytest.raises(Exception, match="readonly"):
        asyncio.run(app.get_database("citewatch").execute_fn(lambda conn: conn.execute("DELETE FROM sources")))


def test_the_report_links_incidents_and_sources_to_their_rows(tmp_path, tracker, datasette):
    assert run_cli(tracker, "report", "--out", str(tmp_path / "report")).exit_code == 0
    page = lxml_html.parse(str(tmp_path / "report" / "incidents" / "demining-cuts.html")).getroot()
    hrefs = [href for href in page.xpath("//a/@href") if href.startswith("http://127.0.0.1:8001/")]
    assert "http://127.0.0.1:8001/citewatch/cited_sources?incident=demining-cuts" in hrefs
    source_links = [href for href in hrefs if "/citewatch/sources/" in href]
    assert len(source_links) == 3
    for href in hrefs:
        assert datasette(href.removeprefix("http://127.0.0.1:8001")).status_code == 200, href
    assert len(rows(datasette, "/citewatch/cited_sources.json?incident=demining-cuts")) == 3

    unlinked = write_config(tmp_path, "[serve]\nreport_links = false\n")
    assert run_cli(unlinked, "report", "--out", str(tmp_path / "plain")).exit_code == 0
    assert "8001" not in (tmp_path / "plain" / "incidents" / "demining-cuts.html").read_text()


def test_serve_listens_until_stopped_and_says_where(tracker):
    citewatch = str(Path(sys.executable).parent / "citewatch")
    server = subprocess.Popen([citewatch, "--config", str(tracker), "serve", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("Serving the citewatch database read-only at http://127.0.0.1:"), line
        url = line.split(" at ")[1].split(" ")[0]
        with urllib.request.urlopen(url + "/dead_by_incident.json?_shape=array", timeout=10) as answer:
            assert len(json.load(answer)) == 1
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
    assert server.stderr.read() == ""  # Uvicorn's lines are for -v


def test_an_address_in_use_is_a_clear_error(tracker):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_cli(tracker, "serve", "--port", str(taken.getsockname()[1]))
    assert result.exit_code == 2 and "cannot serve on 127.0.0.1:" in result.output and "choose another --port" in result.output


def test_snapshot_text_shows_as_text(datasette):
    page = lxml_html.fromstring(datasette("/citewatch/snapshots").text)
    texts = [div.text_content() for div in page.xpath("//div[@class='citewatch-text']")]
    assert texts and any("billion" in text for text in texts)
