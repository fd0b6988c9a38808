"""Keeping each response's bytes as they came over the wire, for the WARC archive.

Scrapy sends `response_downloaded` before the downloader middlewares run, so the body is
still as received (compressed, if the server compressed it): what a WARC must hold.
"""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from citewatch.model import RawExchange

from .fetch import RAW_EXCHANGE_KEY


def _headers(headers) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


class RawCapture:
    """Extension: stores the raw exchange of each download with a body in its request's meta."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RawCapture":
        extension = cls()
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        return extension

    def response_downloaded(self, response: Response, request: Request) -> None:
        if not response.body:  # a 304 or an empty answer: nothing to archive
            return
        request.meta[RAW_EXCHANGE_KEY] = RawExchange(
            url=response.url,
            method=request.method,
            request_headers=_headers(request.headers),
            status=response.status,
            response_headers=_headers(response.headers),
            body=response.body,
        )
