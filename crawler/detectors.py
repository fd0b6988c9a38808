"""Recognising pages that answer 200 but are not the cited article, or that refuse us.

Each detector looks at one thing and says yes or no; liveness.judge combines them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from citewatch.model import Extraction

# Literal markers, searched in the lowercased head of the page: a substring search is fast
# where a long case-insensitive alternation costs more than extracting the article.
_HEAD_BYTES = 100_000

# Bot challenges and WAF block pages: the site refuses us, so we cannot tell if the
# article is there (Cloudflare, Akamai, Imperva/Distil, PerimeterX, DataDome, Sucuri).
_CHALLENGE_MARKERS = (
    "attention required! | cloudflare", "<title>just a moment...", "cf-browser-verification", "challenge-platform",
    "cf_chl_", "verify you are human", "verify that you are human", "are you a robot",
    "checking your browser before accessing", "ddos protection by", "pardon our interruption", "px-captcha",
    "captcha-delivery.com", "sucuri website firewall",
)
_AKAMAI_DENIED = re.compile(r"<title>\s*access denied\s*</title>[\s\S]{0,4000}reference #")

# Parking and for-sale pages put up when a domain lapses.
_PARKED_MARKERS = (
    "this domain is for sale", "this domain may be for sale", "this domain name is for sale", "buy this domain",
    "domain is for sale", "domain has expired", "parked free courtesy", "parked domain", "sedoparking",
    "parkingcrew", "bodis.com", "above.com/marketplace", "afternic", "hugedomains.com", "dan.com/buy-domain",
    "domainmarket.com", "parklogic", "window.park =", "window.park=", "skenzo",
    "owner may be interested in selling", "este dominio está a la venta", "dominio en venta", "dominio in vendita",
    "questo dominio è in vendita", "diese domain steht zum verkauf", "domain steht zum verkauf", "domain kaufen",
    "ce nom de domaine est à vendre", "ce domaine est à vendre", "nom de domaine à vendre", "este domínio está à venda",
    "domínio à venda", "dit domein is te koop", "ta domena jest na sprzedaż", "domena na sprzedaż",
    "bu alan adı satılık", "домен продается", "домен продаётся", "этот домен продается", "домен продається",
    "هذا النطاق للبيع", "该域名正在出售", "このドメインは販売中",
)
_FOR_SALE = re.compile(r"the domain [\w.-]+ (is|may be) for sale")

_NOT_FOUND = re.compile(
    # Whole words, so that "oops" is not found in "troops" nor "404" in "4040"...
    r"(?<!\w)(?:404|410|page not found|not be found|can(no|'|’)?t (be found|find)|could ?n[o'’]t (be )?find|"
    r"no longer (available|exists)|does ?n[o'’]t exist|does not exist|page (is )?missing|"
    r"nothing (was )?found|oops|error 404|página no encontrada|seite nicht gefunden|page introuvable|"
    r"pagina non trovata|страница не найдена|página não encontrada|pagina niet gevonden|nie znaleziono strony|"
    r"sayfa bulunamadı|сторінку не знайдено|الصفحة غير موجودة)(?!\w)|"
    r"页面不存在|找不到页面|ページが見つかりません",  # ...except in scripts written without spaces
    re.IGNORECASE,
)

SOFT_404_MAX_WORDS = 300  # an error page is short; an article about "not found" things is not


def is_challenge(html: str) -> bool:
    head = html[:_HEAD_BYTES].lower()
    return any(marker in head for marker in _CHALLENGE_MARKERS) or (
        "access denied" in head and bool(_AKAMAI_DENIED.search(head))
    )


def is_parked(html: str) -> bool:
    head = html[:_HEAD_BYTES].lower()
    return any(marker in head for marker in _PARKED_MARKERS) or ("for sale" in head and bool(_FOR_SALE.search(head)))


def says_not_found(extraction: Extraction) -> bool:
    """Not-found wording in the title or headline of a short page."""
    headlines = [extraction.title or "", *extraction.headlines.values()]
    short = len(extraction.text.split()) <= SOFT_404_MAX_WORDS
    return short and any(_NOT_FOUND.search(line) for line in headlines)


def looks_alike(page: Extraction, other: Extraction) -> bool:
    """Two pages with (nearly) the same text: a cited page that reads like the site's
    answer to a made-up path is that answer."""
    words, other_words = set(page.text.lower().split()), set(other.text.lower().split())
    if not words and not other_words:
        return page.title == other.title
    overlap = len(words & other_words) / max(len(words | other_words), 1)
    same_title = bool(page.title) and page.title == other.title
    return overlap >= 0.8 or (same_title and overlap >= 0.5)


def is_home_redirect(cited_url: str, final_url: str | None) -> bool:
    """Redirected to the site's home page or to a section front above the article."""
    if not final_url:
        return False
    cited, final = urlsplit(cited_url), urlsplit(final_url)
    cited_path, final_path = _segments(cited.path), _segments(final.path)
    if cited.hostname and final.hostname and _site(cited.hostname) != _site(final.hostname):
        return False  # another site: judged on its content
    if not cited_path or cited_path == final_path:
        return False
    if not final_path:
        return not final.query
    return len(final_path) < len(cited_path) and cited_path[: len(final_path)] == final_path


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment and segment not in ("index.html", "index.php")]


def _site(host: str) -> str:
    return host.lower().removeprefix("www.")
