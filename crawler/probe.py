"""How a site answers a path that cannot exist, asked once per host and crawl.

Many sites answer a deleted article with 200 and a "not found" page (a soft 404), or with
their home page. Fetching a made-up path on the same host shows what that answer looks
like, so a cited page that looks the same is known for what it is.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler

from citewatch.model import Extraction

from .extract import extract_article
from .fetch import response_html

logger = logging.getLogger(__name__)


class HostProber:
    """Asks each host once per crawl; with `meta`, a request marked for the browser (a
    single-page application answers every path with the same empty shell, and draws its
    own "not found" only in the browser)."""

    def __init__(self, crawler: Crawler, meta: dict[str, Any] | None = None):
        self.crawler = crawler
        self.meta = meta or {}
        self._probes: dict[str, asyncio.Future[Extraction | None]] = {}

    async def not_found_page(self, url: str) -> Extraction | None:
        """The text of the page the site answers a made-up path with, if it answers 200."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._probes:  # one probe per host, shared by concurrent checks
            self._probes[origin] = asyncio.ensure_future(self._fetch(origin))
        return await asyncio.shield(self._probes[origin])

    async def _fetch(self, origin: str) -> Extraction | None:
        url = f"{origin}/{secrets.token_hex(8)}-citewatch-not-found-probe"
        try:
            response = await self.crawler.engine.download_async(Request(url, dont_filter=True, meta=self.meta))
        except Exception as error:  # any download failure: no probe, judged without it
            logger.info("not-found probe %s failed: %s", url, error)
            return None
        self.crawler.stats.inc_value("citewatch/probes")
        html = response_html(response) if response.status == 200 else None
        return extract_article(html, response.url) if html is not None else None
