"""Pages whose article only scripts draw, rendered in the system's Chromium (Debian's
`chromium`); without a browser, the check says so."""

import json
from datetime import timedelta

import pytest
from helpers import Checker, query
from webserver import Page

from citewatch.config import RenderSettings
from citewatch.crawler.render import browser

needs_chromium = pytest.mark.skipif(browser(RenderSettings()) is None,
                                    reason="headless Chromium is not installed (apt-get install chromium); .ci/run installs it")

PARAGRAPHS = [
    "The defence secretary signed a memo on December 2 that reverses the policy limiting the use of landmines.",
    "The same memo rescinds the humanitarian demining programme, which had provided more than $5 billion to 125 countries.",
    "Humanitarian groups said the decision would put civilians at risk for decades, since mines remain active for years.",
]


def scripted(paragraphs: list[str], after_ms: int = 50) -> str:
    """An application's page: an empty root, and the article drawn by a script from its own
    code (no JSON state a reader of the HTML could use)."""
    parts = " + ".join(repr(f"<p>{p}</p>") for p in paragraphs)
    return ("<html><head><title>Demining cut</title></head><body><div id='root'>Loading…</div>"
            f"<script>setTimeout(function () {{ document.getElementById('root').innerHTML = '<article>' + {parts} + '</article>'; }}, {after_ms});</script>"
            "</body></html>")


def fetched(path: str) -> str:
    """An application's page whose script asks the server for the article once loaded,
    slowly, in two parts."""
    draw = "function (p) { document.getElementById('root').innerHTML += p.map(function (t) { return '<p>' + t + '</p>'; }).join(''); }"
    get = f"function (n) {{ return fetch('{path}?part=' + n).then(function (r) {{ return r.json(); }}).then({draw}); }}"
    return ("<html><head><title>Demining cut</title></head><body><div id='root'></div>"
            f"<script>var get = {get}; window.addEventListener('load', function () {{ get(1).then(function () {{ return get(2); }}); }});</script>"
            "</body></html>")


def _checker(tmp_path, render=""):
    tmp_path.mkdir(exist_ok=True)
    config = tmp_path / "citewatch.toml"
    config.write_text('[storage]\ndir = "data"\n[crawl]\ntimeout = 5\ndelay = 0\nallow_private_addresses = true\n'
                      f"[wayback]\nenabled = false\n[render]\ntimeout = 15\n{render}")
    return Checker(config, tmp_path)


@needs_chromium
def test_a_page_drawn_by_scripts_is_rendered_and_its_edits_found(tmp_path, web):
    checker = _checker(tmp_path)
    web.pages["/app"] = Page(scripted(PARAGRAPHS))
    url = web.url("/app")
    checker.cite(url)
    checker.check()
    assert (checker.status(url)["state"], checker.status(url)["reason"]) == ("ok", None)
    web.pages["/app"] = Page(scripted([PARAGRAPHS[0], PARAGRAPHS[1].replace("$5", "$3"), PARAGRAPHS[2]]))
    checker.check(after=timedelta(days=1))
    (changed,) = [detail for kind, detail in checker.events(url) if kind == "changed"]
    assert "-The same memo" in changed["diff"] and "$3 billion" in changed["diff"]
    assert "+Humanitarian" not in changed["diff"]  # the confirmation was rendered too: no line taken for noise


@needs_chromium
@pytest.mark.parametrize("drawn", ["late", "fetched"])
def test_a_page_drawn_late_is_read_once_drawn(tmp_path, web, drawn):
    """Its scripts draw the article after a pause, or after asking the server for it: the
    render waits until the page has settled, not for a fixed time."""
    if drawn == "late":
        web.pages["/app"] = Page(scripted(PARAGRAPHS, after_ms=1500))
    else:
        web.pages["/app"] = Page(fetched("/app.json"))
        for part, paragraphs in ((1, PARAGRAPHS[:1]), (2, PARAGRAPHS[1:])):
            web.pages[f"/app.json?part={part}"] = Page(json.dumps(paragraphs), content_type="application/json", delay=0.7)
    checker = _checker(tmp_path)
    url = web.url("/app")
    checker.cite(url)
    checker.check()
    assert all(paragraph in _snapshot_text(checker, url) for paragraph in PARAGRAPHS)


def _snapshot_text(checker, url):
    with checker.citewatch() as cw:
        snapshot = cw.snapshot(url)
    return snapshot.text if snapshot is not None else ""


@needs_chromium
def test_a_configured_host_is_rendered_even_when_auto_is_off(tmp_path, web):
    web.pages["/app"] = Page(scripted(PARAGRAPHS))
    url = web.url("/app")
    for render, rendered in (("auto = false\n", False), ('hosts = ["127.0.0.1"]\nauto = false\n', True)):
        checker = _checker(tmp_path / str(rendered), render)
        checker.cite(url)
        checker.check()
        assert ("$5 billion" in _snapshot_text(checker, url)) is rendered


def test_without_a_browser_the_check_says_so(tmp_path, web):
    checker = _checker(tmp_path, render='browser = "/nonexistent/chromium"\n')
    web.pages["/app"] = Page(scripted(PARAGRAPHS))
    url = web.url("/app")
    checker.cite(url)
    checker.check()
    assert [row["reason"] for row in query(checker.config_file, "SELECT reason FROM checks")] == ["no_browser"]
    assert checker.status(url)["state"] == "ok"
