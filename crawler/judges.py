"""Page judges: what one fetch says about a source.

Each judge is a small class that looks at a fetched page and returns a Verdict, or None
to let the next judge look. They are applied in the order of their `order` number; the
first verdict stands, and a page no judge objects to is the article (ok). `[judges] off`
switches built-in judges off by name and `[judges] add` adds judges of one's own:

    [judges]
    off = ["parked"]
    add = ["mytracker.judges:LoginWall"]   # "package.module:ClassName"

The built-in judges, in order: a failed fetch, rate limiting, bot challenges, region
blocks (answered 200, 403 or 451), other refusals by status, server errors, the very bytes
judged good last time (no further judge looks), other HTTP errors, empty answers,
redirects to the home page, parked domains, pages that stand in for the article (walls,
notices, listings), posts their platform says are gone, and two soft-404 judges
(not-found wording, and likeness to the site's answer to a made-up path).
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from citewatch.config import PluginSettings
from citewatch.errors import BadInput
from citewatch.model import FetchResult, Verdict
from citewatch.plugins import Plugin, Registry

from . import detectors, render
from .liveness import BLOCKED_STATUSES, retry_after_seconds
from .pages import kind_of_page, platform_gone, region_blocked


class PageJudge(Plugin):
    """Looks at one fetched page: a Verdict, or None to let the next judge look.
    Subclasses that set `name` are registered."""

    order: ClassVar[int] = 1000  # judges apply in ascending order; built-ins use 100 to 1200
    required: ClassVar[bool] = False  # cannot be switched off: other judges rely on it
    registry: ClassVar[Registry[type["PageJudge"]]] = Registry("page judge")

    def judge(self, result: FetchResult) -> Verdict | None:
        raise NotImplementedError


def _status(result: FetchResult) -> int:
    return result.http_status or 0


def _page(result: FetchResult) -> str:
    """The page's text: the decoded HTML, or an error answer's body whatever its type."""
    return result.html or (result.body.decode("utf-8", "replace") if _status(result) >= 400 else "")


class FetchError(PageJudge):
    name, order, required = "fetch_error", 100, True

    def judge(self, result: FetchResult) -> Verdict | None:
        return Verdict("failure", result.error) if result.error is not None else None


class RateLimited(PageJudge):
    """429, or 503 with Retry-After: rechecked after the delay asked for."""

    name, order = "rate_limited", 200

    def judge(self, result: FetchResult) -> Verdict | None:
        status = _status(result)
        if status == 429 or (status == 503 and result.retry_after):
            return Verdict("blocked", "rate_limited", retry_after_seconds(result.retry_after, result.fetched_at))
        return None


class BotChallenge(PageJudge):
    """A bot check or WAF block page, whatever its status: it stands in front of the
    article, which may well be there (see liveness.advance for when it blocks)."""

    name, order = "bot_challenge", 300

    def judge(self, result: FetchResult) -> Verdict | None:
        page = _page(result)
        return Verdict("interstitial", "bot_challenge") if page and detectors.is_challenge(page) else None


class RegionBlocked(PageJudge):
    """A page, or a whole site, that says the content is not available in our region
    (answered 200, 403 or 451, in any language): blocked as `geo_blocked`, never dead (a
    whole site's made-up paths get the same page) and never a change."""

    name, order = "region_blocked", 350

    def judge(self, result: FetchResult) -> Verdict | None:
        status = _status(result)
        newly = 200 <= status < 300 and result.extraction is not None and result.is_html  # bytes judged good stay good
        if (newly or status in (403, 451)) and region_blocked(replace(result, html=_page(result))):
            return Verdict("blocked", "geo_blocked")
        return None


class Refused(PageJudge):
    """401, 403, 407 and 451: the site refuses us, so nothing can be told."""

    name, order = "refused", 400

    def judge(self, result: FetchResult) -> Verdict | None:
        reason = BLOCKED_STATUSES.get(_status(result))
        return Verdict("blocked", reason) if reason else None


class ServerError(PageJudge):
    name, order = "server_error", 500

    def judge(self, result: FetchResult) -> Verdict | None:
        return Verdict("failure", "http_5xx") if _status(result) >= 500 else None


class SameBytes(PageJudge):
    """A 304, or the very bytes judged good last time (only a good answer's hash is kept)."""

    name, order, required = "same_bytes", 600, True

    def judge(self, result: FetchResult) -> Verdict | None:
        status = _status(result)
        return Verdict("ok") if status == 304 or (200 <= status < 300 and result.body_unchanged) else None


class HttpError(PageJudge):
    name, order, required = "http_error", 700, True

    def judge(self, result: FetchResult) -> Verdict | None:
        status = _status(result)
        return Verdict("failure", f"http_{status}") if not 200 <= status < 300 else None


class Empty(PageJudge):
    name, order = "empty", 800

    def judge(self, result: FetchResult) -> Verdict | None:
        return Verdict("failure", "empty") if not result.body else None


class RedirectToHome(PageJudge):
    """Sent to the home page or a section front above the article."""

    name, order = "redirect_to_home", 900

    def judge(self, result: FetchResult) -> Verdict | None:
        if result.redirects and detectors.is_home_redirect(result.source.url, result.final_url):
            return Verdict("failure", "redirect_to_home")
        return None


class Parked(PageJudge):
    """The domain shows a parking or for-sale page."""

    name, order = "parked", 1000

    def judge(self, result: FetchResult) -> Verdict | None:
        page = _page(result)
        return Verdict("failure", "parked") if page and detectors.is_parked(page) else None


class NotTheArticle(PageJudge):
    """A page that no longer holds the article as last seen: a consent, sign-in, paywall or
    bot-check page in front of it, a notice that it was removed, or a listing of other
    articles (see crawler/pages.py)."""

    name, order = "not_the_article", 1050

    def judge(self, result: FetchResult) -> Verdict | None:
        if result.extraction is None or not result.is_html:
            return None
        kind = kind_of_page(result)
        return Verdict(kind.outcome, kind.reason) if kind is not None else None


class PlatformGone(PageJudge):
    """A post, video or account that its platform, in its own shell answered 200, says is
    gone, private or suspended (made-up paths there get a real 404: the probe tells
    nothing)."""

    name, order = "platform_gone", 1060

    def judge(self, result: FetchResult) -> Verdict | None:
        if result.extraction is not None and result.is_html and platform_gone(result):
            return Verdict("failure", "removed_by_platform")
        return None


class NotFoundWording(PageJudge):
    """Not-found wording in the title or headline of a short page."""

    name, order = "not_found_wording", 1100

    def judge(self, result: FetchResult) -> Verdict | None:
        extraction = result.extraction
        if extraction is not None and result.is_html and detectors.says_not_found(extraction):
            return Verdict("failure", "soft_404")
        return None


class LikeNotFoundPage(PageJudge):
    """The page reads like the site's answer to a made-up path (see probe.py). A single-page
    application's host answers every path with the same empty shell: a page that shows
    nothing without its scripts is compared once the browser has drawn it, never before."""

    name, order = "like_not_found_page", 1200

    def judge(self, result: FetchResult) -> Verdict | None:
        extraction, probe = result.extraction, result.not_found_page
        if extraction is None or not result.is_html or probe is None or not detectors.looks_alike(extraction, probe):
            return None
        if result.rendering != render.RENDERED and render.drawn_by_scripts(result):
            return None
        return Verdict("failure", "soft_404")


BUILTIN_JUDGES: tuple[type[PageJudge], ...] = (
    FetchError, RateLimited, BotChallenge, RegionBlocked, Refused, ServerError, SameBytes, HttpError, Empty, RedirectToHome, Parked,
    NotTheArticle, PlatformGone, NotFoundWording, LikeNotFoundPage,
)


class Judges:
    """The judges in force, in order."""

    def __init__(self, judges: list[PageJudge]) -> None:
        self.judges = sorted(judges, key=lambda judge: judge.order)

    @classmethod
    def from_settings(cls, settings: PluginSettings) -> "Judges":
        """The built-in judges not switched off in `[judges] off`, then those in
        `[judges] add`; raises BadInput naming the key for a name that cannot be used."""
        for name in settings.off:
            judge = PageJudge.registry.get(name, "judges.off")
            if judge.required:
                raise BadInput(f"judges.off: the judge {name!r} cannot be switched off: the others rely on it")
        added = [PageJudge.registry.get(spec, "judges.add") for spec in settings.add]
        return cls([judge() for judge in (*BUILTIN_JUDGES, *added) if judge.name not in settings.off])

    def verdict(self, result: FetchResult) -> Verdict:
        """The first judge's verdict, or ok when none objects."""
        for judge in self.judges:
            verdict = judge.judge(result)
            if verdict is not None:
                return verdict
        return Verdict("ok")


DEFAULT_JUDGES = Judges([judge() for judge in BUILTIN_JUDGES])
