"""Pages that are not the article though they answer 200: a region block (a page or a
whole site, 200, 403 or 451, in many languages), a post or video its platform says is
gone or private, a platform's sign-in wall, a consent or sign-in page on another host;
and articles that only a JavaScript application's embedded state holds."""

import json
from datetime import timedelta

import pytest
from helpers import ARTICLE, Checker
from webserver import Page, Web

from citewatch.reports.worddiff import changed_lines, marked

POST = "Soldiers fired on protesters in the central square this morning, witnesses told us. At least four people were hurt."


def shell(main: str, title: str = "Platform", extra: str = "") -> str:
    """A platform's page: its own header, a big footer of links, and `main`."""
    footer = " ".join(f"<a href='/l{n}'>Link {n} about the platform and its many services</a>" for n in range(40))
    return (f"<html><head><title>{title}</title></head><body><header><a href='/'>Home</a> <a href='/explore'>Explore</a>"
            f"</header><main>{main}</main>{extra}<footer>{footer}</footer></body></html>")


def post_page(text: str = POST) -> str:
    return shell(f"<article><h1>Post by @witness</h1><p>{text}</p><p>Posted at 09:14 from the square.</p></article>",
                 title="@witness on Platform")


@pytest.fixture
def checker(tmp_path):
    config = tmp_path / "citewatch.toml"
    config.write_text('[storage]\ndir = "data"\n[crawl]\ntimeout = 2\ndelay = 0\nallow_private_addresses = true\n'
                      "[dead]\nfailures = 1\nmin_days = 0\n[wayback]\nenabled = false\n")
    return Checker(config, tmp_path)


def _before_and_after(checker, web, before, after, checks=1):
    web.pages["/p/1"] = Page(before)
    url = web.url("/p/1")
    checker.cite(url)
    checker.check()
    web.pages["/p/1"] = Page(after) if isinstance(after, str) else after
    for _ in range(checks):
        checker.check(after=timedelta(days=1))
    return checker.status(url)


REGION_BLOCKS = [
    "This content is not available in your region.",
    "Sorry, this video isn't available in your country due to rights restrictions.",
    "Este contenido no está disponible en tu país.",
    "Ce contenu n'est pas disponible dans votre pays.",
    "Dieser Inhalt ist in Ihrem Land leider nicht verfügbar.",
    "Этот материал недоступен в вашей стране.",
    "هذا المحتوى غير متاح في بلدك.",
    "Bu içerik ülkenizde kullanılamıyor.",
    "此内容在您所在的地区不可用。",
]


@pytest.mark.parametrize("notice", REGION_BLOCKS)
def test_a_page_blocked_in_our_region_is_blocked_never_a_change(checker, web, notice):
    row = _before_and_after(checker, web, ARTICLE, shell(f"<div class='x9f2'><h2>{notice}</h2></div>"))
    assert (row["state"], row["reason"], row["changes"]) == ("blocked", "geo_blocked", 0)


@pytest.mark.parametrize("status", [200, 403, 451])
def test_a_whole_site_blocked_in_our_region_is_blocked_never_dead(checker, web, status):
    block = Page(shell("<h1>Access restricted</h1><p>Our website is not available in your location.</p>"), status=status)
    web.unknown = block  # made-up paths get the same page: the probe cannot tell a death
    row = _before_and_after(checker, web, ARTICLE, block, checks=3)
    assert (row["state"], row["reason"], row["changes"]) == ("blocked", "geo_blocked", 0)


def test_a_region_block_seen_first_is_blocked(checker, web):
    web.pages["/p/1"] = Page(shell("<p>Unfortunately, this page is not available in your country.</p>"))
    checker.cite(web.url("/p/1"))
    checker.check()
    assert checker.status(web.url("/p/1"))["reason"] == "geo_blocked"


def test_an_article_about_region_blocks_is_the_article(checker, web):
    about = ARTICLE.replace("</article>", "<p>Readers said the report was not available in their region, "
                                          "and in your country too it may be blocked.</p></article>")
    row = _before_and_after(checker, web, ARTICLE, about)
    assert (row["state"], row["changes"]) == ("ok", 1)


PLATFORM_GONE = [
    "<h2>Sorry, this page isn't available.</h2><p>The link you followed may be broken, or the page may have been removed.</p>",
    "<div class='yt3'><span>Video unavailable</span><span>This video is private.</span></div>",
    "<h2>Hmm...this post doesn’t exist. Try searching for something else.</h2>",
    "<p>This account doesn't exist</p>",
    "<p>Account suspended. This account has been suspended for violating the rules.</p>",
    "<h2>Esta publicación no está disponible.</h2>",
    "<h2>Cette vidéo n'est pas disponible.</h2>",
    "<h2>Dieser Beitrag ist nicht verfügbar.</h2>",
    "<h2>Эта запись недоступна.</h2>",
    "<h2>هذا المنشور غير متاح.</h2>",
    "<h2>Bu gönderi kullanılamıyor.</h2>",
]


