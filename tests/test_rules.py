"""The pure rules, table by table: the liveness transition, each page judge, the noise
rules and signatures, and the revisit interval. No crawl, no database."""

from datetime import datetime, timedelta, timezone

import pytest

from citewatch.config import DeadSettings, PluginSettings, settings_from_dict
from citewatch.crawler import judges
from citewatch.crawler.change import compare_articles, headline_of, is_furniture
from citewatch.crawler.liveness import advance
from citewatch.crawler.noise import Noise, Signature, Teaser, Widget, Wordless
from citewatch.crawler.revisit import ContentAge, next_check_at
from citewatch.crawler.shown import Shown
from citewatch.errors import BadInput
from citewatch.model import Extraction, FetchResult, Liveness, SourceToCheck, State, Verdict

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
DEAD = DeadSettings(failures=3, min_days=3)


def failing(count, days_ago, state=State.FAILING, reason="http_404"):
    return Liveness(state, reason, count, NOW - timedelta(days=days_ago))


# previous liveness, verdict, expected state, reason, failure count, event
TRANSITIONS = [
    ("first success", Liveness(), Verdict("ok"), State.OK, None, 0, None),
    ("success resets failures", failing(2, 2), Verdict("ok"), State.OK, None, 0, None),
    ("dead comes back", failing(5, 9, State.DEAD), Verdict("ok"), State.OK, None, 0, "revived"),
    ("moved is announced once", Liveness(State.OK), Verdict("moved"), State.MOVED, None, 0, "moved"),
    ("moved again is quiet", Liveness(State.MOVED), Verdict("moved"), State.MOVED, None, 0, None),
    ("first failure", Liveness(State.OK), Verdict("failure", "http_404"), State.FAILING, "http_404", 1, None),
    ("third failure too soon", failing(2, 1), Verdict("failure", "http_404"), State.FAILING, "http_404", 3, None),
    ("third failure over three days", failing(2, 3), Verdict("failure", "http_404"), State.DEAD, "http_404", 3, "dead"),
    ("dead stays dead quietly", failing(4, 9, State.DEAD), Verdict("failure", "dns"), State.DEAD, "dns", 5, None),
    ("one 5xx is graced", Liveness(State.OK), Verdict("failure", "http_5xx"), State.OK, "http_5xx", 1, None),
    ("a second 5xx fails", failing(1, 1, State.OK, "http_5xx"), Verdict("failure", "http_5xx"), State.FAILING, "http_5xx", 2, None),
    ("blocked is announced", Liveness(State.OK), Verdict("blocked", "forbidden"), State.BLOCKED, "forbidden", 0, "blocked"),
    ("blocked keeps the count", failing(2, 2), Verdict("blocked", "forbidden"), State.BLOCKED, "forbidden", 2, "blocked"),
    ("rate limits are quiet", Liveness(State.OK), Verdict("blocked", "rate_limited"), State.BLOCKED, "rate_limited", 0, None),
    ("a wall now and then leaves it ok", Liveness(State.OK), Verdict("interstitial", "consent"), State.OK, None, 0, None),
    ("a wall twice still ok", Liveness(State.OK, interstitials=1), Verdict("interstitial", "paywall"), State.OK, None, 0, None),
    ("a wall that persists blocks", Liveness(State.OK, interstitials=2), Verdict("interstitial", "paywall"),
     State.BLOCKED, "paywall", 0, "blocked"),
    ("a wall at first sight blocks", Liveness(), Verdict("interstitial", "login_required"),
     State.BLOCKED, "login_required", 0, "blocked"),
    ("a wall never counts towards dead", failing(2, 5), Verdict("interstitial", "bot_challenge"),
     State.BLOCKED, "bot_challenge", 2, "blocked"),
]


@pytest.mark.parametrize("previous, verdict, state, reason, count, event", [case[1:] for case in TRANSITIONS],
                         ids=[case[0] for case in TRANSITIONS])
def test_liveness_transition(previous, verdict, state, reason, count, event):
    transition = advance(previous, verdict, NOW, DEAD)
    assert (transition.liveness.state, transition.liveness.reason, transition.liveness.failure_count) == (state, reason, count)
    assert transition.event == event


