"""Change-detection accuracy on real news pages.

For each page of the article-extraction corpus, builds variants of our own: real edits of
the article (which must raise a change) and noise around or inside it (which must not).
Serves them on loopback, runs citewatch's real check path (the Scrapy crawl, extraction,
confirmation fetch and storage), and prints recall on real edits and false alerts on noise,
per kind.

    .venv/bin/python bench/change_accuracy.py [--pages N]     (N=0: all 181 pages)
"""

from __future__ import annotations

import argparse
import copy
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import lxml.html
from lxml.html import HtmlElement

sys.path.insert(0, str(Path(__file__).resolve().parent))
import standins  # noqa: E402
from apps import FRAMEWORKS, SCRIPTED, app_page  # noqa: E402
from corpus import CorpusPage, LoopbackWeb, citewatch_citing, load_corpus  # noqa: E402

from citewatch.config import CrawlSettings, Settings  # noqa: E402

HEADLINES = [
    "Markets rally as inflation cools", "Storm warning for the east coast", "Court hears landmark appeal",
    "Museum reopens after renovation", "Rail strike called off", "New vaccine trial announced",
    "Election results delayed", "Heatwave breaks records", "Talks resume in the capital",
]

Mutation = Callable[[HtmlElement, CorpusPage, random.Random], bool]  # edits the tree; False: not applicable


def _text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def article_paragraphs(tree: HtmlElement, page: CorpusPage) -> list[HtmlElement]:
    """<p> elements whose text stands once in the ground-truth article and once on the page:
    editing one of two copies (a pull quote, a caption repeating the lede) is no clear edit.
    Captions of embedded photos and videos are left out: they describe the media, not the
    article, and citewatch does not watch them (a video player's caption rotates)."""
    article = " ".join(page.article.split())
    visible = " ".join(
        " ".join(node.split())
        for node in tree.xpath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")
    )
    return [
        p
        for p in tree.iter("p")
        if len(_text(p)) >= 60 and article.count(_text(p)) == 1 and visible.count(_text(p)) == 1 and not _in_caption(p)
    ]


def _in_caption(element: HtmlElement) -> bool:
    return any(
        ancestor.tag in ("figure", "figcaption") or "caption" in (ancestor.get("class") or "").lower()
        for ancestor in element.iterancestors()
    )


