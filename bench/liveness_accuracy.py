"""Liveness accuracy: is `dead` right on real pages?

Each real page of the article-extraction corpus is cited under several scenarios of our
own: it stays alive (untouched, edited, behind a bot challenge, rate-limited, a one-off
server error, moved permanently, on a site that answers 200 to unknown paths), it stays
alive behind a page standing in front of it (a consent wall, a paywall, a sign-in wall or a
bot check answered 200, each persistent or now and then, in many languages: see
bench/standins.py), or it dies (404, 410, soft 404, sent to the home page, parked domain,
unresolvable host, refused connection, a removal notice in the site's own template, sent
to a listing), or it is a single-page application's (alive, or its article gone and the
application's own "not found" drawn instead), whose host answers every path with the
same shell: those need a browser. The strict site answers a real 404 to made-up paths, so
its probe tells nothing. citewatch's real check path runs five times over four simulated days; the
benchmark prints, per kind, the expected final state and the states reached, then
precision and recall of `dead` and the false deaths.

    .venv/bin/python bench/liveness_accuracy.py [--pages N]     (N=0: all 181 pages)
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import standins  # noqa: E402
from apps import NOT_FOUND_VIEWS, single_page_app  # noqa: E402
from corpus import Answer, Clock, CorpusPage, LoopbackWeb, citewatch_citing, load_corpus  # noqa: E402

from citewatch.config import CrawlSettings, Settings  # noqa: E402

CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
    "<h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: 7d1f2c3b4a5e6f70</p></body></html>"
)
PARKED = (
    "<html><head><title>{host}</title><script>window.park = 'eyJ1dWlkIjoi';</script></head><body>"
    "<h1>{host}</h1><p>This domain may be for sale!</p><div>Related searches: News | Sports | Weather</div></body></html>"
)
HOME = "<html><head><title>Front page</title></head><body><h1>Top stories</h1><ul><li><a href='/a'>One</a></li></ul></body></html>"


def site_not_found_page(template: CorpusPage, path: str) -> str:
    """A lenient site's answer to a missing page: its own template, a short apology."""
    body = re.sub(r"<body.*</body>", "", template.html, flags=re.S | re.I)
    return body.replace(
        "</head>",
        "</head><body><header><a href='/'>Home</a> | <a href='/news'>News</a></header>"
        f"<main><h2>We looked everywhere</h2><p>The page {path} is not here any more. It may have been moved, "
        "or it never existed. Try the search box, or start again from the front page.</p></main>"
        "<footer>All rights reserved.</footer></body>",
    )


# day -> answer, for days 0..4 of the simulation; day 0 is the baseline check.
Behaviour = Callable[[int, CorpusPage, "Scenario"], Answer]


@dataclass(frozen=True)
class Kind:
    name: str
    expect: str  # the final state, "state/reason" or a prefix of it
    behaviour: Behaviour
    site: str = "strict"  # strict (404 to made-up paths), lenient (200 to them), region (the whole site closed to us),
    # or spa (a single-page application: every path answered 200 with its shell)
    network: str | None = None  # "dns" or "refused": a URL that cannot be reached
    applies: Callable[[CorpusPage], bool] = lambda page: True  # False: the page cannot have this variant
    edits: bool = False  # the article is really edited: a change alert is right

    @property
    def dies(self) -> bool:
        return self.expect.startswith("dead")


def _from_day_one(answer: Callable[[CorpusPage, "Scenario"], Answer]) -> Behaviour:
    return lambda day, page, scenario: page.html if day == 0 else answer(page, scenario)


def _on_days(days: set[int], answer: Callable[[CorpusPage, "Scenario"], Answer]) -> Behaviour:
    return lambda day, page, scenario: answer(page, scenario) if day in days else page.html


def _consent(page: CorpusPage, s: "Scenario") -> Answer:
    return standins.consent_wall(page.html, s.number)


def _paywall(page: CorpusPage, s: "Scenario") -> Answer:
    return standins.paywall(page.html, page.article, s.number)


def _cuttable(page: CorpusPage) -> bool:
    return standins.cuttable(page.html, page.article)


