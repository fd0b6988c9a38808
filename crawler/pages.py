"""Is this still the article that was cited, and if not, what kind of page stands in for it?

The question is asked of a page against the article as last seen: how much of the cited
text is still on the page (`coverage`). A page that holds most of it is the article,
whatever its template, its wording or its boxes. A page that holds little of it is
something else, and only then is it told by what it is: a bot check, a sign-in wall, a
consent wall, a paywall (the article cut short), a notice that the article was removed,
or a listing of other articles (search results, a tag or section page). Structure decides
first (a password field, a CAPTCHA widget, a consent manager, `isAccessibleForFree`,
links and headlines without prose), wording in many languages (crawler/wording.py) second.
A page that is none of these, but long prose, is the article rewritten: a real change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qs, urlsplit

import lxml.html

from citewatch.model import Extraction, FetchResult

from . import wording
from .mending import link_share
from .shown import Shown, parse_page, visible_text
from .text import normalize_text, words

STILL_THE_ARTICLE = 0.5  # share of the article's words last seen that must still be there
ALL_THERE = 0.95  # below this share something is missing, and a paywall is looked for
FIRST_SIGHT_WORDS = 120  # with nothing seen before, only pages this short are judged
NOTICE_WORDS = 250  # removal notices, walls and bot checks say little
LISTING_LINKS = 0.5  # a page redirected to, with this share of its text in links, lists other articles
CUT_SHORT = 0.7  # a paywall shows at most this share of the article's paragraphs
SHORTER = 0.7  # a page behind a paywall shows at most this share of the article's words
PARAGRAPH_WORDS = 8  # lines this long are the article's paragraphs, not captions or teasers
NEW_PROSE_WORDS = 15  # a line this long that the article did not have is prose of another text

_CAPTCHA_WIDGETS = ("g-recaptcha", "h-captcha", "cf-turnstile", "frc-captcha", "captcha-container", "geetest")
_CONSENT_MANAGERS = (
    "onetrust", "cookielaw.org", "didomi", "quantcast", "sourcepoint", "sp_message", "usercentrics", "trustarc",
    "cookiebot", "consentmanager", "iubenda", "cookieconsent", "cmp.", "__tcfapi",
)
_LOGIN_PATH = re.compile(
    r"(^|/)(log-?in|sign-?in|sign_in|signon|sso|auth|account/login|anmelden|connexion|iniciar-sesion|acceso|"
    r"entrar|accedi|giris|vhod|voiti|login\.\w+)(/|$|\?|\.)",
    re.IGNORECASE,
)
_LISTING_PATH = {
    "search", "suche", "recherche", "buscar", "busqueda", "busca", "cerca", "arama", "poisk", "tag", "tags", "topic",
    "topics", "thema", "themen", "theme", "category", "categories", "categoria", "kategorie", "rubrik", "rubrique",
    "section", "sections", "archive", "archives", "latest", "all", "list", "index",
}
_SEARCH_KEYS = {"q", "s", "query", "search", "keyword", "keywords", "text"}


@dataclass(frozen=True)
class PageKind:
    """What a page that does not hold the cited article is."""

    outcome: str  # "interstitial" or "failure"
    reason: str  # consent | paywall | login_required | bot_challenge | removed | redirect_to_listing


def coverage(article: str, page: str) -> float:
    """The share of the article's words (as a multiset, by position-free counting) that
    are still on the page: 1.0 for the same article in any template, near 0 for a page
    that says something else."""
    wanted = words(article)
    if not wanted:
        return 1.0
    available: dict[str, int] = {}
    for word in words(page):
        available[word] = available.get(word, 0) + 1
    found = 0
    for word in wanted:
        if available.get(word, 0):
            available[word] -= 1
            found += 1
    return found / len(wanted)


class PageView:
    """The fetched page, read lazily: its text, its markup and its address."""

    def __init__(self, result: FetchResult) -> None:
        self.result = result
        self.extraction: Extraction = result.extraction or Extraction("")
        self.shown = Shown(result.html)
        self.last_seen_page = Shown(result.last_seen_page)

    @cached_property
    def text(self) -> str:
        """What a reader sees: the headlines and the page's visible text (never a copy of
        the article hidden in the page's metadata)."""
        headlines = " ".join(self.extraction.headlines.values())
        return normalize_text(f"{self.extraction.title or ''}\n{headlines}\n{self.visible_text}")

    @cached_property
    def readable_text(self) -> str:
        """The article text extracted, unless it cannot have come from what the page shows:
        extraction falls back on the metadata's copy of the article (JSON-LD articleBody),
        which a wall put in front of the article may still carry."""
        if len(self.extraction.text) > len(self.body_markup):
            return self.visible_text
        return self.extraction.text

    @cached_property
    def tree(self) -> lxml.html.HtmlElement | None:
        return parse_page(self.result.html)

    @cached_property
    def visible_text(self) -> str:
        """All the text a reader sees, beyond what extraction kept (a wall's own words)."""
        return visible_text(self.tree)

    @cached_property
    def markup(self) -> str:
        return (self.result.html or "")[:300_000].lower()

    @cached_property
    def body_markup(self) -> str:
        """The markup of the body alone: a site's head loads scripts for every page."""
        html = self.result.html or ""
        start = max(html.rfind("<body"), html.rfind("<BODY"))  # the last: scripts in the head may spell one out
        return html[max(start, 0):][:300_000].lower()

    @property
    def word_count(self) -> int:
        return len(words(self.visible_text or self.extraction.text))

    @cached_property
    def still(self) -> float | None:
        """How much of the article as last seen the page still holds (see coverage); None
        when it was never seen."""
        last_seen = self.result.last_seen
        if last_seen is None:
            return None
        return coverage(last_seen.extraction.text, self.readable_text + "\n" + (self.extraction.title or ""))

    @cached_property
    def unlinked_word_count(self) -> int:
        """The words a reader sees outside links: a notice's own words, however many menus
        and footers of links a platform's shell puts around it."""
        count = self.word_count  # reads the visible text first: what no reader sees is gone from the tree
        linked = sum(len(words(anchor.text_content())) for anchor in self.tree.iter("a")) if self.tree is not None else 0
        return max(count - linked, 0)

    def shows(self, line: str) -> bool:
        """Whether a reader sees `line` on the page (its first words, whatever the markup
        did to the spaces and punctuation between them)."""
        return _phrase(words(line)[:10]).search(self.visible_text) is not None

    def after(self, first: str, last: str, span: int = 600) -> str:
        """The text a reader sees from the end of line `first` to `span` characters past
        line `last` (where a paywall's box sits, among or after the lines it shows)."""
        start = _phrase(words(first)[-6:]).search(self.visible_text)
        end = _phrase(words(last)[-6:]).search(self.visible_text)
        return self.visible_text[start.end():end.end() + span] if start and end and start.end() <= end.end() else ""

    def has_password_field(self) -> bool:
        return 'type="password"' in self.markup or "type='password'" in self.markup or "type=password" in self.markup

    def not_free(self) -> bool:
        """The page's structured data says the article is not free to read."""
        return bool(re.search(r'"isaccessibleforfree"\s*:\s*"?false', self.markup))


