"""Liveness on loopback servers: dead is dead, blocked is blocked, and soft deaths are seen."""

from datetime import datetime, timedelta, timezone

import pytest
from helpers import ARTICLE, Checker, closed_port
from webserver import Page

from citewatch.times import from_iso

NOT_FOUND_PAGE = """<html><head><title>Page not found | The Example Times</title></head><body>
<nav><a href="/">Home</a></nav><h1>Sorry, we couldn't find that story</h1>
<p>The page you are looking for may have been moved or deleted. Try our search or go to the home page.</p>
<footer>&copy; The Example Times</footer></body></html>"""

GENERIC_ERROR_PAGE = """<html><head><title>The Example Times</title></head><body>
<h2>Oh dear</h2><p>We looked everywhere for this page, but it is not here any more. Here are today's top stories
instead: Budget talks stall, Storm warning issued, Court hears appeal, Museum reopens after renovation.</p>
</body></html>"""

PARKED_PAGE = """<html><head><title>example-times.com</title>
<script>window.park = "eyJ1dWlkIjoiOGM0"; </script></head><body>
<h1>example-times.com</h1><p>This domain may be for sale! Buy this domain.</p>
<div>Related searches: News Today | Breaking News | World News</div><a href="/privacy">Privacy Policy</a>
</body></html>"""

CHALLENGE_PAGE = """<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>
<body><div id="cf-wrapper"><h1>Sorry, you have been blocked</h1><p>You are unable to access example.com</p>
<div class="cf-error-footer">Cloudflare Ray ID: 7d1f2c3b4a5e6f70</div></div></body></html>"""

JS_CHALLENGE_PAGE = """<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>
<noscript>Enable JavaScript and cookies to continue</noscript><div>Verify you are human by completing the action below.</div>
<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>"""

HOME_PAGE = """<html><head><title>The Example Times: news from everywhere</title></head><body>
<h1>Today's top stories</h1><ul><li><a href="/a">Budget talks stall</a></li><li><a href="/b">Storm warning</a></li></ul>
<p>The Example Times brings you the news from everywhere, every day, with reporting you can trust.</p></body></html>"""


@pytest.fixture
def checker(config_file, tmp_path):
    return Checker(config_file, tmp_path)


def state(checker, url):
    row = checker.status(url)
    return row["state"], row["reason"]


def test_dead_only_after_three_failures_spanning_three_days(checker, web):
    web.pages["/article"] = Page(ARTICLE)
    url = web.url("/article")
    checker.cite(url)
    checker.check()
    web.pages["/article"] = Page("<h1>Gone</h1>", status=404)
    checker.check(timedelta(days=1))
    assert state(checker, url) == ("failing", "http_404")
    checker.check(timedelta(days=1))
    checker.check(timedelta(hours=12))  # a third failure, but only 1.5 days after the first
    assert state(checker, url) == ("failing", "http_404")
    assert checker.source(url)["failure_count"] == 3
    checker.check(timedelta(days=2))
    assert state(checker, url) == ("dead", "http_404")
    (kind, detail), = checker.events(url)
    assert kind == "dead" and detail["reason"] == "http_404"
    assert from_iso(detail["since"]) == datetime(2026, 1, 6, 8, 0, tzinfo=timezone.utc)
    # A dead source keeps being checked, less often, and comes back if the page does.
    wait = from_iso(checker.source(url)["next_check_at"]) - checker.now
    assert timedelta(days=6.3) <= wait <= timedelta(days=7.7)  # weekly, give or take the jitter
    web.pages["/article"] = Page(ARTICLE)
    checker.check(timedelta(days=7))
    assert state(checker, url) == ("ok", None)
    assert [kind for kind, _ in checker.events(url)] == ["dead", "revived"]
    assert checker.source(url)["failure_count"] == 0