@pytest.mark.parametrize("notice", PLATFORM_GONE)
def test_a_post_its_platform_says_is_gone_is_dead(checker, web, notice):
    """The platform answers 200 with its shell; made-up paths get a real 404, so the probe
    tells nothing: the shell itself says what happened."""
    row = _before_and_after(checker, web, post_page(), shell(notice, title="Platform"))
    assert (row["state"], row["reason"], row["changes"]) == ("dead", "removed_by_platform", 0)


@pytest.mark.parametrize("wall", [
    "<h2>Log in to see photos and videos from friends.</h2><button>Log in</button><button>Sign up</button>",
    "<h2>Inicia sesión para ver esta publicación.</h2>",
    "<h2>Connectez-vous pour voir ce contenu.</h2>",
    "<h2>Войдите, чтобы увидеть эту запись.</h2>",
])
def test_a_platform_sign_in_wall_is_blocked_never_a_change(checker, web, wall):
    row = _before_and_after(checker, web, post_page(), shell(wall), checks=3)
    assert (row["state"], row["reason"], row["changes"]) == ("blocked", "login_required", 0)


@pytest.fixture
def elsewhere():
    other = Web(host="127.0.0.2")
    yield other
    other.close()


@pytest.mark.parametrize(("path", "reason"), [
    ("/consent?continue=x", "consent"), ("/v2/collectConsent", "consent"), ("/ServiceLogin?continue=x", "login_required"),
    ("/challenge/verify", "bot_challenge"),
])
def test_an_interstitial_on_another_host_is_never_the_article_nor_moved(checker, web, elsewhere, path, reason):
    long_text = " ".join(["Before you continue, we use cookies and data to deliver and maintain services."] * 40)
    elsewhere.pages[path] = Page(shell(f"<p>{long_text}</p>"))
    redirect = Page("", status=301, headers={"Location": elsewhere.url(path)})
    row = _before_and_after(checker, web, ARTICLE, redirect, checks=3)
    assert (row["state"], row["reason"], row["changes"]) == ("blocked", reason, 0)


def test_an_interstitial_on_another_host_seen_first_is_not_taken_for_the_article(checker, web, elsewhere):
    elsewhere.pages["/consent"] = Page(shell("<p>" + "We and our partners use cookies to store information. " * 40 + "</p>"))
    web.pages["/p/1"] = Page("", status=302, headers={"Location": elsewhere.url("/consent")})
    checker.cite(web.url("/p/1"))
    checker.check()
    assert checker.source(web.url("/p/1"))["body_hash"] is None  # nothing kept as the article
    assert (checker.status(web.url("/p/1"))["state"], checker.status(web.url("/p/1"))["reason"]) == ("blocked", "consent")


PARAGRAPHS = [
    "The defence secretary signed a memo on December 2 that reverses the policy limiting the use of antipersonnel landmines.",
    "The same memo rescinds the humanitarian demining programme, which had provided more than $5 billion to 125 countries.",
    "Humanitarian groups said the decision would put civilians at risk for decades, since mines remain active for years.",
]


def next_app(paragraphs, build="b1", related=("Budget talks stall as ministers meet again this week in the capital.",)):
    state = {"props": {"pageProps": {"article": {"headline": "Demining cut", "body": "".join(f"<p>{p}</p>" for p in paragraphs),
                                                "updatedAt": f"2026-01-0{len(build)}T10:00:00Z"},
                                    "related": [{"title": t, "summary": t + " Read the full story on our site today."} for t in related]}},
             "buildId": build}
    return ("<html><head><title>Demining cut | Example</title></head><body><div id='__next'></div>"
            f"<script id='__NEXT_DATA__' type='application/json'>{json.dumps(state)}</script></body></html>")


def apollo_app(paragraphs, stamp="1"):
    state = {"Article:1": {"__typename": "Article", "content": "\n".join(paragraphs), "fetchedAt": stamp},
             "ROOT_QUERY": {"trending": [{"title": f"Other story {stamp} with enough words to look like a teaser here."}]}}
    return ("<html><head><title>Demining cut</title></head><body><div id='root'></div>"
            f"<script>window.__APOLLO_STATE__ = {json.dumps(state)};</script></body></html>")


