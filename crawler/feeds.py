"""Pulling the tracker's exports over http(s): a conditional GET with the crawl's timeout,
user agent and private-address guard (every redirect too), its body written to a file in
bounded memory and up to a size limit. Every answer ends as a FeedAnswer: the file, "not
modified", or the problem in words; never an exception.

A feed is a single request, not a crawl: the standard library's HTTP client does it, and
the crawl's own guard decides which addresses may be reached.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.exceptions import CannotResolveHostError

from .fetch import ForbiddenAddress
from .guard import check_host

CHUNK = 1 << 16


@dataclass(frozen=True)
class FeedAnswer:
    url: str
    body: Path | None = None  # the export, on disk (a 200)
    not_modified: bool = False  # a 304: the export is as last pulled
    etag: str | None = None
    last_modified: str | None = None
    problem: str | None = None  # why nothing could be read, in words
    index: bool = False  # the body lists the URLs of records, pulled apart


@dataclass(frozen=True)
class FeedRequest:
    url: str
    headers: dict[str, str]
    etag: str | None = None  # of the last pull: sent back for a conditional GET
    last_modified: str | None = None


def pull(request: FeedRequest, into: Path, timeout: float, max_bytes: int, user_agent: str,
         allow_private: bool) -> FeedAnswer:
    """GET the feed into the file `into`; the answer says what came of it."""
    headers = {"User-Agent": user_agent, "Accept": "application/json, application/x-ndjson, */*;q=0.5",
               "Accept-Encoding": "identity", **request.headers}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    opener = urllib.request.build_opener(_GuardedRedirects(allow_private), urllib.request.ProxyHandler({}))
    try:
        _guard(request.url, allow_private)
        with opener.open(urllib.request.Request(request.url, headers=headers), timeout=timeout) as response:
            return _saved(request.url, response, into, max_bytes)
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return FeedAnswer(request.url, not_modified=True, etag=request.etag, last_modified=request.last_modified)
        return FeedAnswer(request.url, problem=f"the server answered {error.code} {error.reason}")
    except (ForbiddenAddress, CannotResolveHostError) as error:
        return FeedAnswer(request.url, problem=str(error))
    except (urllib.error.URLError, http.client.HTTPException, OSError, socket.timeout, ValueError) as error:
        reason = getattr(error, "reason", error)
        return FeedAnswer(request.url, problem=f"cannot fetch it: {reason}")


def _saved(url: str, response: urllib.response.addinfourl, into: Path, max_bytes: int) -> FeedAnswer:
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > max_bytes:
        return FeedAnswer(url, problem=f"larger than ingest.max_feed_bytes ({max_bytes:,} bytes): not read")
    written = 0
    with into.open("wb") as out:
        while chunk := response.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                return FeedAnswer(url, problem=f"larger than ingest.max_feed_bytes ({max_bytes:,} bytes): not read")
            out.write(chunk)
    return FeedAnswer(url, body=into, etag=_header(response.headers, "ETag"),
                      last_modified=_header(response.headers, "Last-Modified"))


def _header(headers: Message, name: str) -> str | None:
    value = headers.get(name)
    return " ".join(str(value).split())[:500] or None if value is not None else None


def _guard(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ForbiddenAddress(f"{parts.scheme}: URLs are never fetched")
    if not allow_private:
        check_host(parts.hostname or "")


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an address the guard allows."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        _guard(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)
