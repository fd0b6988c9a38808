"""Shared by the benchmarks: the real article pages of the extraction corpus, and a
loopback web server that serves whatever page functions the benchmark sets."""

from __future__ import annotations

import gzip
import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from citewatch import Citewatch
from citewatch.config import Settings
from citewatch.times import utc_now

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "article-extraction-benchmark"


@dataclass(frozen=True)
class CorpusPage:
    id: str
    html: str
    article: str  # ground-truth article text, paragraphs separated by newlines


def load_corpus(limit: int | None = None, corpus: Path = CORPUS) -> list[CorpusPage]:
    if not (corpus / "ground-truth.json").exists():
        raise SystemExit(f"corpus not found at {corpus}: this benchmark needs ../shared beside the repository")
    truth = json.loads((corpus / "ground-truth.json").read_text())
    pages = []
    for page_id in sorted(truth)[:limit]:
        html = gzip.decompress((corpus / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        pages.append(CorpusPage(page_id, html, truth[page_id]["articleBody"]))
    return pages


@contextmanager
def citewatch_citing(settings: Settings, urls: dict[str, str], clock: Callable[[], datetime] = utc_now) -> Iterator[Citewatch]:
    """citewatch in a fresh data folder, with one incident (slug: key) citing each URL."""
    with tempfile.TemporaryDirectory() as data:
        settings = replace(settings, storage=replace(settings.storage, dir=Path(data)))
        records = Path(data) / "records.json"
        records.write_text(json.dumps([{"slug": slug, "sources": [{"url": url}]} for slug, url in urls.items()]))
        with Citewatch(settings, clock=clock) as cw:
            cw.ingest([records])
            yield cw


class Clock:
    """A clock a benchmark sets; picklable, so that a big crawl takes it to its child processes."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now or utc_now()


Answer = str | tuple[int, dict[str, str], str]  # HTML, or (status, headers, body)
Render = Callable[[int], Answer]  # request number -> answer


class LoopbackWeb:
    """Serves `routes[path](request_number)` on `host` (127.0.0.1); other paths get `unknown`."""

    def __init__(self, unknown: Render | None = None, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Render] = {}
        self.unknown = unknown
        self.hits: dict[str, int] = {}
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                render = web.routes.get(self.path, web.unknown)
                number = web.hits[self.path] = web.hits.get(self.path, 0) + 1
                answer = render(number) if render else (404, {}, "<h1>Not found</h1>")
                status, headers, body = (200, {}, answer) if isinstance(answer, str) else answer
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.host = host
        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