def ld_app(paragraphs):
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Demining cut", "articleBody": "\n".join(paragraphs)}
    return ("<html><head><title>Demining cut</title>"
            f"<script type='application/ld+json'>{json.dumps(data)}</script></head><body><div id='app'></div></body></html>")


@pytest.mark.parametrize("app", [next_app, apollo_app, ld_app])
def test_an_edit_inside_an_applications_embedded_state_is_a_change(checker, web, app):
    edited = [PARAGRAPHS[0], PARAGRAPHS[1].replace("$5 billion", "$3 billion"), PARAGRAPHS[2]]
    row = _before_and_after(checker, web, app(PARAGRAPHS), app(edited))
    assert (row["state"], row["changes"]) == ("ok", 1)
    (_, detail), = [event for event in checker.events(web.url("/p/1")) if event[0] == "changed"]
    (edit,) = changed_lines(detail["diff"])
    assert [(piece.kind, piece.text) for piece in edit.pieces if piece.kind != "same"] == [("del", "5"), ("add", "3")]


def redux_app(lines, tags=("defence", "landmines", "human rights")):
    state = {"story": {"headline": "Demining cut", "paragraphs": lines, "tags": list(tags)},
             "mostRead": [{"title": "Budget talks stall as ministers meet again this week."}]}
    return ("<html><head><title>Demining cut</title></head><body><div id='root'></div>"
            f"<script>window.__PRELOADED_STATE__ = {json.dumps(state)}</script></body></html>")


COUNTRIES = ("Angola", "Cambodia", "Laos", "Iraq", "Ukraine", "Syria", "Yemen", "Colombia", "Bosnia", "Croatia",
             "Sri Lanka", "Myanmar", "Afghanistan", "Somalia", "Libya", "Vietnam", "Zimbabwe", "Chad")
STANDINGS = ["Country Mines cleared Area (km²)"] + [f"{name} {9 + i} {870 - i * 7} {41 - i}" for i, name in enumerate(COUNTRIES)]


def test_an_edit_to_a_table_row_among_the_states_paragraphs_is_a_change(checker, web):
    """The rows of a table carry no sentences, but they sit between the article's paragraphs."""
    edited = [row.replace("10 863", "10 363") for row in STANDINGS]
    row = _before_and_after(checker, web, redux_app(PARAGRAPHS + STANDINGS), redux_app(PARAGRAPHS + edited))
    assert (row["state"], row["changes"]) == ("ok", 1)
    (_, detail), = [event for event in checker.events(web.url("/p/1")) if event[0] == "changed"]
    assert [marked(line.pieces) for line in changed_lines(detail["diff"])] == ["Cambodia 10 [-863-]{+363+} 40"]


def test_new_tags_beside_the_states_paragraphs_are_no_change(checker, web):
    row = _before_and_after(checker, web, redux_app(PARAGRAPHS), redux_app(PARAGRAPHS, tags=("mines", "policy", "aid cuts")))
    assert (row["state"], row["changes"]) == ("ok", 0)


def test_a_new_build_and_new_recommendations_in_the_state_are_no_change(checker, web):
    row = _before_and_after(checker, web, next_app(PARAGRAPHS),
                            next_app(PARAGRAPHS, build="b22", related=("A different teaser about the weather this week.",)))
    assert (row["state"], row["changes"]) == ("ok", 0)
    row = _before_and_after(checker, web, apollo_app(PARAGRAPHS), apollo_app(PARAGRAPHS, stamp="2"))
    assert (row["state"], row["changes"]) == ("ok", 0)


@pytest.mark.parametrize("aside", ["<div class='player'><p>This video is unavailable.</p></div>",
                                   "<div class='comments'><p>You must log in to post a comment.</p></div>",
                                   "<div class='comentarios'><p>Inicia sesión para ver los comentarios.</p></div>"])
def test_a_page_holding_another_article_is_a_change_whatever_its_asides_say(checker, web, aside):
    """A video player's "This video is unavailable", or a comment box's "You must log in",
    on a page whose article was replaced by another is no notice about the page: the other
    article is a change."""
    player = aside
    other = "".join(f"<p>Paragraph {n} of an entirely different report now published at this address, written by "
                    "another desk on another day about the election results.</p>" for n in range(4))
    before = ARTICLE.replace("<article>", f"<article>{player}")
    after = before.replace(before[before.index("<p>The defence"):before.index("</article>")], other)
    row = _before_and_after(checker, web, before, after)
    assert (row["state"], row["changes"]) == ("ok", 1)
