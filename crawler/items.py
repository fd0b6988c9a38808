"""What a check knows and finds, as plain records: the source to fetch, the item the
spider yields for it (a FetchResult), the article extracted and the verdict.

Nothing here imports Scrapy, so storage, reports and the CLI can use these records
without loading the crawler (and a big crawl's child processes start while it loads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from citewatch.storage.archive import RawExchange


@dataclass(frozen=True)
class SourceToCheck:
    """What the spider needs to know about a source to fetch it."""

    id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    archived_hash: str | None = None  # body_hash of the version last written to the WARC archive


@dataclass
class Extraction:
    """Article text and metadata extracted from a page."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    headlines: dict[str, str] = field(default_factory=dict)  # {"title", "og:title", "h1"}: as on the page


@dataclass(frozen=True)
class Verdict:
    """What one fetch says about a source: ok, failure (counts towards dead), blocked
    (the site refuses us, nothing can be told) or moved (same article, new address)."""

    outcome: str
    reason: str | None = None
    retry_after: float | None = None  # seconds the site asked us to wait


@dataclass
class FetchResult:
    source: SourceToCheck
    fetched_at: str
    http_status: int | None = None
    final_url: str | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float | None = None
    body: bytes = b""  # as Scrapy returns it: content encoding undone, charset untouched
    html: str | None = None  # the page decoded with its own charset, if the response is HTML
    body_hash: str | None = None
    error: str | None = None
    error_detail: str | None = None
    retry_after: str | None = None  # the Retry-After header, as sent
    raw: RawExchange | None = None  # the exchange as it went over the wire, if it had a body: for the WARC archive
    extraction: Extraction | None = None
    not_found_page: Extraction | None = None  # the site's 200 answer to a made-up path, if any
    verdict: Verdict | None = None  # set by the liveness pipeline
    confirmation: Extraction | None = None  # a second fetch made at once, when the text changed

    @property
    def page_url(self) -> str:
        """Where the page was found: the URL after redirects, or the cited one."""
        return self.final_url or self.source.url

    @property
    def not_modified(self) -> bool:
        return self.http_status == 304

    @property
    def body_unchanged(self) -> bool:
        return self.body_hash is not None and self.body_hash == self.source.body_hash

    @property
    def is_pdf(self) -> bool:
        return (self.content_type or "").lower().startswith("application/pdf") or self.body[:5] == b"%PDF-"

    @property
    def is_success(self) -> bool:
        return self.error is None and 200 <= (self.http_status or 0) < 300

    @property
    def is_html(self) -> bool:
        return self.html is not None
