"""Pages drawn by scripts, rendered in headless Chromium through scrapy-playwright.

Rendering is for the pages that need it: those of the hosts configured in `render.hosts`,
and (with `render.auto`) a page whose HTML shows no text at all and carries no article in
its embedded state (crawler/embedded.py reads that first, without a browser). The browser
is the system's (Debian's `chromium`): nothing is downloaded. It starts with the first page
to render, never otherwise, and is bounded: a page at most `render.timeout` seconds,
`render.pages` pages at once, a JavaScript heap of `render.memory_mb`; images, media and
fonts are not loaded, nor, unless private addresses are allowed, anything on a private or
local address. Only the text is taken from the rendered page: the bytes archived and
hashed are those the server sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
import socket
from typing import Any
from urllib.parse import urlsplit

from citewatch.config import RenderSettings, Settings
from citewatch.model import FetchResult

from .embedded import ARTICLE_WORDS
from .guard import forbidden_kind
from .shown import parse_page, visible_text

# What a check says of rendering (FetchResult.rendering): the text is the browser's, or,
# for a page that needed a browser, why the check could not use one (its text was not read).
RENDERED, NO_BROWSER, RENDER_FAILED = "rendered", "no_browser", "render_failed"
UNRENDERED = (NO_BROWSER, RENDER_FAILED)
NO_TEXT_WORDS = 20  # a page showing fewer words than this without scripts shows nothing
_HANDLER = "citewatch.crawler.playwright_handler.LazyPlaywrightHandler"
_NOT_LOADED = frozenset({"image", "media", "font"})


def browser(settings: RenderSettings) -> str | None:
    """The browser to render with, or None when rendering cannot be done here (no browser
    installed, or scrapy-playwright missing)."""
    if importlib.util.find_spec("scrapy_playwright") is None:
        return None
    if settings.browser:
        return settings.browser if os.access(settings.browser, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def scrapy_settings(settings: Settings) -> dict[str, Any]:
    """The Scrapy settings that make requests marked for rendering go through the browser;
    none when no browser can be used (see browser)."""
    path = browser(settings.render)
    if path is None or not (settings.render.hosts or settings.render.auto):
        return {}
    arguments = ["--disable-gpu", "--disable-dev-shm-usage", "--mute-audio", "--no-first-run",
                 f"--js-flags=--max-old-space-size={settings.render.memory_mb}",
                 f"--renderer-process-limit={settings.render.pages}"]
    if os.geteuid() == 0:
        arguments.append("--no-sandbox")  # Chromium's sandbox refuses root
    return {
        "DOWNLOAD_HANDLERS": {"http": _HANDLER, "https": _HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": path, "headless": True, "args": arguments,
                                      "timeout": settings.render.timeout * 1000},
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": settings.render.timeout * 1000,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": settings.render.pages,
        "PLAYWRIGHT_ABORT_REQUEST": _Abort(settings.crawl.allow_private_addresses),
    }


def wants_rendering(result: FetchResult, settings: RenderSettings) -> bool:
    """Whether this page is one to render: its host is configured, or it shows nothing
    without its scripts (walls, notices and refusals are judged before: see RenderPipeline)."""
    host = (urlsplit(result.page_url).hostname or "").lower()
    if any(host == name or host.endswith("." + name) for name in settings.hosts):
        return True
    return settings.auto and drawn_by_scripts(result)


def drawn_by_scripts(result: FetchResult) -> bool:
    """Whether the page, as the server sent it, shows nothing without its scripts: no
    article in its text or its embedded state, and scripts to draw one."""
    extraction = result.extraction
    return extraction is not None and len(extraction.text.split()) < ARTICLE_WORDS and (
        _SCRIPT.search(result.html or "") is not None and len(visible_text(parse_page(result.html)).split()) < NO_TEXT_WORDS
    )


_SCRIPT = re.compile(r"<script\b", re.IGNORECASE)  # a page without scripts shows all it has


def render_request_meta(timeout: float) -> dict[str, Any]:
    """What marks a Scrapy request for the browser: load the page, then let its scripts
    draw it (see settle), for at most a third of the page's time."""
    from scrapy_playwright.page import PageMethod

    return {"playwright": True, "playwright_page_goto_kwargs": {"wait_until": "load"},
            "playwright_page_methods": [PageMethod(settle, min(SETTLE_SECONDS, timeout / 3))],
            "download_timeout": timeout}


SETTLE_SECONDS = 8.0  # the longest wait for a page's scripts to draw it
_STEADY_SAMPLES = 4  # the text unchanged over this many samples, 100 ms apart, is drawn...
_STEADY_PLACEHOLDER_SAMPLES = 15  # ...or, while it is as short as a placeholder, over this many
_SHOWN_TEXT = "document.body ? document.body.innerText : ''"


async def settle(page: Any, limit: float) -> None:
    """Wait until the page's scripts have drawn it: its network quiet, and its text the
    same over several samples (longer while it is as short as a placeholder, "Loading…").
    A page that never settles is taken as it is after `limit` seconds. A fixed pause would
    cut short the slow page, or any page on a busy machine, and keep the fast one waiting."""
    from playwright.async_api import Error as PlaywrightError

    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    with contextlib.suppress(PlaywrightError):
        await page.wait_for_load_state("networkidle", timeout=limit * 1000)
    last, steady = None, 0
    while loop.time() < deadline:
        try:
            shown = await page.evaluate(_SHOWN_TEXT)
        except PlaywrightError:  # the page navigated on (a script's redirect): sample the next one
            shown = None
        steady = steady + 1 if shown == last else 0
        if steady >= (_STEADY_SAMPLES if len((shown or "").split()) >= NO_TEXT_WORDS else _STEADY_PLACEHOLDER_SAMPLES):
            return
        last = shown
        await asyncio.sleep(0.1)


class _Abort:
    """Which of the browser's own requests are never made: images, media and fonts (no
    text in them), and any request to a private or local address unless those are allowed
    (the browser resolves names itself, past the crawl's own guard)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def __call__(self, request: Any) -> bool:
        if request.resource_type in _NOT_LOADED:
            return True
        if self.allow_private:
            return False
        host = urlsplit(request.url).hostname or ""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return True
        return any(forbidden_kind(info[4][0]) for info in infos)