KINDS = [
    Kind("untouched", "ok", lambda day, page, s: page.html),
    Kind("edited", "ok", _from_day_one(lambda page, s: page.html.replace("</p>", " (Updated.)</p>", 1)), edits=True),
    Kind("bot challenge (403)", "blocked/bot_challenge", _from_day_one(lambda page, s: (403, {}, CHALLENGE))),
    Kind("rate limited (429)", "blocked/rate_limited", _from_day_one(lambda page, s: (429, {"Retry-After": "3600"}, "Slow down"))),
    Kind("one-off 503", "ok", lambda day, page, s: (503, {}, "<h1>Service Unavailable</h1>") if day == 2 else page.html),
    Kind("moved permanently", "moved", _from_day_one(lambda page, s: (301, {"Location": s.path + "-moved"}, ""))),
    Kind("lenient site, alive", "ok", lambda day, page, s: page.html, site="lenient"),
    Kind("consent wall", "blocked/consent", _from_day_one(_consent)),
    Kind("consent wall now and then", "ok", _on_days({1, 3}, _consent)),
    Kind("paywall", "blocked/paywall", _from_day_one(_paywall), applies=_cuttable),
    Kind("metered paywall", "ok", _on_days({2, 4}, _paywall), applies=_cuttable),
    Kind("sign-in wall", "blocked/login_required",
         _from_day_one(lambda page, s: (302, {"Location": s.path + "-account/login"}, ""))),
    Kind("bot check answered 200", "blocked/bot_challenge", _from_day_one(lambda page, s: standins.bot_check(page.html, s.number))),
    Kind("article about walls", "ok", _from_day_one(lambda page, s: page.html.replace(
        "</p>", "</p><p>The ministry said the report 'is no longer available' and asked readers to subscribe, sign in "
        "and accept all cookies before they could read it.</p>", 1)), edits=True),
    Kind("moved and redesigned", "moved", _from_day_one(lambda page, s: (301, {"Location": s.path + "-moved"}, ""))),
    Kind("region block, one page", "blocked/geo_blocked", _from_day_one(lambda page, s: standins.region_block(page.html, s.number))),
    Kind("region block, one page (451)", "blocked/geo_blocked",
         _from_day_one(lambda page, s: (451, {}, standins.region_block(page.html, s.number)))),
    Kind("region block, whole site", "blocked/geo_blocked", _from_day_one(lambda page, s: region_site(s.number)), site="region"),
    Kind("platform sign-in wall", "blocked/login_required", _from_day_one(lambda page, s: standins.login_wall(s.number))),
    Kind("consent on another host", "blocked/consent", _from_day_one(lambda page, s: (
        302, {"Location": s.elsewhere + standins.CONSENT_HOST_PATHS[s.number % len(standins.CONSENT_HOST_PATHS)]}, ""))),
    Kind("404", "dead/http_404", _from_day_one(lambda page, s: (404, {}, "<h1>Not found</h1>"))),
    Kind("410", "dead/http_410", _from_day_one(lambda page, s: (410, {}, "<h1>Gone</h1>"))),
    Kind("soft 404", "dead/soft_404", _from_day_one(lambda page, s: site_not_found_page(s.template, s.path)), site="lenient"),
    Kind("removal notice", "dead/removed", _from_day_one(lambda page, s: standins.removal_notice(page.html, s.number))),
    Kind("redirect to home", "dead/redirect_to_home", _from_day_one(lambda page, s: (301, {"Location": "/"}, ""))),
    Kind("redirect to a listing", "dead/redirect_to_listing", _from_day_one(lambda page, s: (
        302, {"Location": standins.LISTING_PATHS[s.number % len(standins.LISTING_PATHS)]}, ""))),
    Kind("post removed by its platform", "dead/removed", _from_day_one(lambda page, s: standins.platform_gone(s.number))),
    Kind("single-page app, alive", "ok", lambda day, page, s: spa_page(page, s.number, alive=True), site="spa"),
    Kind("single-page app, gone", "dead/soft_404", lambda day, page, s: spa_page(page, s.number, alive=day == 0), site="spa"),
    Kind("parked domain", "dead/parked", _from_day_one(lambda page, s: PARKED.format(host=f"site-{page.id[:8]}.com"))),
    Kind("unresolvable host", "dead", lambda day, page, s: page.html, network="dns"),
    Kind("connection refused", "dead/refused", lambda day, page, s: page.html, network="refused"),
]


@dataclass
class Scenario:
    page: CorpusPage
    kind: Kind
    path: str
    template: CorpusPage
    elsewhere: str  # another host, where consent and sign-in services live
    number: int = 0  # the page's number in the corpus: chooses a variant's language and wording
    day: int = 0

    def render(self, request_number: int) -> Answer:
        return self.kind.behaviour(self.day, self.page, self)

    def moved_copy(self, request_number: int) -> Answer:
        if self.kind.name == "moved and redesigned":
            return standins.redesigned(self.page.html, self.number)
        return self.page.html

    def login(self, request_number: int) -> Answer:
        return standins.login_page(self.page.html, self.number)


def spa_page(page: CorpusPage, number: int, alive: bool) -> str:
    """The page as a single-page application serves it (needs a browser); its host's own
    "not found" view is the one its made-up paths get (see main)."""
    paragraphs = [line for line in page.article.splitlines() if line.strip()] if alive else None
    return single_page_app(SPA_TITLE, paragraphs, NOT_FOUND_VIEWS[number % len(NOT_FOUND_VIEWS)])


SPA_TITLE = "Newsroom"  # the application's title, the same on every path until its script sets one