def _phrase(sequence: list[str]) -> re.Pattern[str]:
    return re.compile(r"\W+".join(re.escape(word) for word in sequence), re.IGNORECASE) if sequence else re.compile(r"(?!)")


def kind_of_page(result: FetchResult) -> PageKind | None:
    """None while the page holds the cited article (or cannot be told apart from it);
    otherwise what stands in for it."""
    page = PageView(result)
    if result.last_seen is not None:
        still, last_seen = page.still or 0.0, result.last_seen.extraction
        if still < STILL_THE_ARTICLE and page.result.redirects and _listing_address(page.result):
            return PageKind("failure", "redirect_to_listing")
        if still < ALL_THERE and _behind_paywall(page, last_seen):
            return PageKind("interstitial", "paywall")
    if not _stands_in(page):
        return None
    return _interstitial_address(page.result) or _interstitial(page) or _gone(page)


def _stands_in(page: PageView) -> bool:
    """Whether the page stands in for the article: it holds little of the article as last
    seen, or (never seen) it is short or on another host. The text extracted decides
    first: reading the whole page costs more."""
    if page.still is not None:
        return page.still < STILL_THE_ARTICLE
    return _elsewhere(page.result) or (
        len(words(page.readable_text)) <= FIRST_SIGHT_WORDS and page.unlinked_word_count <= FIRST_SIGHT_WORDS)


