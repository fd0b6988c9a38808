"""The spider: one request per source, every outcome yielded as a FetchResult."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, AsyncIterator, Callable

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from citewatch.model import CheckFailure, FetchResult, SourceToCheck
from citewatch.times import to_iso

from .fetch import result_from_failure, result_from_response

logger = logging.getLogger(__name__)


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
        yield self._result(result_from_response, response, response.meta["source"])

    def parse_failure(self, failure: Failure) -> Any:
        yield self._result(result_from_failure, failure, failure.request.meta["source"])

    def _result(self, build: Callable[[Any, SourceToCheck, str], FetchResult], answer: Any, source: SourceToCheck) -> FetchResult:
        """The item for an answer; if it cannot be built, an item that records why."""
        fetched_at = self.now()
        try:
            return build(answer, source, fetched_at)
        except Exception as error:
            logger.exception("could not read the answer for %s", source.url)
            return FetchResult(source, fetched_at, failure=CheckFailure.of("fetch", error))
