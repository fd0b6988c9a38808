"""Pages whose article only scripts draw, rendered in the system's Chromium (Debian's
`chromium`); without a browser, the check says so."""

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


def scripted(paragraphs: list[str]) -> str:
    """An application's page: an empty root, and the article drawn by a script from its own
    code (no JSON state a reader of the HTML could use)."""
    parts = " + ".join(repr(f"<p>{p}</p>") for p in paragraphs)
    return ("<html><head><title>Demining cut</title></head><body><div id='root'></div>"
            f"<script>setTimeout(function () {{ document.getElementById('root').innerHTML = '<article>' + {parts} + '</article>'; }}, 50);</script>"
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
