"""Is this still the article we cited? Each kind of page that stands in for an article, on
a small fixture of its own (the corpus benchmarks cover the real pages)."""

import hashlib
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from helpers import ARTICLE, Checker
from webserver import Page

from citewatch.crawler.extract import extract_article
from citewatch.crawler.pages import PageKind, kind_of_page
from citewatch.crawler.shown import parse_page, visible_text
from citewatch.model import FetchResult, SourceToCheck, StoredSnapshot

PARAGRAPHS = re.findall(r"<p>.*?</p>", ARTICLE)


def site_page(main: str, title: str = "The Example Times", head: str = "") -> str:
    """A page of the article's own site: its header and footer around `main`."""
    return (f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body><header><nav><a href='/'>Home</a> | "
            f"<a href='/world'>World</a></nav></header><main>{main}</main><footer>© The Example Times</footer></body></html>")


CONSENT_WALLS = {
    "en": site_page("<div class='q7x' role='dialog'><h2>We value your privacy</h2><p>We use cookies to store and access "
                    "information on your device.</p><button>Accept all</button></div>"),
    "de": site_page("<div class='zz1'><h2>Datenschutz-Einstellungen</h2><p>Wir verwenden Cookies. Mit „Alle akzeptieren“ "
                    "willigen Sie ein.</p><button>Alle akzeptieren</button></div>"),
    "ar": site_page("<div><h2>نحن نحترم خصوصيتك</h2><p>نستخدم ملفات تعريف الارتباط لتحسين تجربتك.</p><button>قبول الكل</button></div>"),
}
BOT_CHECK = site_page("<p>Підтвердіть, що ви не робот.</p><div class='cf-turnstile' data-sitekey='0x4AAA'></div>")
LOGIN_PAGE = site_page("<h1>Inicia sesión para seguir leyendo</h1><form><input type='email'><input type='password'></form>")
PAYWALLED = re.sub(
    r"(<p>.*?</p>\s*<p>.*?</p>)(.*)</article>",
    r"\1<div class='k2'><h3>Subscribe to continue reading</h3><p>You have reached your limit of free articles.</p></div></article>",
    ARTICLE, count=1, flags=re.S)
REMOVAL_NOTICES = {
    "fr": site_page("<article><h1>Cet article n'est plus disponible.</h1></article>"),
    "ru": site_page("<article><h1>Материал был удалён по требованию правообладателя.</h1></article>"),
    "he": site_page("<article><h1>הכתבה אינה זמינה עוד.</h1></article>"),
    "my": site_page("<article><h1>ဤဆောင်းပါးကို မရရှိနိုင်တော့ပါ။</h1></article>"),
    "en": site_page("<article><h1>Sorry</h1><p>This content has been removed at the request of the publisher.</p></article>"),
}
LISTING = site_page("<h1>Search results</h1><ul>" + "".join(
    f"<li><a href='/story/{n}'>Headline number {n} about something else entirely</a></li>" for n in range(12)) + "</ul>")


@pytest.fixture
def checker(config_file, tmp_path):
    config_file.write_text(config_file.read_text() + "[dead]\nfailures = 3\nmin_days = 2\n")
    return Checker(config_file, tmp_path)


def check_days(checker, days: int) -> None:
    for _ in range(days):
        checker.check(after=timedelta(days=1))


def cited_then(checker, web, answer: Page, days: int, pages: dict | None = None) -> dict:
    """The article cited and checked, then `answer` in its place for `days` daily checks
    (other paths of the site set from `pages`); the source's status at the end."""
    web.pages["/a"] = Page(ARTICLE)
    web.pages.update(pages or {})
    checker.cite(web.url("/a"))
    checker.check()
    web.pages["/a"] = answer
    check_days(checker, days)
    return checker.status(web.url("/a"))


def assert_quiet(checker, url):
    assert [kind for kind, _ in checker.events(url) if kind in ("changed", "dead")] == []


WALLS = [(f"consent ({language})", page, "consent") for language, page in CONSENT_WALLS.items()] + [
    ("bot check answered 200 (uk)", BOT_CHECK, "bot_challenge"),
    ("paywall", PAYWALLED, "paywall"),
]