def fetch(status=200, html="<html><body><p>The article.</p></body></html>", **fields):
    source = SourceToCheck(1, fields.pop("cited", "https://news.example/2025/12/article"), body_hash=fields.pop("old_hash", None))
    body = fields.pop("body", html.encode() if html else b"")
    return FetchResult(source, NOW.isoformat(), http_status=status, html=html, body=body, **fields)


ARTICLE = Extraction("A long article about landmines. " * 40, title="Landmine ban reversed")
NOT_FOUND = Extraction("Sorry, we could not find that page.", title="Page not found")

# judge, fetch, verdict (None: the judge lets the next one look)
JUDGED = [
    (judges.FetchError, fetch(None, None, error="dns"), Verdict("failure", "dns")),
    (judges.FetchError, fetch(), None),
    (judges.RateLimited, fetch(429, retry_after="120"), Verdict("blocked", "rate_limited", 120.0)),
    (judges.RateLimited, fetch(503, retry_after="Mon, 01 Jun 2026 12:05:00 GMT"), Verdict("blocked", "rate_limited", 300.0)),
    (judges.RateLimited, fetch(503), None),
    (judges.BotChallenge, fetch(403, "<title>Just a moment...</title>"), Verdict("interstitial", "bot_challenge")),
    (judges.BotChallenge, fetch(200, None, body=b"<p>Please verify you are human</p>"), None),  # not HTML, not an error
    (judges.Refused, fetch(451), Verdict("blocked", "legal_block")),
    (judges.Refused, fetch(401), Verdict("blocked", "auth_required")),
    (judges.Refused, fetch(404), None),
    (judges.ServerError, fetch(502), Verdict("failure", "http_5xx")),
    (judges.SameBytes, fetch(304, None), Verdict("ok")),
    (judges.SameBytes, fetch(body_hash="h", old_hash="h"), Verdict("ok")),
    (judges.SameBytes, fetch(body_hash="h", old_hash="g"), None),
    (judges.HttpError, fetch(404), Verdict("failure", "http_404")),
    (judges.HttpError, fetch(204), None),
    (judges.Empty, fetch(200, "", body=b""), Verdict("failure", "empty")),
    (judges.RedirectToHome, fetch(final_url="https://news.example/", redirects=[{"url": "x", "status": 302}]),
     Verdict("failure", "redirect_to_home")),
    (judges.RedirectToHome, fetch(final_url="https://news.example/2025/12/article-renamed", redirects=[{"url": "x", "status": 301}]),
     None),
    (judges.Parked, fetch(html="<p>This domain is for sale! Buy this domain today.</p>"), Verdict("failure", "parked")),
    (judges.NotFoundWording, fetch(extraction=NOT_FOUND), Verdict("failure", "soft_404")),
    (judges.NotFoundWording, fetch(extraction=ARTICLE), None),
    (judges.LikeNotFoundPage, fetch(extraction=NOT_FOUND, not_found_page=NOT_FOUND), Verdict("failure", "soft_404")),
    (judges.LikeNotFoundPage, fetch(extraction=ARTICLE, not_found_page=NOT_FOUND), None),
]


@pytest.mark.parametrize("judge, result, verdict", JUDGED, ids=lambda value: getattr(value, "name", None))
def test_each_page_judge(judge, result, verdict):
    assert judge().judge(result) == verdict


@pytest.mark.parametrize("title, not_found", [
    ("Oops! That page can’t be found.", True), ("Error 404 | Example News", True), ("Página no encontrada", True),
    ("Страница не найдена", True), ("Sayfa bulunamadı", True), ("抱歉，该页面不存在", True), ("Nothing found for “mines”", True),
    # the words inside other words: a short page (an application's, its text drawn by scripts) is not a 404 for them
    ("China deploys troops and warns surrender is the only option", False), ("Hoops and loops: the 4040 festival", False),
    ("Route 4104 reopens after the floods", False),
])
def test_not_found_wording_is_whole_words_in_the_title(title, not_found):
    page = fetch(extraction=Extraction("", title=title))
    assert (judges.NotFoundWording().judge(page) == Verdict("failure", "soft_404")) is not_found