def region_site(number: int) -> Answer:
    """A site closed to our region answers every path alike, 200 or 451."""
    return (451 if number % 2 else 200, {}, standins.site_page(HOME, f"<h1>{standins.variant(standins.REGION_BLOCK, number)}</h1>"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=30, help="corpus pages to use (0: all 181)")
    args = parser.parse_args()
    pages = load_corpus(args.pages or None)
    strict = LoopbackWeb()
    lenient = LoopbackWeb(unknown=lambda n: site_not_found_page(pages[0], "/requested"))
    region = LoopbackWeb(unknown=region_site)
    elsewhere = LoopbackWeb(unknown=lambda n: standins.consent_wall(pages[1].html, n), host="127.0.0.2")
    strict.routes["/"] = lenient.routes["/"] = lambda n: HOME
    # each kind of site as one host, or several (a page's number picks one): single-page
    # applications, one host per "not found" view, their made-up paths answered by the
    # application without an article
    sites = {"strict": [strict], "lenient": [lenient], "region": [region],
             "spa": [LoopbackWeb(unknown=lambda n, view=view: single_page_app(SPA_TITLE, None, view), host=f"127.0.1.{index + 1}")
                     for index, view in enumerate(NOT_FOUND_VIEWS)]}
    refused_port = closed_port()
    scenarios, urls = [], {}
    headlines = [page.html[page.html.find("<title>") + 7:page.html.find("</title>")][:80] for page in pages[:12]]
    for path in standins.LISTING_PATHS:
        strict.routes[path] = lambda n: standins.listing_page(pages[0].html, n, headlines)
    for number, page in enumerate(pages):
        for index, kind in enumerate(KINDS):
            if not kind.applies(page):
                continue
            scenario = Scenario(page, kind, f"/{page.id[:16]}/{index}", pages[0], elsewhere.url(""), number)
            web = sites[kind.site][number % len(sites[kind.site])]
            web.routes[scenario.path] = scenario.render
            web.routes[scenario.path + "-moved"] = scenario.moved_copy
            web.routes[scenario.path + "-account/login"] = scenario.login
            if kind.network == "dns":
                urls[scenario.path] = f"http://{page.id[:12]}.invalid{scenario.path}"
            elif kind.network == "refused":
                urls[scenario.path] = f"http://127.0.0.1:{refused_port}{scenario.path}"
            else:
                urls[scenario.path] = web.url(scenario.path)
            scenarios.append(scenario)

    start = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    settings = Settings(crawl=CrawlSettings(delay=0, concurrency=32, per_host_concurrency=32, timeout=10,
                                            allow_private_addresses=True))
    clock = Clock(start)
    with citewatch_citing(settings, {scenario.path: urls[scenario.path] for scenario in scenarios}, clock) as cw:
        started = time.perf_counter()
        for day in range(5):
            clock.now = start + timedelta(days=day)
            for scenario in scenarios:
                scenario.day = day
            cw.check(all=True)
        elapsed = time.perf_counter() - started
        states = {row.url: row.state + (f"/{row.reason}" if row.reason else "") for row in cw.status()}
        changed = {row.url: row.changes for row in cw.status()}
    for web in (elsewhere, *(host for hosts in sites.values() for host in hosts)):
        web.close()
    report(scenarios, {s.path: states[urls[s.path]] for s in scenarios}, {s.path: changed[urls[s.path]] for s in scenarios},
           len(pages), elapsed)


def report(scenarios: list[Scenario], final: dict[str, str], changes: dict[str, int], pages: int, elapsed: float) -> None:
    print(f"liveness accuracy over {pages} real pages, {len(scenarios)} sources, 5 checks over 4 days in {elapsed:.0f} s\n")
    print(f"{'scenario':30} {'should be':26} {'right':>9}  {'false alerts':>12}  final states")
    right_kinds = 0
    for kind in KINDS:
        finals = [final[s.path] for s in scenarios if s.kind is kind]
        right = sum(1 for state in finals if state.startswith(kind.expect))
        alerts = 0 if kind.edits else sum(1 for s in scenarios if s.kind is kind and changes[s.path])
        right_kinds += right == len(finals) and not alerts
        shown = ", ".join(f"{state} x{n}" for state, n in Counter(finals).most_common())
        print(f"{kind.name:30} {kind.expect:26} {right:>4}/{len(finals):<4}  {alerts:>12}  {shown}")
    dead = [s for s in scenarios if final[s.path].startswith("dead")]
    true_dead = [s for s in dead if s.kind.dies]
    should_die = [s for s in scenarios if s.kind.dies]
    precision = len(true_dead) / len(dead) if dead else 1.0
    recall = len(true_dead) / len(should_die) if should_die else 1.0
    print(f"\nkinds with every source as expected and no false change alert: {right_kinds} of {len(KINDS)}")
    print(f"dead: precision {precision:.1%}, recall {recall:.1%}; false deaths {len(dead) - len(true_dead)}"
          "  (target: recall 100%, false deaths 0)")


if __name__ == "__main__":
    main()