def test_any_success_resets_the_count(checker, web):
    web.pages["/article"] = Page("<h1>Gone</h1>", status=410)
    url = web.url("/article")
    checker.cite(url)
    for _ in range(2):
        checker.check(timedelta(days=2))
    assert state(checker, url) == ("failing", "http_410")
    web.pages["/article"] = Page(ARTICLE)
    checker.check(timedelta(days=2))
    web.pages["/article"] = Page("<h1>Gone</h1>", status=410)
    checker.check(timedelta(days=2))
    assert state(checker, url) == ("failing", "http_410") and checker.source(url)["failure_count"] == 1


def test_network_failures_count_towards_dead(checker):
    refused = f"http://127.0.0.1:{closed_port()}/article"
    unresolvable = "http://gone.invalid/article"
    checker.cite(refused, unresolvable)
    for _ in range(3):
        checker.check(timedelta(days=1.5))
    assert state(checker, refused) == ("dead", "refused")
    assert state(checker, unresolvable) == ("dead", "dns")


def test_soft_404_on_a_site_whose_unknown_paths_answer_200(checker, web):
    web.unknown = Page(GENERIC_ERROR_PAGE)  # every unknown path: 200 and the same page
    web.pages["/live-article"] = Page(ARTICLE)
    deleted, live = web.url("/deleted-article"), web.url("/live-article")
    checker.cite(deleted, live)
    checker.check()
    assert state(checker, deleted) == ("failing", "soft_404")
    assert state(checker, live) == ("ok", None)
    assert any("not-found-probe" in path for path, _ in web.requests)


def test_soft_404_by_its_wording(checker, web):
    web.pages["/story"] = Page(NOT_FOUND_PAGE)
    checker.cite(web.url("/story"))
    checker.check()
    assert state(checker, web.url("/story")) == ("failing", "soft_404")


def test_a_soft_404_page_is_not_a_content_change_and_is_judged_again_each_time(checker, web):
    web.pages["/story"] = Page(ARTICLE)
    url = web.url("/story")
    checker.cite(url)
    checker.check()
    web.pages["/story"] = Page(NOT_FOUND_PAGE)
    checker.check(timedelta(days=1))
    checker.check(timedelta(days=1))  # the same bytes again: still a soft 404, not "unchanged"
    assert state(checker, url) == ("failing", "soft_404")
    assert checker.status(url)["changes"] == 0


def test_parked_domain(checker, web):
    web.pages["/article"] = Page(PARKED_PAGE)
    checker.cite(web.url("/article"))
    checker.check()
    assert state(checker, web.url("/article")) == ("failing", "parked")


def test_redirect_to_the_home_page_or_a_section_front(checker, web):
    web.pages["/"] = Page(HOME_PAGE)
    web.pages["/news/"] = Page(HOME_PAGE.replace("Today's top stories", "News"))
    web.pages["/news/2025/deleted-story"] = Page(status=301, headers={"Location": "/"})
    web.pages["/news/2025/old-story"] = Page(status=302, headers={"Location": "/news/"})
    checker.cite(web.url("/news/2025/deleted-story"), web.url("/news/2025/old-story"))
    checker.check()
    assert state(checker, web.url("/news/2025/deleted-story")) == ("failing", "redirect_to_home")
    assert state(checker, web.url("/news/2025/old-story")) == ("failing", "redirect_to_home")


def test_challenges_and_refusals_are_blocked_never_dead(checker, web):
    pages = {
        "/cf": Page(CHALLENGE_PAGE, status=403),
        "/js": Page(JS_CHALLENGE_PAGE, status=200),
        "/forbidden": Page("<h1>Forbidden</h1>", status=403),
        "/login": Page("<h1>Log in</h1>", status=401),
        "/legal": Page("<h1>Unavailable for legal reasons</h1>", status=451),
    }
    web.pages.update(pages)
    urls = [web.url(path) for path in pages]
    checker.cite(*urls)
    for _ in range(4):
        checker.check(timedelta(days=2))
    reasons = {path: state(checker, web.url(path)) for path in pages}
    assert reasons == {
        "/cf": ("blocked", "bot_challenge"),
        "/js": ("blocked", "bot_challenge"),
        "/forbidden": ("blocked", "forbidden"),
        "/login": ("blocked", "auth_required"),
        "/legal": ("blocked", "legal_block"),
    }
    assert checker.status(web.url("/js"))["changes"] == 0
    assert [kind for kind, _ in checker.events(web.url("/cf"))] == ["blocked"]  # on the transition only