@pytest.mark.parametrize("name, wall, reason", WALLS, ids=[wall[0] for wall in WALLS])
def test_a_wall_that_persists_blocks_and_is_never_a_change_or_a_death(checker, web, name, wall, reason):
    assert cited_then(checker, web, Page(wall), 2)["state"] == "ok"  # not yet: walls come and go
    check_days(checker, 2)
    status = checker.status(web.url("/a"))
    assert (status["state"], status["reason"]) == ("blocked", reason)
    assert status["changes"] == 0
    assert_quiet(checker, web.url("/a"))
    assert [kind for kind, _ in checker.events(web.url("/a"))] == ["blocked"]


@pytest.mark.parametrize("name, wall, reason", WALLS, ids=[wall[0] for wall in WALLS])
def test_a_wall_that_comes_and_goes_leaves_the_source_ok_and_quiet(checker, web, name, wall, reason):
    web.pages["/a"] = Page(ARTICLE)
    checker.cite(web.url("/a"))
    checker.check()
    article_hash = hashlib.sha256(ARTICLE.encode()).hexdigest()
    for day in range(6):
        web.pages["/a"] = Page(wall if day % 2 == 0 else ARTICLE)
        check_days(checker, 1)
        assert checker.status(web.url("/a"))["state"] == "ok"
        source = checker.source(web.url("/a"))  # the wall's bytes never stand in for the article's
        assert (source["body_hash"], source["reason"], source["interstitials"]) == (article_hash, None, 1 - day % 2)
    assert checker.events(web.url("/a")) == []


def test_a_sign_in_wall_reached_by_a_redirect_blocks(checker, web):
    redirect = Page(status=302, headers={"Location": "/account/login"})
    status = cited_then(checker, web, redirect, 3, {"/account/login": Page(LOGIN_PAGE)})
    assert (status["state"], status["reason"]) == ("blocked", "login_required")
    assert_quiet(checker, web.url("/a"))


@pytest.mark.parametrize("language", list(REMOVAL_NOTICES))
def test_a_removal_notice_in_the_site_template_is_dead(checker, web, language):
    status = cited_then(checker, web, Page(REMOVAL_NOTICES[language]), 3)  # made-up paths get a real 404: no probe
    assert (status["state"], status["reason"]) == ("dead", "removed")
    assert status["changes"] == 0


def test_a_redirect_to_search_results_is_dead(checker, web):
    redirect = Page(status=301, headers={"Location": "/search?q=landmines"})
    status = cited_then(checker, web, redirect, 3, {"/search?q=landmines": Page(LISTING)})
    assert (status["state"], status["reason"]) == ("dead", "redirect_to_listing")


def test_an_article_about_walls_and_removals_is_still_the_article(checker, web):
    mention = ("<p>The ministry said the report 'is no longer available' and asked readers to subscribe, sign in and "
               "accept all cookies before they could read it again.</p>")
    status = cited_then(checker, web, Page(ARTICLE.replace("</h1>", "</h1>" + mention, 1)), 3)
    assert (status["state"], status["changes"]) == ("ok", 1)  # an edit, nothing else


def test_the_same_article_at_a_new_address_in_a_new_template_is_moved_without_an_alert(checker, web):
    new_template = (ARTICLE.replace("| The Example Times", "— Example Times Online")
                    .replace("<main>", "<div class='x9f'><main class='m3k'>").replace("</main>", "</main></div>"))
    redirect = Page(status=301, headers={"Location": "/2025/landmines"})
    status = cited_then(checker, web, redirect, 1, {"/2025/landmines": Page(new_template)})
    assert (status["state"], status["changes"]) == ("moved", 0)


OLD_TEMPLATE = ARTICLE.replace("</article>", (
    "<div class='author-bio'><p>Jane Reporter covers defence policy and has reported from twelve conflict zones since "
    "2015, for this paper.</p></div></article>"))


def new_template(html: str) -> str:
    """The same page in a new template: every class name obfuscated, the body wrapped anew
    and the site named otherwise (the new template lets the author's biography into the
    text extracted, and puts the headline after the byline)."""
    html = re.sub(r'class=["\'][^"\']*["\']', lambda m: f"class='c{hashlib.sha256(m.group(0).encode()).hexdigest()[:6]}'", html)
    return (html.replace("| The Example Times", "— Example Times Online")
            .replace("<main>", "<div class='x9f'><main class='m3k'>").replace("</main>", "</main></div>"))


