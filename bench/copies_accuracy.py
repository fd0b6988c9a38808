"""Wayback copy accuracy: is a copy offered as "cite instead" only when it holds the version?

Each real page of the article-extraction corpus is the version citewatch archived; its
Wayback copy is then, by kind: the same page (raw, and framed with the Wayback Machine's
toolbar and scripts, taken out again as the client does), the page with one paragraph
edited (a mismatch), the page cut to its first paragraphs (not the article), or a page standing in for it in the site's
own template, in the languages of bench/standins.py: a consent wall, a bot check, a
sign-in wall, a removal notice, a not-found page (in six languages), a parked domain,
an error answer. The
benchmark prints, per kind, the verdict expected and the verdicts given, then how many
copies were offered that should not have been (the figure that must stay 0).

    .venv/bin/python bench/copies_accuracy.py [--pages N]     (N=0: all 181 pages)
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import standins  # noqa: E402
from corpus import CorpusPage, load_corpus  # noqa: E402
from fake_wayback import TOOLBAR, TOOLBAR_HEAD  # noqa: E402
from liveness_accuracy import PARKED  # noqa: E402

from citewatch.crawler.copies import judge_copy  # noqa: E402
from citewatch.crawler.extract import extract_article  # noqa: E402
from citewatch.crawler.judges import DEFAULT_JUDGES  # noqa: E402
from citewatch.crawler.noise import DEFAULT_NOISE  # noqa: E402
from citewatch.model import StoredSnapshot  # noqa: E402
from citewatch.storage.wayback import ArchivedCopy, without_wayback_markup  # noqa: E402

URL = "https://news.example/2026/01/05/story"
Copy = tuple[int, str]  # status, page
_JSON_LD = re.compile(r"<script[^>]*application/ld\+json[^>]*>.*?</script>", re.S | re.I)


def _framed(page: CorpusPage, number: int) -> Copy:
    html = page.html.replace("<head>", "<head>" + TOOLBAR_HEAD, 1)
    html = html.replace("<body>", "<body>" + TOOLBAR, 1) if "<body>" in html else TOOLBAR + html
    return 200, without_wayback_markup(html.encode()).decode()


def _edited(page: CorpusPage, number: int) -> Copy | None:
    """One paragraph's opening rewritten, where the page holds it as plain text."""
    paragraphs = [line for line in page.article.splitlines() if len(line.split()) >= 12]
    for target in paragraphs[len(paragraphs) // 2:] + paragraphs[:len(paragraphs) // 2]:
        if target[:60] in page.html:
            return 200, page.html.replace(target[:60], "According to a later correction, the figures were revised ")
    return None


APOLOGIES = (  # a lenient site's own words for a missing page: no "404", no "not found" in the headline
    ("We looked everywhere", "The page you asked for is not here any more. Try the search box, or start again from the front page."),
    ("Lo sentimos", "El contenido que busca ya no está disponible en esta dirección. Vuelva a la portada."),
    ("Oups !", "Le contenu que vous cherchez a peut-être été déplacé. Retournez à la page d'accueil."),
    ("Hoppla", "Der gewünschte Inhalt ist unter dieser Adresse nicht mehr verfügbar. Zur Startseite."),
    ("Упс", "Материал, который вы ищете, больше недоступен по этому адресу. Вернитесь на главную."),
    ("عذراً", "المحتوى الذي تبحث عنه لم يعد متاحاً على هذا العنوان. عد إلى الصفحة الرئيسية."),
)


def _template(page: CorpusPage) -> str:
    """The page's template without its JSON-LD, whose articleBody would carry the article
    into a page that stands in for it (a real error page does not describe the article)."""
    return _JSON_LD.sub("", page.html)


def _not_found(page: CorpusPage, number: int) -> str:
    heading, text = APOLOGIES[number % len(APOLOGIES)]
    return standins.site_page(_template(page), f"<h2>{heading}</h2><p>{text}</p>", title=heading)


def _cut(page: CorpusPage, number: int) -> Copy:
    paragraphs = [line for line in page.article.splitlines() if line.strip()]
    main = "".join(f"<p>{line}</p>" for line in paragraphs[:2])
    return 200, standins.site_page(_template(page), f"<article>{main}</article>")


KINDS: list[tuple[str, str, Callable[[CorpusPage, int], Copy | None]]] = [
    ("same page, raw", "verified", lambda page, n: (200, page.html)),
    ("same page, framed", "verified", _framed),
    ("one paragraph edited", "mismatch", _edited),
    ("cut to two paragraphs", "unusable", _cut),
    ("consent wall", "unusable", lambda page, n: (200, standins.consent_wall(page.html, n))),
    ("bot check", "unusable", lambda page, n: (200, standins.bot_check(page.html, n))),
    ("sign-in wall", "unusable", lambda page, n: (200, standins.login_page(page.html, n))),
    ("removal notice", "unusable", lambda page, n: (200, standins.removal_notice(page.html, n))),
    ("not-found page (200)", "unusable", lambda page, n: (200, _not_found(page, n))),
    ("not-found answer (404)", "unusable", lambda page, n: (404, _not_found(page, n))),
    ("parked domain", "unusable", lambda page, n: (200, PARKED.format(host="news.example"))),
    ("server error (503)", "unusable", lambda page, n: (503, "<html><body><h1>Service Unavailable</h1></body></html>")),
]


def verdict_of(local: StoredSnapshot, status: int, html: str) -> str:
    copy = ArchivedCopy(f"https://web.archive.org/web/20260106000000/{URL}", URL, "2026-01-06T00:00:00+00:00", status,
                        URL, [], [("Content-Type", "text/html; charset=utf-8")], html.encode(), False)
    return judge_copy(copy, 1, local, DEFAULT_JUDGES, DEFAULT_NOISE).verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40, help="corpus pages to use (0: all)")
    pages = load_corpus(parser.parse_args().pages or None)
    started = time.monotonic()
    results: dict[str, Counter[str]] = {kind: Counter() for kind, _, _ in KINDS}
    offered_wrongly = 0
    for number, page in enumerate(pages):
        local = StoredSnapshot(1, "2026-01-05T08:00:00+00:00", "x", extract_article(page.html, URL))
        if not local.extraction.text.strip():
            continue
        for kind, expected, make in KINDS:
            made = make(page, number)
            if made is None:  # the kind cannot be made from this page
                continue
            status, html = made
            verdict = verdict_of(local, status, html)
            results[kind][verdict] += 1
            offered_wrongly += verdict == "verified" and expected != "verified"
    print(f"{len(pages)} pages, {len(KINDS)} kinds of copy, {time.monotonic() - started:.0f} s\n")
    print(f"{'kind of copy':<26} {'expected':<10} {'right':>6}  verdicts")
    for kind, expected, _ in KINDS:
        counts = results[kind]
        total = sum(counts.values())
        right = counts[expected] / total if total else 0.0
        print(f"{kind:<26} {expected:<10} {right:>6.0%}  " + ", ".join(f"{v} {n}" for v, n in counts.most_common()))
    print(f"\ncopies offered as 'cite instead' that do not hold the version: {offered_wrongly} (target 0)")


if __name__ == "__main__":
    main()
