"""Change detection on pages of our own: every real edit alerts, page noise does not."""

import re

import pytest
from helpers import ARTICLE, run_cli, status_json, write_record
from lxml.html import document_fromstring
from webserver import Page

from citewatch.crawler.extract import extract_article
from citewatch.crawler.mending import prepare_tree, restore_left_out_paragraphs
from citewatch.crawler.noise import DEFAULT_NOISE

PARAGRAPH_2 = "The same memo rescinds the humanitarian demining programme"


def edit(old: str, new: str):
    return lambda html: html.replace(old, new, 1)


REAL_EDITS = {
    "one word": edit("officials said on Friday", "officials confirmed on Friday"),
    "one number": edit("more than $5 billion", "more than $3 billion"),
    "paragraph removed": lambda html: re.sub(r"<p>The department did not respond.*?</p>", "", html, flags=re.S),
    "paragraph added": edit(
        "</article>", "<p>Correction: an earlier version of this article misstated the number of countries.</p></article>"
    ),
    "headline in title and og:title": lambda html: html.replace("Demining programme cut as", "Demining programme scrapped as", 2),
    "visible h1": edit("<h1>Demining programme cut", "<h1>Demining programme scrapped"),
    "body replaced": lambda html: re.sub(
        r"<article>.*</article>",
        "<article><h1>Demining programme cut as landmine policy reversed</h1>"
        + "".join(f"<p>An entirely different report, paragraph {n}, about another subject altogether entirely.</p>" for n in range(5))
        + "</article>",
        html,
        flags=re.S,
    ),
}

PAGE_NOISE = {
    "scripts, tokens and nonces": edit('session: "a1b2c3"', 'session: "zz99yy", nonce: "8f7e6d", csrf: "q1w2"'),
    "styles": edit("font-family: serif;", "font-family: sans-serif; color: #333;"),
    "data attributes and cache-busting links": lambda html: html.replace(
        '<article>', '<article data-track-id="98231" data-render="2026-11-22T10:00:00Z">'
    ).replace('href="/a"', 'href="/a?cb=1732269000"'),
    "navigation": edit('<a href="/politics">Politics</a>', '<a href="/politics">Politics</a> | <a href="/climate">Climate</a>'),
    "sidebar most read": edit("Budget talks stall", "Markets rally on rate cut hopes"),
    "footer": edit("&copy; 2025 The Example Times", "&copy; 2026 The Example Times Group"),
    "cookie banner and ticker": edit(
        "<main>",
        '<div class="cookie-banner">We use cookies. <button>Accept</button></div>'
        '<div class="ticker">2,341 readers online - Updated 10:42 GMT</div><main>',
    ),
    "reformatted markup": lambda html: re.sub(r">\s*<", ">\n\n   <", html).replace("<p>", '<p class="para" >'),
}


def check_twice(config_file, tmp_path, web, first, second) -> int:
    """Serve `first`, check, serve `second`, check; return the source's change count."""
    web.pages["/article"] = Page(first)
    record = write_record(tmp_path / "record.json", "incident", [web.url("/article")])
    run_cli(config_file, "ingest", str(record))
    assert run_cli(config_file, "check", "--all").exit_code == 0
    web.pages["/article"] = Page(second)
    assert run_cli(config_file, "check", "--all").exit_code == 0
    return status_json(config_file)[web.url("/article")]["changes"]


@pytest.mark.parametrize("kind", REAL_EDITS)
def test_real_edits_alert(kind, config_file, tmp_path, web):
    edited = REAL_EDITS[kind](ARTICLE)
    assert edited != ARTICLE
    assert check_twice(config_file, tmp_path, web, ARTICLE, edited) == 1


@pytest.mark.parametrize("kind", PAGE_NOISE)
def test_noise_around_the_article_stays_quiet(kind, config_file, tmp_path, web):
    noisy = PAGE_NOISE[kind](ARTICLE)
    assert noisy != ARTICLE
    assert check_twice(config_file, tmp_path, web, ARTICLE, noisy) == 0


HEADLINES = ["Budget talks stall in parliament", "Storm warning issued for the coast", "Court hears appeal in fraud case",
             "Museum reopens after renovation", "Rail strike called off at last minute", "New vaccine trial announced"]