def _middle(items: list[HtmlElement]) -> HtmlElement | None:
    return items[len(items) // 2] if items else None


def _edit_text_node(element: HtmlElement, pattern: str, edit: Callable[[re.Match], str]) -> bool:
    """Apply `edit` to the first match of `pattern` in the element's own text nodes."""
    for node in [element, *element.iterdescendants()]:
        for attribute in ("text", "tail") if node is not element else ("text",):
            value = getattr(node, attribute)
            if value and re.search(pattern, value):
                setattr(node, attribute, re.sub(pattern, edit, value, count=1))
                return True
    return False


def one_word(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    paragraph = _middle(article_paragraphs(tree, page))
    return paragraph is not None and _edit_text_node(paragraph, r"\b[^\W\d_]{5,}\b", lambda m: m.group(0)[::-1])


def one_number(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    with_digits = [p for p in article_paragraphs(tree, page) if re.search(r"\d", _text(p))]
    paragraph = _middle(with_digits)
    return paragraph is not None and _edit_text_node(paragraph, r"\d", lambda m: str((int(m.group(0)) + 1) % 10))


def paragraph_removed(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    paragraph = _middle(article_paragraphs(tree, page))
    if paragraph is None:
        return False
    paragraph.drop_tree()
    return True


def paragraph_added(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    paragraphs = article_paragraphs(tree, page)
    if not paragraphs:
        return False
    note = lxml.html.fromstring(
        "<p>Editor's note: this article was updated after publication to correct the number of people "
        "affected and to add a response from the ministry, which was received after the deadline.</p>"
    )
    paragraphs[-1].addnext(note)
    return True


def headline(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    changed = False
    for element in tree.xpath("//title | //h1"):
        if _text(element):
            element.text, changed = f"Revised: {_text(element)}", True
            for child in list(element):
                child.drop_tree()
    for meta in tree.xpath("//meta[@property='og:title' or @name='twitter:title']"):
        meta.set("content", f"Revised: {meta.get('content', '')}")
        changed = True
    return changed


def body_replaced(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    paragraphs = article_paragraphs(tree, page)
    for index, paragraph in enumerate(paragraphs):
        for child in list(paragraph):
            child.drop_tree()
        paragraph.text = (
            f"Paragraph {index + 1} of an entirely different report now published at this address, "
            f"about {rng.choice(HEADLINES).lower()}, written by another desk on another day."
        )
    return bool(paragraphs)


def scripts_and_tokens(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    token = f"{rng.getrandbits(64):016x}"
    for script in tree.iter("script"):
        script.text = (script.text or "") + f"\n/* build {token} */"
    head = tree.find("head")
    if head is not None:
        head.append(lxml.html.fromstring(f'<meta name="csrf-token" content="{token}">'))
        head.append(lxml.html.fromstring(f'<script nonce="{token}">window.__session="{token}";</script>'))
    return True


def attributes_and_cache_busting(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    stamp = rng.getrandbits(32)
    body = tree.find("body")
    for element in (body.iter() if body is not None else []):
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        element.set("data-render-id", f"{stamp}-{rng.getrandbits(16)}")
        for attribute in ("src", "href"):
            if element.get(attribute, "").startswith(("http", "/")):
                joiner = "&" if "?" in element.get(attribute) else "?"
                element.set(attribute, f"{element.get(attribute)}{joiner}cb={stamp}")
    return body is not None


def page_chrome(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    """Navigation, cookie banner, ticker, "most read" sidebar and footer around the article."""
    body = tree.find("body")
    if body is None:
        return False
    picks = rng.sample(HEADLINES, 4)
    chrome = [
        f'<nav><a href="/{picks[0][:4]}">{picks[0]}</a> | <a href="/live">Live</a> | <a href="/x{rng.randint(1, 99)}">Section {rng.randint(1, 99)}</a></nav>',
        '<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>',
        f'<div class="ticker">{rng.randint(1000, 9999)} readers online - updated {rng.randint(10, 23)}:{rng.randint(10, 59)} GMT</div>',
    ]
    for snippet in reversed(chrome):
        body.insert(0, lxml.html.fromstring(snippet))
    body.append(lxml.html.fromstring("<aside><h2>Most read</h2><ul>" + "".join(f"<li><a href='/r{i}'>{h}</a></li>" for i, h in enumerate(picks)) + "</ul></aside>"))
    body.append(lxml.html.fromstring(f"<footer><p>Page generated {time.strftime('%H:%M:%S')} in {rng.randint(10, 900)} ms</p></footer>"))
    return True


def in_body_noise(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    """Rotating teasers, relative times and counters between the article's paragraphs
    (never between a paragraph and text that follows it inline, as in a tweet's byline)."""
    paragraphs = [p for p in article_paragraphs(tree, page) if not (p.tail or "").strip()]
    if len(paragraphs) < 2:
        return False
    widgets = [
        f"<p>READ MORE: {rng.choice(HEADLINES)}</p>",
        f"<p>Updated {rng.randint(2, 59)} minutes ago</p>",
        f"<p>{rng.randint(10, 5000)} comments</p>",
    ]
    for paragraph, widget in zip(paragraphs[:: max(1, len(paragraphs) // 3)], widgets):
        paragraph.addnext(lxml.html.fromstring(widget))
    return True


def reformatted(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    """Re-indented markup and wrapped text, as a template change or a pretty-printer makes:
    only white space that is already there is rewritten, so the page reads the same."""
    for element in tree.iter():
        for attribute in ("text", "tail"):
            value = getattr(element, attribute)
            if value and value.strip() and isinstance(element.tag, str) and element.tag not in ("script", "style", "pre"):
                setattr(element, attribute, re.sub(r"(\S{1,60})\s+", lambda m: m.group(1) + rng.choice(["\n      ", "  ", "\t"]), value))
    return True


def _between_paragraphs(tree: HtmlElement, page: CorpusPage, boxes: list[str]) -> bool:
    """Each box after another of the article's paragraphs (never inside inline text)."""
    paragraphs = [p for p in article_paragraphs(tree, page) if not (p.tail or "").strip()]
    if len(paragraphs) < 3:
        return False
    for paragraph, box in zip(paragraphs[1::max(1, len(paragraphs) // len(boxes))], boxes):
        for element in reversed(lxml.html.fragments_fromstring(box)):
            paragraph.addnext(element)
    return True


def ad_slots(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    """Advertisement slots and sponsor lines, their labels in many languages, classes random."""
    return _between_paragraphs(tree, page, [standins.ad_slot(rng), standins.ad_slot(rng)])


def continues_below(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    return _between_paragraphs(tree, page, [standins.continues_line(rng)])


def newsletter_box(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    return _between_paragraphs(tree, page, [standins.newsletter_box(rng)])


def related_coverage(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    return _between_paragraphs(tree, page, [standins.related_list(rng, HEADLINES)])


def redesigned(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    """A new template: the same for every visit, as a site's redesign is."""
    standins.redesign(tree, random.Random(page.id))
    return tree.find("body") is not None


def _replace_body(tree: HtmlElement, html: str) -> None:
    new = lxml.html.document_fromstring(html)
    old_body, new_body = tree.find("body"), new.find("body")
    if old_body is not None and new_body is not None:
        old_body.getparent().replace(old_body, new_body)


def consent_now_and_then(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    """A consent wall instead of the article on about half of the visits."""
    if rng.random() < 0.5:
        _replace_body(tree, standins.consent_wall(page.html, rng.randint(0, 99)))
    return tree.find("body") is not None


def paywall_now_and_then(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    """A metered paywall: the article cut short on about half of the visits."""
    if not standins.cuttable(page.html, page.article):
        return False
    if rng.random() < 0.5:
        cut = lxml.html.document_fromstring(standins.paywall(lxml.html.tostring(tree, encoding="unicode"), page.article, rng.randint(0, 99)))
        _replace_body(tree, lxml.html.tostring(cut, encoding="unicode"))
        head = tree.find("head")
        if head is not None and cut.find("head") is not None:
            head.getparent().replace(head, cut.find("head"))
    return True


@dataclass(frozen=True)
class Kind:
    name: str
    mutate: Mutation
    real_edit: bool
    app: str | None = None  # the page is a JavaScript application's: "state" (in its embedded state) or SCRIPTED


def _app_paragraphs(page: CorpusPage) -> list[str]:
    return [line for line in page.article.splitlines() if len(line.split()) >= 8]


def app_number_edited(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    """Only applicability is asked of the tree: the edit itself is made in the state (see Scenario.render)."""
    return len(_app_paragraphs(page)) >= 3 and any(re.search(r"\d", line) for line in _app_paragraphs(page))


def app_word_edited(tree: HtmlElement, page: CorpusPage, rng: random.Random) -> bool:
    return len(_app_paragraphs(page)) >= 3


def _edit_app_paragraphs(paragraphs: list[str], kind_name: str) -> list[str]:
    edited = list(paragraphs)
    if kind_name in (APP_NUMBER.name, SCRIPTED_NUMBER.name):
        index = next(i for i, line in enumerate(edited) if re.search(r"\d", line))
        edited[index] = re.sub(r"\d", lambda m: str((int(m.group(0)) + 1) % 10), edited[index], count=1)
    else:
        words = edited[len(edited) // 2].split(" ")
        edited[len(edited) // 2] = " ".join(words[:3] + ["not"] + words[3:])
    return edited


REFORMAT = Kind("markup reformatted", reformatted, False)
APP_NUMBER = Kind("app state: one number", app_number_edited, True, app="state")
APP_NOISE = Kind("app state: build, stamps, teasers", app_word_edited, False, app="state")
SCRIPTED_NUMBER = Kind("drawn by scripts: one number", app_number_edited, True, app=SCRIPTED)
KINDS = [
    Kind("one word", one_word, True),
    Kind("one number", one_number, True),
    Kind("paragraph removed", paragraph_removed, True),
    Kind("paragraph added", paragraph_added, True),
    Kind("headline", headline, True),
    Kind("body replaced", body_replaced, True),
    Kind("scripts, styles, tokens", scripts_and_tokens, False),
    Kind("data attributes, cache-busting", attributes_and_cache_busting, False),
    Kind("nav, banners, sidebar, footer", page_chrome, False),
    REFORMAT,
    Kind("in-body rotating noise", in_body_noise, False),
    Kind("ad slots, sponsor lines", ad_slots, False),
    Kind("story continues below", continues_below, False),
    Kind("newsletter sign-up box", newsletter_box, False),
    Kind("related coverage list", related_coverage, False),
    Kind("redesigned template", redesigned, False),
    Kind("consent wall now and then", consent_now_and_then, False),
    Kind("metered paywall now and then", paywall_now_and_then, False),
    APP_NUMBER,
    Kind("app state: one word", app_word_edited, True, app="state"),
    APP_NOISE,
    SCRIPTED_NUMBER,
    Kind("drawn by scripts: build, teasers", app_word_edited, False, app=SCRIPTED),
]


@dataclass
class Scenario:
    page: CorpusPage
    kind: Kind
    path: str
    baseline: str
    mutated: bool = False

    def render(self, request_number: int) -> str:
        """The baseline, or a variant that noise kinds draw afresh on every request."""
        if self.kind.app:
            return self.render_app(request_number)
        if not self.mutated:
            return self.baseline
        rng = random.Random(f"{self.path}:{request_number if not self.kind.real_edit else 0}")
        tree = copy.deepcopy(parse(self.page.html))
        self.kind.mutate(tree, self.page, rng)
        html = lxml.html.tostring(tree, encoding="unicode")
        return re.sub(r">\s+<", ">\n    <", html) if self.kind is REFORMAT else html


    def render_app(self, request_number: int) -> str:
        """The article as an application embeds it: a new build and new teasers on every
        request, the edit (for real edits) once mutated."""
        paragraphs = _app_paragraphs(self.page)
        if self.mutated and self.kind.real_edit:
            paragraphs = _edit_app_paragraphs(paragraphs, self.kind.name)
        framework = FRAMEWORKS[int(self.page.id[:8], 16) % len(FRAMEWORKS)] if self.kind.app == "state" else SCRIPTED
        title = self.page.html[self.page.html.find("<title>") + 7:self.page.html.find("</title>")][:120] or "Article"
        return app_page(title, paragraphs, framework, random.Random(f"{self.path}:{request_number}"))


_PARSED: dict[str, HtmlElement] = {}


def parse(html: str) -> HtmlElement:
    if html not in _PARSED:
        _PARSED[html] = lxml.html.document_fromstring(html)
    return _PARSED[html]


def build_scenarios(pages: list[CorpusPage]) -> tuple[list[Scenario], dict[str, int]]:
    scenarios, not_applicable = [], {kind.name: 0 for kind in KINDS}
    for page in pages:
        baseline = lxml.html.tostring(parse(page.html), encoding="unicode")
        for index, kind in enumerate(KINDS):
            if not kind.mutate(copy.deepcopy(parse(page.html)), page, random.Random(0)):
                not_applicable[kind.name] += 1
                continue
            scenarios.append(Scenario(page, kind, f"/{page.id[:16]}/{index}", baseline))
    return scenarios, not_applicable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40, help="corpus pages to use (0: all 181)")
    args = parser.parse_args()
    pages = load_corpus(args.pages or None)
    scenarios, not_applicable = build_scenarios(pages)
    web = LoopbackWeb()
    for scenario in scenarios:
        web.routes[scenario.path] = scenario.render
    settings = Settings(crawl=CrawlSettings(delay=0, concurrency=32, per_host_concurrency=32, allow_private_addresses=True))
    with citewatch_citing(settings, {scenario.path: web.url(scenario.path) for scenario in scenarios}) as cw:
        started = time.perf_counter()
        cw.check(all=True)  # baselines
        for scenario in scenarios:
            scenario.mutated = True
        for _ in range(2):  # noise gets two chances to pass for an edit
            cw.check(all=True)
        elapsed = time.perf_counter() - started
        changes = {row.url: row.changes for row in cw.status()}
    web.close()
    report(scenarios, not_applicable, {s.path: changes[web.url(s.path)] for s in scenarios}, len(pages), elapsed)


def report(scenarios: list[Scenario], not_applicable: dict[str, int], changes: dict[str, int], pages: int, elapsed: float) -> None:
    print(f"change accuracy over {pages} real pages, {len(scenarios)} variants, 3 check passes in {elapsed:.0f} s\n")
    print(f"{'kind':34} {'variants':>8} {'n/a':>5}  result")
    missed_total = false_total = 0
    for kind in KINDS:
        mine = [s for s in scenarios if s.kind is kind]
        if kind.real_edit:
            detected = sum(1 for s in mine if changes[s.path] >= 1)
            missed_total += len(mine) - detected
            result = f"recall {detected}/{len(mine)} = {detected / max(len(mine), 1):.1%}"
            misses = [s.page.id[:12] for s in mine if changes[s.path] == 0]
        else:
            false = sum(changes[s.path] for s in mine)
            false_total += false
            result = f"false alerts {false}"
            misses = [s.page.id[:12] for s in mine if changes[s.path]]
        print(f"{kind.name:34} {len(mine):>8} {not_applicable[kind.name]:>5}  {result}" + (f"  (pages {', '.join(misses[:5])})" if misses else ""))
    print(f"\nmissed real edits: {missed_total}; false alerts on noise: {false_total}  (target: 0 and 0)")


if __name__ == "__main__":
    main()