def test_rate_limited_is_retried_after_the_delay_and_not_counted(checker, web):
    web.pages["/article"] = Page(ARTICLE)
    url = web.url("/article")
    checker.cite(url)
    checker.check()
    web.pages["/article"] = Page("Too many requests", status=429, headers={"Retry-After": "600"})
    checker.check(timedelta(days=1))
    source = checker.source(url)
    assert (source["state"], source["reason"], source["failure_count"]) == ("blocked", "rate_limited", 0)
    wait = from_iso(source["next_check_at"]) - checker.now
    assert timedelta(seconds=600) <= wait <= timedelta(seconds=660)  # never sooner than asked
    web.pages["/article"] = Page("Busy", status=503, headers={"Retry-After": "90"})
    checker.check(timedelta(minutes=10))
    assert state(checker, url) == ("blocked", "rate_limited")
    assert checker.events(url) == []
    web.pages["/article"] = Page(ARTICLE)
    checker.check(timedelta(minutes=2))
    assert state(checker, url) == ("ok", None)


def test_a_single_5xx_that_clears_leaves_the_source_ok(checker, web):
    web.pages["/article"] = Page(ARTICLE)
    url = web.url("/article")
    checker.cite(url)
    checker.check()
    last_good = checker.source(url)["last_ok"]
    web.pages["/article"] = Page("<h1>Internal Server Error</h1>", status=500)
    checker.check(timedelta(days=1))
    assert state(checker, url) == ("ok", "http_5xx")
    assert checker.source(url)["last_ok"] == last_good  # the error was not a good answer
    web.pages["/article"] = Page(ARTICLE)
    checker.check(timedelta(hours=6))
    assert state(checker, url) == ("ok", None) and checker.source(url)["failure_count"] == 0
    web.pages["/article"] = Page("<h1>Bad Gateway</h1>", status=502)
    checker.check(timedelta(days=1))
    checker.check(timedelta(days=1))
    assert state(checker, url) == ("failing", "http_5xx")  # a 5xx that persists


def test_permanent_redirect_to_the_same_article_is_moved(checker, web):
    web.pages["/2025/story"] = Page(ARTICLE)
    url = web.url("/2025/story")
    checker.cite(url)
    checker.check()
    web.pages["/2025/story"] = Page(status=301, headers={"Location": "/news/2025/story-renamed"})
    web.pages["/news/2025/story-renamed"] = Page(ARTICLE.replace("<nav>", "<nav><a href='/new'>New design</a>"))
    checker.check(timedelta(days=1))
    row = checker.status(url)
    assert (row["state"], row["final_url"], row["changes"]) == ("moved", web.url("/news/2025/story-renamed"), 0)
    assert checker.source(url)["last_ok"] == row["last_checked"]  # the article answered, at its new address
    (kind, detail), = checker.events(url)
    assert kind == "moved" and detail["final_url"] == web.url("/news/2025/story-renamed")
    checker.check(timedelta(days=1))
    assert [kind for kind, _ in checker.events(url)] == ["moved"]


def test_a_redirect_to_a_different_article_is_judged_on_its_content(checker, web):
    web.pages["/2025/story"] = Page(ARTICLE)
    url = web.url("/2025/story")
    checker.cite(url)
    checker.check()
    web.pages["/2025/story"] = Page(status=301, headers={"Location": "/2025/other-story"})
    web.pages["/2025/other-story"] = Page(ARTICLE.replace("$5 billion", "$6 billion"))
    checker.check(timedelta(days=1))
    row = checker.status(url)
    assert (row["state"], row["changes"]) == ("ok", 1)