def test_a_new_template_in_place_is_no_change_and_an_edit_in_it_still_is(checker, web):
    web.pages["/a"] = Page(OLD_TEMPLATE)
    checker.cite(web.url("/a"))
    checker.check()
    web.pages["/a"] = Page(new_template(OLD_TEMPLATE))
    check_days(checker, 2)
    assert checker.status(web.url("/a"))["changes"] == 0
    web.pages["/a"] = Page(new_template(OLD_TEMPLATE.replace("125 countries", "12 countries")))
    check_days(checker, 1)
    changes = [detail for kind, detail in checker.events(web.url("/a")) if kind == "changed"]
    assert len(changes) == 1 and "-The same memo" in changes[0]["diff"] and "covers defence policy" not in changes[0]["diff"]
    assert "+By Jane" not in changes[0]["diff"]  # compared with the article as extracted from the new template


def test_an_edit_made_with_a_new_template_is_a_change(checker, web):
    edited = new_template(OLD_TEMPLATE.replace("</article>", "<p>The memo was withdrawn on December 9.</p></article>"))
    status = cited_then(checker, web, Page(edited), 1)
    assert status["changes"] == 1


BOXES = {
    "ad slot (de)": "<div class='r8'><span>Anzeige</span><div class='t2'><a href='https://ads.example/1'>Nordlicht Bank: "
                    "open an account in minutes</a></div></div><p class='s1'>Präsentiert von Nordlicht Bank</p>",
    "continues below (fr)": "<p class='u5'>La suite après la publicité</p>",
    "newsletter (es)": "<div class='w3'><p>Recibe nuestro boletín cada mañana</p><form><input type='email' name='email'>"
                       "<button>Suscríbete</button></form></div>",
    "related (ru)": "<div class='v0'><h3>Читайте также</h3><ul><li><a href='/r1'>Storm warning for the coast</a></li>"
                    "<li><a href='/r2'>Rail strike called off</a></li></ul></div>",
}


@pytest.mark.parametrize("name", list(BOXES))
def test_boxes_inside_the_article_are_not_a_change(checker, web, name):
    status = cited_then(checker, web, Page(ARTICLE.replace(PARAGRAPHS[1], PARAGRAPHS[1] + BOXES[name], 1)), 1)
    assert status["changes"] == 0



SIDEBAR = ("<aside><p>Photo of the week: deminers in protective gear walk through a cleared field near the village, where "
           "farmers returned to their land this spring.</p></aside>")
CITED = ARTICLE.replace("</main>", "</main>" + SIDEBAR)
OFFER = "Subscribe to continue reading\nYou have reached your limit of free articles."
NEW_PROSE = ("The ministry published a second memo on December 9 that restores the programme in full and apologises to "
             "the partner countries for the confusion.")


def kind_against_cited(page: str, text: str, cited_page: str | None = CITED) -> PageKind | None:
    """What kind of page `page` is, its text extracted as `text` (extraction of a cut page
    wanders), judged against the article cited (its page at hand, or not)."""
    url = "https://news.example/a"
    result = FetchResult(SourceToCheck(1, url), "2026-01-05T08:00:00+00:00", http_status=200, html=page,
                         extraction=replace(extract_article(page, url), text=text),
                         last_seen=StoredSnapshot(1, "2026-01-01T08:00:00+00:00", "h", extract_article(CITED, url)),
                         last_seen_page=lambda: cited_page)
    return kind_of_page(result)


def test_a_cut_page_whose_extraction_wanders_to_what_the_page_always_had_is_a_paywall():
    cut = PAYWALLED.replace("</main>", "</main>" + SIDEBAR)
    wandered = "\n".join([*(re.sub("<.*?>", "", p) for p in PARAGRAPHS[:2]), OFFER, re.sub("<.*?>", "", SIDEBAR)])
    assert kind_against_cited(cut, wandered) == PageKind("interstitial", "paywall")


def test_new_prose_where_the_article_stops_is_an_edit_even_beside_an_offer():
    rewritten = PAYWALLED.replace("<div class='k2'>", f"<p>{NEW_PROSE}</p><div class='k2'>")
    text = "\n".join([*(re.sub("<.*?>", "", p) for p in PARAGRAPHS[:2]), NEW_PROSE, OFFER])
    assert kind_against_cited(rewritten, text) is None


def test_control_characters_from_a_broken_page_never_stop_reading_it():
    """lxml reads them from a page's text but refuses to write them back (a random garbage
    page in test_hostile hit it now and then)."""
    assert visible_text(parse_page("<html><body><p>a\x01b\x0bc</p><div>x\x02</div>tail\x03</body></html>")) == "abc x tail"