def test_judges_apply_in_order_and_the_first_verdict_stands():
    everything_wrong = fetch(404, "<title>Just a moment...</title>")
    assert judges.DEFAULT_JUDGES.verdict(everything_wrong) == Verdict("interstitial", "bot_challenge")
    assert judges.DEFAULT_JUDGES.verdict(fetch(extraction=ARTICLE)) == Verdict("ok")
    names = [judge.name for judge in judges.DEFAULT_JUDGES.judges]
    assert names.index("same_bytes") < names.index("parked") < names.index("not_found_wording")


def test_judges_switched_off_in_the_config_do_not_apply():
    parked = fetch(html="<p>This domain is for sale!</p>")
    assert judges.Judges.from_settings(PluginSettings(off=("parked",))).verdict(parked) == Verdict("ok")
    with pytest.raises(BadInput, match="judges.off: the judge 'fetch_error' cannot be switched off"):
        judges.Judges.from_settings(PluginSettings(off=("fetch_error",)))
    with pytest.raises(BadInput, match="judges.off: no page judge named 'nope'"):
        judges.Judges.from_settings(PluginSettings(off=("nope",)))
    with pytest.raises(BadInput, match="judges.add: cannot load 'no.such.module:Judge'"):
        judges.Judges.from_settings(PluginSettings(add=("no.such.module:Judge",)))
    with pytest.raises(BadInput, match="is not a page judge"):
        judges.Judges.from_settings(PluginSettings(add=("citewatch.crawler.noise:Teaser",)))


# rule, line, is noise
LINES = [
    (Wordless, "| | |", True),
    (Wordless, "—", True),
    (Wordless, "3", False),
    (Teaser, "READ MORE: Storm warning for the coast", True),
    (Teaser, "Related stories | Rail strike", True),
    (Teaser, "Watch: the minister's statement", True),
    (Teaser, "We read more than 300 reports before publishing.", False),
    (Widget, "Updated 5 minutes ago", True),
    (Widget, "152 comments", True),
    (Widget, "1.2K shares", True),
    (Widget, "Just now", True),
    (Widget, "Three years ago the ministry signed a memo that 152 comments from the public opposed.", False),
    (Widget, "The strike killed 12 people", False),
]


@pytest.mark.parametrize("rule, line, noise", LINES, ids=[f"{rule.name}:{line[:20]}" for rule, line, _ in LINES])
def test_each_noise_rule(rule, line, noise):
    assert rule().is_noise(line) is noise


# stored signature, line, matches
SIGNATURES = [
    ("prefix:TOP STORY |", "TOP STORY | Rail strike", True),
    ("prefix:TOP STORY |", "Top story | Rail strike", False),
    ("shape:Page built at #:#:#", "Page built at 10:42:19", True),
    ("shape:Page built at #:#:#", "Page built at noon", False),
    ("line:Advertisement", "Advertisement", True),
    ("line:Advertisement", "Advertisement below", False),
    ("unknown-kind:x", "x", True),  # read as an exact line, as stored by an older version
]


@pytest.mark.parametrize("stored, line, matches", SIGNATURES)
def test_each_learned_signature_kind(stored, line, matches):
    assert Signature.parse(stored).matches(line) is matches


def test_noise_rules_switched_off_and_learned_signatures():
    text = "READ MORE: Storm warning\nThe memo was signed.\nPage built at 10:42:17"
    assert Noise.from_settings(PluginSettings()).meaningful_lines(text, ["shape:Page built at #:#:#"]) == ["The memo was signed."]
    without_teasers = Noise.from_settings(PluginSettings(off=("teaser",)))
    assert without_teasers.meaningful_lines(text) == ["READ MORE: Storm warning", "The memo was signed.", "Page built at 10:42:17"]


def interval(state=State.OK, verdict=None, age=ContentAge(), failure_count=0, **schedule):
    settings = settings_from_dict({"schedule": {"jitter": 0, **schedule}})
    return next_check_at(Liveness(state, failure_count=failure_count), NOW, settings, verdict, age) - NOW