def region_blocked(result: FetchResult) -> bool:
    """Whether the answer (an article's page or the whole site's, 200, 403 or 451) stands in
    for the article and says the content is not available in our region, in a few words
    (its links aside)."""
    page = PageView(result)  # the cheap test first: most pages whose bytes changed are still the article
    return (_stands_in(page) and page.unlinked_word_count <= NOTICE_WORDS
            and wording.mentions(page.text, wording.GEO_BLOCK) > 0 and _notice(page))


def platform_gone(result: FetchResult) -> bool:
    """Whether the page stands in for the post and its platform says there the post, video
    or account is gone: in its headline, or in its few words outside links (a platform's
    shell is menus and footers of links around one sentence)."""
    page = PageView(result)  # the cheap test first, as in region_blocked
    if not _stands_in(page) or not _notice(page):
        return False
    headline = "\n".join([page.extraction.title or "", *page.extraction.headlines.values()])
    return wording.says_platform_gone(headline) or (
        page.unlinked_word_count <= NOTICE_WORDS and wording.says_platform_gone(page.text))


def _notice(page: PageView) -> bool:
    """The page's text is a notice, not an article: at most one line of prose (a video
    player's "This video is unavailable" on a page that now holds another article is no
    notice about the page)."""
    return sum(len(words(line)) >= NEW_PROSE_WORDS for line in page.readable_text.splitlines()) <= 1


def _elsewhere(result: FetchResult) -> bool:
    """Redirected to another host (a consent, sign-in or bot-check service, most often)."""
    return bool(result.redirects) and _host(result.page_url) != _host(result.source.url)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


_ADDRESS_KINDS = (  # (reason, words naming it in a host's labels or a path's segments)
    ("consent", {"consent", "consents", "privacy", "gdpr", "cmp", "cookies", "cookie-consent", "cookiewall"}),
    ("login_required", {"login", "signin", "sign-in", "accounts", "account", "auth", "sso", "oauth", "servicelogin",
                        "idp", "identity", "authorize"}),
    ("bot_challenge", {"captcha", "challenge", "challenges", "verify", "human-check", "bot-check"}),
)


def _interstitial_address(result: FetchResult) -> PageKind | None:
    """Sent to another host whose address names what it is: consent.example.net,
    accounts.example.com/ServiceLogin, example.org/captcha/..."""
    if not _elsewhere(result):
        return None
    address = urlsplit(result.page_url)
    path = re.sub(r"([a-z])([A-Z])", r"\1 \2", address.path)  # collectConsent, ServiceLogin
    names = set((address.hostname or "").lower().split(".")) | set(re.split(r"[\s/._?=&]+", path.lower()))
    return next((PageKind("interstitial", reason) for reason, words in _ADDRESS_KINDS if names & words), None)


def _interstitial(page: PageView) -> PageKind | None:
    short = page.word_count <= NOTICE_WORDS
    if short and (any(widget in page.body_markup for widget in _CAPTCHA_WIDGETS) or wording.mentions(page.text, wording.BOT_CHECK)):
        return PageKind("interstitial", "bot_challenge")
    redirected_to_login = bool(page.result.redirects) and bool(_LOGIN_PATH.search(urlsplit(page.result.page_url).path))
    signing_in = page.has_password_field() and wording.mentions(page.text, wording.LOGIN)
    walled = page.unlinked_word_count <= NOTICE_WORDS and wording.mentions(page.text, wording.LOGIN_WALL) and _notice(page)
    if redirected_to_login or (short and signing_in) or walled:
        return PageKind("interstitial", "login_required")
    consent_words = wording.mentions(page.text, wording.CONSENT)
    if short and (consent_words >= 2 or (consent_words and any(m in page.markup for m in _CONSENT_MANAGERS))):
        return PageKind("interstitial", "consent")
    if short and not page.result.redirects and wording.mentions(page.visible_text, wording.PAYWALL) >= 2 and not _new_prose(page):
        return PageKind("interstitial", "paywall")  # a hard paywall: little of the article, nothing else
    return None


