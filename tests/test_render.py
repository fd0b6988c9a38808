"""Pages whose article only scripts draw, rendered in the system's Chromium (Debian's
`chromium`); without a browser, the check says so."""

import dataclasses
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


def _checker(tmp_path, render="", timeout=15):
    """A checker whose config ends with `render`: more keys of [render], then any other tables."""
    tmp_path.mkdir(exist_ok=True)
    config = tmp_path / "citewatch.toml"
    config.write_text('[storage]\ndir = "data"\n[crawl]\ntimeout = 5\ndelay = 0\nallow_private_addresses = true\n'
                      f"[wayback]\nenabled = false\n[render]\ntimeout = {timeout}\n{render}")
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


NOT_FOUND_VIEWS = {  # an application's own "page not found", drawn by its script
    "worded": "<h1>Page not found</h1><p>Sorry, we could not find that page.</p>",
    "unworded": "<h2>Hmm…</h2><p>Il n'y a rien à cette adresse. Revenez à l'accueil pour lire nos enquêtes.</p>",
}


def single_page_app(articles: dict[str, list[str]], build: str = "b1", not_found: str = NOT_FOUND_VIEWS["worded"]) -> str:
    """One shell for every path, as a single-page application's host serves it (200 for
    any path, made-up ones too); the script draws the article of the path, or its own
    "page not found"."""
    drawn = json.dumps({path: "".join(f"<p>{p}</p>" for p in paragraphs) for path, paragraphs in articles.items()})
    return ("<html><head><title>Tracker</title></head><body><div id='root'></div>"
            f"<script>var articles = {drawn}; var body = articles[location.pathname];"
            f"document.getElementById('root').innerHTML = body ? '<article>' + body + '</article>' : {json.dumps(not_found)};"
            "</script>"
            f"<script src='/static/{build}.js'></script></body></html>")


def _single_page_app_site(web, not_found=NOT_FOUND_VIEWS["worded"]):
    shell = Page(lambda n: single_page_app({"/story/1": PARAGRAPHS}, f"b{n}", not_found))
    web.unknown = shell  # every path answers 200 with the same shell (a new build each time)
    return web.url("/story/1"), web.url("/story/2")


DEAD_AT_ONCE = "[dead]\nfailures = 1\nmin_days = 0\n"  # one check tells


@needs_chromium
@pytest.mark.parametrize("not_found", NOT_FOUND_VIEWS)
def test_a_single_page_applications_article_is_alive_and_its_missing_one_dead(tmp_path, web, not_found):
    """Made-up paths get the same shell as the article (200): the empty shell tells nothing,
    so the page is judged as the browser draws it, against a made-up path as drawn (its
    "not found" may say so in no words citewatch knows)."""
    live, missing = _single_page_app_site(web, NOT_FOUND_VIEWS[not_found])
    checker = _checker(tmp_path, DEAD_AT_ONCE)
    checker.cite(live, missing)
    checker.check()
    assert (checker.status(live)["state"], checker.status(live)["reason"]) == ("ok", None)
    assert "$5 billion" in _snapshot_text(checker, live)
    assert (checker.status(missing)["state"], checker.status(missing)["reason"]) == ("dead", "soft_404")


def test_without_a_browser_a_single_page_applications_shell_is_not_judged_dead(tmp_path, web):
    live, _ = _single_page_app_site(web)
    checker = _checker(tmp_path, 'browser = "/nonexistent/chromium"\n' + DEAD_AT_ONCE)
    checker.cite(live)
    checker.check()
    assert checker.status(live)["state"] == "ok"
    assert {row["reason"] for row in query(checker.config_file, "SELECT reason FROM checks")} == {"no_browser"}


@needs_chromium
@pytest.mark.parametrize("failure", ["no_browser", "render_failed"])
def test_a_page_that_cannot_be_rendered_this_time_is_no_change(tmp_path, web, failure):
    """Read through the browser before, it cannot be now (the browser gone, or its render
    failing): its text was not read, so there is nothing to compare, least of all the
    placeholder its HTML shows."""
    web.pages["/app"] = Page(lambda n: scripted(PARAGRAPHS).replace("</body>", f"<script src='/app.js'></script><!-- {n} --></body>"))
    web.pages["/app.js"] = Page("", content_type="text/javascript")
    url = web.url("/app")
    checker = _checker(tmp_path, timeout=3)
    checker.cite(url)
    checker.check()
    if failure == "no_browser":
        checker.settings = dataclasses.replace(checker.settings, render=dataclasses.replace(checker.settings.render, browser="/nonexistent/chromium"))
    else:
        web.pages["/app.js"].delay = 4  # its script comes too late: the browser's page never loads in time
    checker.check(after=timedelta(days=1))
    assert [row["reason"] for row in query(checker.config_file, "SELECT reason FROM checks ORDER BY id")] == [None, failure]
    assert (checker.status(url)["state"], checker.status(url)["changes"]) == ("ok", 0)
    assert "$5 billion" in _snapshot_text(checker, url)

