"""The spider: one request per source, every outcome yielded as a FetchResult."""

from __future__ import annotations

from datetime import datetime
from typing import Any, AsyncIterator, Callable

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from citewatch.model import FetchResult, SourceToCheck
from citewatch.times import to_iso

from .fetch import result_from_failure, result_from_response


def conditional_headers(source: SourceToCheck) -> dict[str, str]:
    """Validators from the last good response, so an unchanged page can answer 304."""
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    return headers


class CheckSpider(scrapy.Spider):
    name = "citewatch"

    def __init__(self, sources: list[SourceToCheck], clock: Callable[[], datetime], **kwargs: Any):
        super().__init__(**kwargs)
        self.sources = sources
        self.clock = clock

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources:
            try:
                request = scrapy.Request(
                    source.url,
                    callback=self.parse_response,
                    errback=self.parse_failure,
                    headers=conditional_headers(source),
                    meta={"source": source},
                    dont_filter=True,
                )
            except ValueError as error:
                yield FetchResult(source, self.now(), error="invalid_url", error_detail=str(error))
                continue
            yield request

    def now(self) -> str:
        return to_iso(self.clock())

    def parse_response(self, response: Response) -> Any:
        yield result_from_response(response, response.meta["source"], self.now())

    def parse_failure(self, failure: Failure) -> Any:
        yield result_from_failure(failure, failure.request.meta["source"], self.now())