def _behind_paywall(page: PageView, last_seen: Extraction) -> bool:
    """The start of the article as last seen, then a subscription offer instead of the
    rest (the offer near where the article stops): cut short, or mostly gone from what a
    reader sees, with no new prose on the page. One paragraph gone from a page that had
    an offer all along is an edit."""
    headlines = {last_seen.title, *last_seen.headlines.values()}
    paragraphs = [line for line in last_seen.text.splitlines() if len(words(line)) >= PARAGRAPH_WORDS and line not in headlines]
    if len(paragraphs) < 3:
        return False
    shown = [page.shows(line) for line in paragraphs]
    if not (shown[0] or shown[1]):
        return False
    start = shown.index(True)
    end = start
    while end < len(shown) and shown[end]:
        end += 1
    if end > len(shown) * CUT_SHORT:
        return False  # most of the article is there
    last_shown = paragraphs[end - 1]
    if not wording.mentions(page.after(paragraphs[start], last_shown), wording.PAYWALL) or _rewritten(page, last_seen, last_shown):
        return False
    rest = shown[end:]
    tolerance = 0.5 if page.not_free() else 1 - CUT_SHORT  # captions and asides after the cut may stay
    cut_short = len(rest) >= 2 and sum(rest) <= max(1, len(rest) * tolerance)
    return cut_short or coverage(last_seen.text, page.visible_text) < STILL_THE_ARTICLE


def _rewritten(page: PageView, last_seen: Extraction, last_shown: str) -> bool:
    """Whether the page has prose the article as last seen did not: the article rewritten
    or replaced, not hidden. With the page as last seen at hand, see _new_prose;
    otherwise, when the text extracted is about as long as the article was, or goes on
    with a paragraph of its own after the last line shown."""
    if page.last_seen_page.known:
        return _new_prose(page)
    if len(words(page.readable_text)) > SHORTER * len(words(last_seen.text)):
        return True
    lines = page.readable_text.splitlines()
    if last_shown not in lines:
        return False
    seen = set(last_seen.text.splitlines())
    following = lines[lines.index(last_shown) + 1:][:2]
    return any(line not in seen and len(words(line)) >= NEW_PROSE_WORDS for line in following)


def _new_prose(page: PageView) -> bool:
    """Whether the page shows prose that the page as last seen did not (never, when that
    page is not at hand). Extraction of a cut page wanders off to captions and lists the
    page had all along; a subscription offer is no prose of the article."""
    return page.last_seen_page.known and any(
        len(words(line)) >= NEW_PROSE_WORDS and page.shown.count(line)
        and not (page.last_seen_page.count(line) or page.last_seen_page.pieced(line))
        and not wording.mentions(line, wording.PAYWALL)
        for line in page.readable_text.splitlines()
    )


def _gone(page: PageView) -> PageKind | None:
    if page.word_count <= NOTICE_WORDS and wording.mentions(page.text, wording.REMOVED):
        return PageKind("failure", "removed")
    if page.result.redirects and (_listing_address(page.result) or (page.tree is not None and link_share(page.tree) >= LISTING_LINKS)):
        return PageKind("failure", "redirect_to_listing")
    return None


def _listing_address(result: FetchResult) -> bool:
    """Redirected to search results, or to a tag, topic, category or section page."""
    final = urlsplit(result.page_url)
    if final.path == urlsplit(result.source.url).path:
        return False
    segments = {segment.lower() for segment in final.path.split("/") if segment}
    return bool(segments & _LISTING_PATH) or bool(set(parse_qs(final.query)) & _SEARCH_KEYS)