def with_in_body_noise(number: int, html: str = ARTICLE) -> str:
    """Noise inside the article that changes on every request."""
    return html.replace(
        f"<p>{PARAGRAPH_2}",
        f"<p>READ MORE: {HEADLINES[number % len(HEADLINES)]}</p>"
        f"<p>TOP STORY | {HEADLINES[(number * 5 + 1) % len(HEADLINES)]}</p>"
        f"<p>Updated {number * 7 % 59 + 1} minutes ago</p>"
        f"<p>{number * 13 + 120} comments</p>"
        f"<p>{PARAGRAPH_2}",
    )


def test_noise_inside_the_article_that_changes_on_every_request_stays_quiet(config_file, tmp_path, web):
    web.pages["/article"] = Page(with_in_body_noise)
    record = write_record(tmp_path / "record.json", "incident", [web.url("/article")])
    run_cli(config_file, "ingest", str(record))
    for _ in range(4):
        assert run_cli(config_file, "check", "--all").exit_code == 0
    assert status_json(config_file)[web.url("/article")]["changes"] == 0


def test_a_real_edit_among_in_body_noise_still_alerts_and_the_diff_shows_only_the_edit(config_file, tmp_path, web):
    web.pages["/article"] = Page(with_in_body_noise)
    record = write_record(tmp_path / "record.json", "incident", [web.url("/article")])
    run_cli(config_file, "ingest", str(record))
    for _ in range(2):
        run_cli(config_file, "check", "--all")
    web.pages["/article"] = Page(lambda n: with_in_body_noise(n, REAL_EDITS["one number"](ARTICLE)))
    run_cli(config_file, "check", "--all")
    assert status_json(config_file)[web.url("/article")]["changes"] == 1
    diff = run_cli(config_file, "diff", web.url("/article")).output
    assert "~ The same memo rescinds the humanitarian demining programme, which had provided more than $[-5-]{+3+} billion" in diff
    assert "READ MORE" not in diff and "comments" not in diff and "minutes ago" not in diff


# An older site's template: the whole article in one cell of a layout table.
TABLE_LAYOUT = ARTICLE.replace(
    "<article>", '<table><tr><td class="menu"><a href="/world">World</a></td><td><div>'
).replace("</article>", "</div></td></tr></table>")


def test_an_article_in_a_layout_table_keeps_its_paragraphs_apart(config_file, tmp_path, web):
    """Extraction would give the whole cell as one line: the rotating teaser would then sit
    inside a line of article text, where no noise rule can set it aside."""
    web.pages["/article"] = Page(lambda n: with_in_body_noise(n, TABLE_LAYOUT))
    record = write_record(tmp_path / "record.json", "incident", [web.url("/article")])
    run_cli(config_file, "ingest", str(record))
    for _ in range(3):
        assert run_cli(config_file, "check", "--all").exit_code == 0
    assert status_json(config_file)[web.url("/article")]["changes"] == 0
    web.pages["/article"] = Page(lambda n: with_in_body_noise(n, REAL_EDITS["one number"](TABLE_LAYOUT)))
    run_cli(config_file, "check", "--all")
    assert status_json(config_file)[web.url("/article")]["changes"] == 1
    diff = run_cli(config_file, "diff", "--unified", web.url("/article")).output
    paragraph = "{} more than ${} billion to help 125 countries clear unexploded mines and other remnants of war."
    start = "The same memo rescinds the humanitarian demining programme, which had provided"
    assert f"\n-{paragraph.format(start, 5)}\n+{paragraph.format(start, 3)}\n" in diff  # one paragraph per line


def test_history_lists_checks_and_their_events(config_file, tmp_path, web):
    check_twice(config_file, tmp_path, web, ARTICLE, REAL_EDITS["paragraph added"](ARTICLE))
    output = run_cli(config_file, "history", web.url("/article")).output
    assert output.count("fetched") == 2
    assert "changed: 1 paragraph added" in output
    diff = run_cli(config_file, "diff", web.url("/article")).output
    assert diff.startswith("Changed ") and "1 paragraph added" in diff
    assert "\n+ Correction: an earlier version of this article misstated the number of countries.\n" in diff
    assert "\x1b[" not in diff  # plain when not a terminal