DAY = timedelta(days=1)
# name, state, verdict, content age, failure count, interval
INTERVALS = [
    ("never seen content", State.OK, None, ContentAge(), 0, DAY),
    ("fresh article", State.OK, None, ContentAge(NOW - 300 * DAY, published=NOW - 10 * DAY), 0, DAY),
    ("just changed", State.OK, None, ContentAge(stable_since=NOW), 0, DAY),
    ("stable a month", State.OK, None, ContentAge(stable_since=NOW - 30 * DAY), 0, 10 * DAY),
    ("stable for ages", State.OK, None, ContentAge(stable_since=NOW - 300 * DAY), 0, 30 * DAY),
    ("moved, stable", State.MOVED, None, ContentAge(stable_since=NOW - 30 * DAY), 0, 10 * DAY),
    ("failing", State.FAILING, None, ContentAge(), 1, 1.5 * DAY),
    ("a 5xx's grace check", State.OK, None, ContentAge(), 1, 1.5 * DAY),
    ("dead", State.DEAD, None, ContentAge(), 3, 7 * DAY),
    ("blocked", State.BLOCKED, None, ContentAge(), 0, DAY),
    ("rate limited with a delay", State.BLOCKED, Verdict("blocked", "rate_limited", 900), ContentAge(), 0, timedelta(seconds=900)),
    ("rate limited, too short a delay", State.BLOCKED, Verdict("blocked", "rate_limited", 1), ContentAge(), 0, timedelta(minutes=1)),
    ("rate limited, too long a delay", State.BLOCKED, Verdict("blocked", "rate_limited", 10**9), ContentAge(), 0, 2 * DAY),
    ("rate limited, no delay named", State.BLOCKED, Verdict("blocked", "rate_limited"), ContentAge(), 0, timedelta(hours=1)),
]


@pytest.mark.parametrize("state, verdict, age, failure_count, expected", [case[1:] for case in INTERVALS],
                         ids=[case[0] for case in INTERVALS])
def test_revisit_interval(state, verdict, age, failure_count, expected):
    assert interval(state, verdict, age, failure_count) == expected


# line, furniture (a line a new template brings, not a sentence of the article)
FURNITURE = [
    ("November 19, 2019", True),
    ("Photo: Hau Dinh, AP", True),
    ("Chris Davies - Nov 19, 2019, 10:31 pm CST", True),
    ("© 2005-2019 SlashGear, All Rights Reserved.", True),
    ("Close", True),
    ("The memo rescinds the humanitarian demining programme.", False),
    ('"It was terrifying," she said.', False),
    ("Viver uma verdadeira experiência amorosa é um dos maiores prazeres da vida sem ponto final", False),
]


@pytest.mark.parametrize("line, furniture", FURNITURE)
def test_template_furniture(line, furniture):
    assert is_furniture(line) is furniture


ARTICLE_LINES = "The memo rescinds the humanitarian demining programme.\nHumanitarian groups said civilians are at risk."


@pytest.mark.parametrize("after, changed", [
    ("By Jane Reporter\nNovember 19, 2019\n" + ARTICLE_LINES + "\nClose", False),  # a template's furniture added
    (ARTICLE_LINES.replace("civilians", "children"), True),  # one word
    (ARTICLE_LINES.splitlines()[0], True),  # a paragraph removed
    (ARTICLE_LINES + "\nThe ministry denied it.", True),  # a short sentence added
])
def test_furniture_added_is_no_change_but_every_edit_is(after, changed):
    before = Extraction(ARTICLE_LINES, title="Demining cut")
    assert (compare_articles(before, Extraction(after, title="Demining cut")).change is not None) is changed


@pytest.mark.parametrize("title, headline", [
    ("Demining programme cut | The Example Times", "Demining programme cut"),
    ("The Example Times - Demining programme cut as landmine policy reversed", "Demining programme cut as landmine policy reversed"),
    ("Demining programme cut", "Demining programme cut"),
])
def test_headline_of_a_page_title(title, headline):
    assert headline_of(title) == headline


def page(*blocks: str, title: str = "Demining cut") -> str:
    return f"<html><head><title>{title}</title></head><body>{''.join(f'<p>{block}</p>' for block in blocks)}</body></html>"


BIO = "Jane Reporter covers defence policy and has reported from twelve conflict zones since 2015."
PARAGRAPH = "The memo rescinds the humanitarian demining programme."
SHORT = "The ministry denied it."
QUOTE = "Asked about the cuts, a spokesman said: the ministry denied it. He gave no details."


