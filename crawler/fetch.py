"""Building the item the spider yields (a FetchResult) from a Scrapy response or from a
download failure; failures are classified into a short error class that the rest of
citewatch reasons about:

    dns, refused, timeout, tls, too_large, redirect_loop, forbidden_address, connection
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterator

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Headers, HtmlResponse, Response, TextResponse
from scrapy.responsetypes import responsetypes
from twisted.internet import error as tx_error
from twisted.python.failure import Failure

from citewatch.model import FetchResult, SourceToCheck

from .text import HTML_TYPES

RAW_EXCHANGE_KEY = "citewatch_raw_exchange"  # request.meta key, set by crawler.capture


class ForbiddenAddress(IgnoreRequest):
    """The URL resolves to an address citewatch must not fetch (loopback, private, ...)."""


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def response_html(response: Response) -> str | None:
    """The page as text, decoded with its own charset, if the response is HTML."""
    content_type = _header(response.headers, b"Content-Type") or ""
    is_html = isinstance(response, HtmlResponse) or content_type.split(";")[0].strip().lower() in HTML_TYPES
    if not is_html:
        return None
    return response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")


def archived_html(url: str, headers: list[tuple[str, str]], body: bytes) -> str | None:
    """An archived response's page as text, decoded as it was when fetched."""
    response_class = responsetypes.from_args(headers=Headers(headers), url=url, body=body)
    return response_html(response_class(url=url, headers=Headers(headers), body=body))


def result_from_response(response: Response, source: SourceToCheck, fetched_at: str) -> FetchResult:
    headers = response.headers
    content_type = _header(headers, b"Content-Type")
    return FetchResult(
        source=source,
        fetched_at=fetched_at,
        http_status=response.status,
        final_url=response.url,
        redirects=_redirects(response),
        content_type=content_type,
        etag=_header(headers, b"ETag"),
        retry_after=_header(headers, b"Retry-After"),
        last_modified=_header(headers, b"Last-Modified"),
        elapsed=response.meta.get("download_latency"),
        body=response.body,
        html=response_html(response),
        body_hash=body_hash(response.body) if response.status != 304 else source.body_hash,
        raw=response.meta.get(RAW_EXCHANGE_KEY),
    )


def result_from_failure(failure: Failure, source: SourceToCheck, fetched_at: str) -> FetchResult:
    request = getattr(failure, "request", None)
    error = classify_failure(failure.value)
    return FetchResult(
        source=source,
        fetched_at=fetched_at,
        final_url=request.url if request is not None else source.url,
        redirects=_redirects(request) if request is not None else [],
        error=error,
        error_detail=f"{type(failure.value).__name__}: {failure.value}"[:500],
    )


def classify_failure(exception: BaseException) -> str:
    """The error class of a download failure."""
    chain = list(_exception_chain(exception))
    names = {type(e).__name__ for e in chain}
    messages = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ForbiddenAddress) for e in chain):
        return "forbidden_address"
    if any(isinstance(e, (CannotResolveHostError, tx_error.DNSLookupError)) for e in chain):
        return "dns"
    if any(isinstance(e, (DownloadConnectionRefusedError, tx_error.ConnectionRefusedError)) for e in chain):
        return "refused"
    if any(isinstance(e, (DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError)) for e in chain):
        return "timeout"
    if "_DecompressionMaxSizeExceeded" in names or "max size" in messages:
        return "too_large"
    if any(isinstance(e, tx_error.SSLError) or type(e).__module__.startswith("OpenSSL") for e in chain):
        return "tls"
    if "max redirections reached" in messages:
        return "redirect_loop"
    return "connection"


def _exception_chain(exception: BaseException | None) -> Iterator[BaseException]:
    """The exception, its causes, and the failures Twisted wraps inside it."""
    seen: set[int] = set()
    pending = [exception]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([current.__cause__, current.__context__])
        for reason in getattr(current, "reasons", None) or []:
            pending.append(getattr(reason, "value", reason))


def _redirects(message: Response | Any) -> list[dict[str, Any]]:
    urls = message.meta.get("redirect_urls", [])
    reasons = message.meta.get("redirect_reasons", [])
    return [{"url": url, "status": reason} for url, reason in zip(urls, reasons)]


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1").strip() if value else None