def test_diff_and_history_of_unknown_url_exit_2(config_file):
    for command in ("diff", "history"):
        result = run_cli(config_file, command, "https://never.example/cited")
        assert result.exit_code == 2 and "not a cited source" in result.output


def test_no_signature_is_learned_for_a_long_line_of_article_text():
    """Noise inside a long line (an article laid out in one table cell) must not teach a
    signature that would hide later edits of that whole line."""
    article = " ".join(f"Sentence {n} of the only paragraph, which runs on and on." for n in range(10))
    first = f"{article} Updated 3 minutes ago"
    second = f"{article} Updated 4 minutes ago"
    assert DEFAULT_NOISE.learn_signatures(first, second) == set()
    assert DEFAULT_NOISE.learn_signatures("READ MORE: Storm warning", "READ MORE: Rail strike") == set()  # built in
    assert DEFAULT_NOISE.learn_signatures("TOP STORY | Storm warning", "TOP STORY | Rail strike") == {"prefix:TOP STORY |"}
    assert DEFAULT_NOISE.learn_signatures("Page built at 10:42:17", "Page built at 10:42:19") == {"shape:Page built at #:#:#"}


def test_nothing_is_learned_from_a_second_fetch_that_is_another_page():
    """A second fetch cut short (a render before the scripts drew the article, a rate-limit
    page) differs in every line: taking those lines for noise would hide every later edit."""
    article = "\n".join(f"Line {n}: the ministry confirmed {n * 7} detentions in the district." for n in range(12))
    assert DEFAULT_NOISE.learn_signatures(article, "") == set()
    assert DEFAULT_NOISE.learn_signatures(article, "Too many requests. Please try again in a minute.") == set()
    assert DEFAULT_NOISE.learn_signatures(article + "\nPage built at 10:42:17", article + "\nPage built at 10:42:19") == {
        "shape:Page built at #:#:#"}


SPLIT_BODY = """<html><body><main><h1>Headline</h1>
<div class="article__body"><p>First paragraph of the article, which extraction kept.</p>
<p>Second paragraph of the article, which extraction kept as well.</p></div>
<div class="ad"><p>Advertisement: a paragraph in a container of another kind.</p></div>
<div class="article__body"><p>Third paragraph, in the second part of the split body.</p>
<p>Fourth, where <a href="/a">a link</a> sits <a href="/b">inside the sentence</a> of the article.</p>
<p><a href="/related">Related: another story entirely, mostly a link</a></p>
<p>Fifth and last paragraph of the article.</p></div>
<aside><div class="article__body"><p>A teaser in an aside, a container of the same name.</p></div></aside>
</main></body></html>"""


def test_paragraphs_left_out_of_the_article_containers_are_put_back_in_place():
    """trafilatura takes the first of an article body split around ads (as some magazines
    lay it out) and drops paragraphs thick with links; both are put back, links lists not."""
    extracted = "Headline\nFirst paragraph of the article, which extraction kept.\nSecond paragraph of the article, which extraction kept as well."
    restored = restore_left_out_paragraphs(document_fromstring(SPLIT_BODY), extracted)
    assert restored.splitlines() == [
        "Headline",
        "First paragraph of the article, which extraction kept.",
        "Second paragraph of the article, which extraction kept as well.",
        "Third paragraph, in the second part of the split body.",
        "Fourth, where a link sits inside the sentence of the article.",
        "Fifth and last paragraph of the article.",
    ]
    complete = "\n".join(restored.splitlines()[:4] + ["Fourth, where a link sits", "inside the sentence of the article."] + restored.splitlines()[5:])
    assert restore_left_out_paragraphs(document_fromstring(SPLIT_BODY), complete) == complete  # nothing twice


def test_scripts_and_styles_go_before_extraction_but_json_ld_metadata_stays():
    json_ld = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-03-05"}</script>'
    tree = document_fromstring(f"<html><head>{json_ld}<style>p {{}}</style></head><body><p>Before<script>var x = 1;</script> after.</p></body></html>")
    prepare_tree(tree)
    assert tree.xpath("//script/@type") == ["application/ld+json"] and not tree.xpath("//style")
    assert tree.findtext(".//p") == "Before after."
    page = ARTICLE.replace('<meta property="article:published_time" content="2025-12-19T10:00:00Z">', json_ld)
    assert extract_article(page, "http://x/").published == "2024-03-05"
