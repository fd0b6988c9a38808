"""scrapy-playwright's download handler, started with the first page to render.

The handler itself starts Playwright (its driver process) when the crawl's engine starts:
about a second for every crawl, though most never render a page. This one starts it with
the first request marked for the browser, and never otherwise. Loaded by name (see
crawler/render.py), so that a crawl without rendering never imports Playwright.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from twisted.internet import defer


class LazyPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._starting = asyncio.Lock()

    async def _maybe_launch_in_thread(self) -> None:
        """Not at the engine's start (see the module's docstring)."""

    def _engine_started(self) -> defer.Deferred:
        return defer.succeed(None)

    async def _download_request(self, request: Request, spider: Any = None) -> Any:
        async with self._starting:
            if getattr(self, "browser_provider", None) is None:
                await self._launch()
        return await super()._download_request(request, spider)
