"""Exports pulled over http(s) from a loopback tracker: read as files are, with a
conditional GET, an index of record URLs followed, a cut-off or failing answer one error
naming it, configured feeds pulled by `run` before the checks."""

import json

import pytest
from helpers import query, run_cli, status_json
from webserver import Page


def records(*slugs):
    return [{"slug": slug, "title": slug, "sources": [{"url": f"https://news.example/{slug}"}]} for slug in slugs]


@pytest.fixture
def tracker(web):
    web.pages["/export.json"] = Page(json.dumps(records(*"abcdefghij")), content_type="application/json", etag='"v1"')
    return web


def test_an_export_url_is_ingested_and_not_read_again_until_it_changes(config_file, tracker):
    url = tracker.url("/export.json")
    first = run_cli(config_file, "ingest", url)
    assert first.exit_code == 0 and "Ingested 10 incidents" in first.output
    again = run_cli(config_file, "ingest", url)
    assert again.exit_code == 0 and f"Not modified since its last pull: {url}" in again.output
    assert tracker.requests_to("/export.json")[-1].get("If-None-Match") == '"v1"'
    tracker.pages["/export.json"] = Page(json.dumps(records(*"abcdefghik")), content_type="application/json", etag='"v2"')
    changed = run_cli(config_file, "ingest", "--complete", url)
    assert changed.exit_code == 0 and "Retired 1 incident" in changed.output
    assert sorted(status_json(config_file)) == [f"https://news.example/{s}" for s in "abcdefghik"]


def test_an_index_of_record_urls_is_followed(config_file, web):
    for slug in "xyz":
        web.pages[f"/records/{slug}.json"] = Page(json.dumps(records(slug)[0]), content_type="application/json")
    web.pages["/index.json"] = Page(json.dumps({"records": [web.url(f"/records/{s}.json") for s in "xyz"]}))
    result = run_cli(config_file, "ingest", web.url("/index.json"))
    assert result.exit_code == 0 and "Ingested 3 incidents" in result.output


def test_a_cut_off_or_failing_export_is_one_error_naming_it_and_retires_nothing(config_file, tracker):
    run_cli(config_file, "ingest", tracker.url("/export.json"))
    tracker.pages["/export.json"] = Page(json.dumps(records(*"abcdefghij"))[:-40], etag='"v3"')  # truncated in transit
    cut = run_cli(config_file, "ingest", "--complete", tracker.url("/export.json"))
    assert cut.exit_code == 2 and f"error: {tracker.url('/export.json')}" in cut.output and "invalid JSON" in cut.output
    assert "some records could not be read" in cut.output and len(status_json(config_file)) == 10
    assert not query(config_file, "SELECT * FROM feeds WHERE etag = '\"v3\"'")  # pulled again next time
    tracker.pages["/export.json"] = Page("<h1>Down</h1>", status=503)
    down = run_cli(config_file, "ingest", tracker.url("/export.json"))
    assert down.exit_code == 2 and "the server answered 503" in down.output


def test_a_private_address_is_refused_unless_allowed(tmp_path, tracker):
    config = tmp_path / "strict.toml"
    config.write_text('[storage]\ndir = "data"\n[wayback]\nenabled = false\n')
    result = run_cli(config, "ingest", tracker.url("/export.json"))
    assert result.exit_code == 2 and "loopback address" in result.output


def test_run_pulls_configured_feeds_with_their_token_before_checking(tmp_path, tracker, monkeypatch):
    monkeypatch.setenv("TRACKER_TOKEN", "Authorization: Bearer t0ken")
    config = tmp_path / "citewatch.toml"
    config.write_text('[storage]\ndir = "data"\n[crawl]\ntimeout = 2\ndelay = 0\nallow_private_addresses = true\n'
                      '[wayback]\nenabled = false\n'
                      f'[[ingest.feeds]]\nurl = "{tracker.url("/export.json")}"\nheaders_env = "TRACKER_TOKEN"\ncomplete = true\n')
    result = run_cli(config, "run")
    assert f"Feed {tracker.url('/export.json')}: 10 incidents, 10 new sources." in result.output
    assert "Checked 10 sources" in result.output  # the new citations, in the same cycle
    assert tracker.requests_to("/export.json")[0].get("Authorization") == "Bearer t0ken"
    assert "t0ken" not in result.output


def test_credentials_in_a_feed_url_are_never_sent_nor_shown(config_file, tracker):
    url = tracker.url("/export.json").replace("http://", "http://editor:s3cr3t@")
    result = run_cli(config_file, "ingest", url)
    assert "s3cr3t" not in result.output and "a user name and password in the URL were removed" in result.output
    assert "Ingested 10 incidents" in result.output
    assert "Authorization" not in tracker.requests_to("/export.json")[-1]