# what a reader saw then, what the text was; what a reader sees now, what the text is; a change?
EXTRACTED_OTHERWISE = [
    ("a line the old page showed, now extracted", page(PARAGRAPH, BIO), PARAGRAPH, page(PARAGRAPH, BIO), f"{PARAGRAPH}\n{BIO}",
     False),
    ("a line the new page still shows, no longer extracted", page(PARAGRAPH, BIO), f"{PARAGRAPH}\n{BIO}", page(BIO, PARAGRAPH),
     PARAGRAPH, False),
    ("lines extraction joined from apart", page("Skip to content", "Menu", PARAGRAPH), PARAGRAPH,
     page("Skip to content", "Menu", PARAGRAPH), f"Skip to content {PARAGRAPH}", False),
    ("a paragraph added", page(PARAGRAPH), PARAGRAPH, page(PARAGRAPH, BIO), f"{PARAGRAPH}\n{BIO}", True),
    ("a short paragraph taken away that another still quotes", page(PARAGRAPH, SHORT, QUOTE), f"{PARAGRAPH}\n{SHORT}\n{QUOTE}",
     page(PARAGRAPH, QUOTE), f"{PARAGRAPH}\n{QUOTE}", True),
    ("one word, the template changed too", page(PARAGRAPH, BIO), PARAGRAPH, page(PARAGRAPH.replace("memo", "order"), BIO),
     f"{PARAGRAPH.replace('memo', 'order')}\n{BIO}", True),
    ("an edit in text that no page shows (metadata)", page("Menu"), PARAGRAPH, page("Menu"), PARAGRAPH.replace("memo", "order"),
     True),
]


@pytest.mark.parametrize("name, old_page, old_text, new_page, new_text, changed", EXTRACTED_OTHERWISE,
                         ids=[case[0] for case in EXTRACTED_OTHERWISE])
def test_a_line_extracted_otherwise_is_no_change_when_both_pages_show_it(name, old_page, old_text, new_page, new_text, changed):
    before, after = Extraction(old_text, title="Demining cut"), Extraction(new_text, title="Demining cut")
    comparison = compare_articles(before, after, pages=(Shown(old_page), Shown(new_page)))
    assert (comparison.change is not None, comparison.new_form) == (changed, not changed)  # a new form: the new baseline
    assert compare_articles(before, after, pages=(Shown(None), Shown(new_page))).change is not None  # the old page not at hand


def test_words_on_a_page_are_counted_whatever_the_markup_between_them():
    shown = Shown(f"<body><div>Skip to <b>content</b></div><p>{SHORT}</p><p>{QUOTE}</p><script>var x = 'hidden';</script></body>")
    assert (shown.count(SHORT), shown.count("skip to content"), shown.count("hidden")) == (2, 1, 0)
    assert shown.pieced(f"Skip to content {QUOTE}") and shown.pieced("Skip to content. Asked about the cuts")
    assert not shown.pieced("details spokesman skip")  # words every page has, one by one
    assert not shown.pieced("The memo was withdrawn")  # a word the page does not have


@pytest.mark.parametrize("before, after, changed", [
    ({"title": "Demining cut | The Times", "h1": "Demining cut"}, {"title": "Demining cut — Times Online", "h1": "Demining cut"},
     False),  # the site's name in the <title>: the h1 says the headline
    ({"title": "Demining cut | The Times"}, {"title": "Demining cut — Times Online"}, False),
    ({"og:title": "Demining cut", "h1": "Demining cut"}, {"h1": "Demining cut"}, False),  # a new template drops one
    ({"h1": "Demining cut"}, {"h1": "Demining programme cut"}, True),
    ({"title": "Demining cut | The Times"}, {"title": "Demining programme cut | The Times"}, True),
])
def test_a_headline_changes_when_a_source_both_versions_have_states_it_otherwise(before, after, changed):
    old, new = Extraction(PARAGRAPH, title="Demining cut", headlines=before), Extraction(PARAGRAPH, title="Demining cut", headlines=after)
    assert (compare_articles(old, new).change is not None) is changed
