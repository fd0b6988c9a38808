"""A fake Wayback Machine on 127.0.0.1 that speaks the real endpoints' formats:
GET /save/URL, POST /save with GET /save/status/JOB (SPN2), GET /cdx/search/cdx, and the
captures themselves: /web/TSid_/URL (the original page as captured, its status replayed)
and /web/TS/URL (framed: the Wayback Machine's toolbar and scripts inserted). A save
captures the live page, as the real one does; `add_copy` plants any capture, good or bad."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import requests
from webserver import QuietHandler, serve

TOOLBAR_HEAD = (
    '<script src="//archive.org/includes/athena.js" type="text/javascript"></script>\n'
    '<script type="text/javascript">window.addEventListener("DOMContentLoaded", function(){__wm.init("https://web.archive.org/web");});</script>\n'
    '<link rel="stylesheet" type="text/css" href="/_static/css/banner-styles.css?v=1">\n'
    "<!-- End Wayback Rewrite JS Include -->\n"
)
TOOLBAR = (
    "<!-- BEGIN WAYBACK TOOLBAR INSERT -->\n<div id=\"wm-ipp-base\"><div id=\"wm-ipp\">"
    "<a href=\"/web/\">Wayback Machine</a> 142 captures 12 Mar 2019 - 3 Jan 2026 <a href=\"#\">About this capture</a> "
    "COLLECTED BY Organization: Internet Archive. These crawls are part of an effort to archive pages as they are created "
    "and archive the pages that they refer to. That way, as the pages that are referenced are changed or taken from the "
    "web, a link to the version that was live when the page was written will be preserved.</div></div>\n"
    "<!-- END WAYBACK TOOLBAR INSERT -->\n"
)
_CAPTURE = re.compile(r"^/web/(\d{14})(id_)?/(.+)$")

ACCESS_KEY, SECRET_KEY = "test-access", "test-secret"


class FakeWayback:
    def __init__(self) -> None:
        self.captures: dict[str, list[tuple[str, int]]] = {}  # original URL -> [(timestamp, status)]
        self.save_statuses: list[int] = []  # answers for the next saves; 200 once empty
        self.pending_polls = 1  # an SPN2 job answers "pending" to this many polls, then succeeds
        self.answer_style = "content-location"  # content-location | link | redirect
        self.save_delay = 0.0
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, headers)
        self.jobs: dict[str, dict] = {}
        self.clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        self.copies: dict[str, dict[str, tuple[int, dict[str, str], bytes]]] = {}  # URL -> timestamp -> capture
        self.raw_fails = False  # the raw (id_) form answers 503: only the framed form works
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake.requests.append(("GET", self.path, dict(self.headers)))
                path = urlsplit(self.path).path
                if path.startswith("/save/status/"):
                    self._json(*fake.job_status(path.rsplit("/", 1)[1], self.headers.get("Authorization")))
                elif path.startswith("/save/"):
                    self.answer(*fake.save(self.path[len("/save/"):]))
                elif path == "/cdx/search/cdx":
                    self.answer(200, {"Content-Type": "text/plain"}, fake.cdx(parse_qs(urlsplit(self.path).query)))
                elif path.startswith("/web/"):
                    self.answer(*fake.replay(self.path))
                else:
                    self.answer(404, {}, "not found")

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                fake.requests.append(("POST", self.path, dict(self.headers)))
                url = parse_qs(body).get("url", [""])[0]
                self._json(*fake.submit_job(url, self.headers.get("Authorization")))

            def _json(self, status: int, data: dict) -> None:
                self.answer(status, {"Content-Type": "application/json"}, json.dumps(data))

        self.server = serve(Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def timestamp(self) -> str:
        return self.clock().strftime("%Y%m%d%H%M%S")

    def saves(self) -> list[str]:
        """The URLs submitted, in order, by either API."""
        submitted = [path[len("/save/"):] for method, path, _ in self.requests if method == "GET" and path.startswith("/save/") and not path.startswith("/save/status/")]
        return submitted + [job["url"] for job in self.jobs.values()]

    def save(self, url: str) -> tuple[int, dict[str, str], str]:
        if self.save_delay:
            time.sleep(self.save_delay)
        status = self.save_statuses.pop(0) if self.save_statuses else 200
        if status != 200:
            return status, {}, "error"
        timestamp = self.capture_live(url)
        capture = f"/web/{timestamp}/{url}"
        if self.answer_style == "link":
            return 200, {"Link": f'<{url}>; rel="original", <{self.base_url}{capture}>; rel="memento"; datetime="x"'}, "saved"
        if self.answer_style == "redirect":
            return 302, {"Location": capture}, ""
        return 200, {"Content-Location": capture}, "saved"  # what waybackpy's own parser misses

    def submit_job(self, url: str, authorization: str | None) -> tuple[int, dict]:
        if authorization != f"LOW {ACCESS_KEY}:{SECRET_KEY}":
            return 401, {"message": "You need to be logged in to use Save Page Now."}
        status = self.save_statuses.pop(0) if self.save_statuses else 200
        if status != 200:
            return status, {"message": "slow down"}
        job = f"spn2-{len(self.jobs) + 1:04d}"
        self.jobs[job] = {"url": url, "polls": 0}
        return 200, {"url": url, "job_id": job}

    def job_status(self, job: str, authorization: str | None) -> tuple[int, dict]:
        if authorization != f"LOW {ACCESS_KEY}:{SECRET_KEY}" or job not in self.jobs:
            return 404, {"status": "error", "message": "unknown job"}
        record = self.jobs[job]
        record["polls"] += 1
        if record["polls"] <= self.pending_polls:
            return 200, {"status": "pending", "job_id": job}
        timestamp = self.capture_live(record["url"])
        return 200, {"status": "success", "job_id": job, "timestamp": timestamp, "original_url": record["url"]}

    def capture_live(self, url: str) -> str:
        """Capture the page at `url` as it answers now (a page on loopback: nothing else is
        ever fetched); its timestamp."""
        if not (urlsplit(url).hostname or "").startswith("127."):
            return self.add_copy(url, "<html><body>archived copy</body></html>")
        try:
            live = requests.get(url, timeout=5)
            capture = (live.status_code, {"Content-Type": live.headers.get("Content-Type", "text/html")}, live.content)
        except requests.RequestException:
            capture = (502, {"Content-Type": "text/html"}, b"<html><body><h1>Bad gateway</h1></body></html>")
        return self.add_copy(url, capture[2], status=capture[0], headers=capture[1])

    def add_copy(self, url: str, body: str | bytes, timestamp: str | None = None, status: int = 200,
                 headers: dict[str, str] | None = None) -> str:
        """Plant a capture of `url` (listed by the CDX API too); its timestamp."""
        timestamp = timestamp or self.timestamp()
        data = body.encode() if isinstance(body, str) else body
        self.copies.setdefault(url, {})[timestamp] = (status, headers or {"Content-Type": "text/html; charset=utf-8"}, data)
        self.captures.setdefault(url, []).append((timestamp, status))
        return timestamp

    def replay(self, path: str) -> tuple[int, dict[str, str], bytes]:
        match = _CAPTURE.match(path)
        if not match:
            return 404, {"Content-Type": "text/html"}, b"<html><body>Wayback Machine has not archived that URL.</body></html>"
        timestamp, raw, url = match.groups()
        if raw and self.raw_fails:
            return 503, {"Content-Type": "text/html"}, b"<html><body>Service unavailable</body></html>"
        captures = self.copies.get(url, {})
        if not captures:
            return 200, {"Content-Type": "text/html"}, b"<html><body>archived copy</body></html>"
        nearest = min(captures, key=lambda ts: abs(int(ts) - int(timestamp)))
        status, headers, body = captures[nearest]
        if not raw:
            text = body.decode("utf-8", "replace")
            text = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + TOOLBAR_HEAD, text, count=1, flags=re.I)
            text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + TOOLBAR, text, count=1, flags=re.I)
            body = text.encode()
        return status, headers, body

    def cdx(self, query: dict[str, list[str]]) -> str:
        url = query["url"][0]
        rows = sorted(self.captures.get(url, []))
        for condition in query.get("filter", []):
            field, _, pattern = condition.partition(":")
            assert field == "statuscode", condition
            rows = [row for row in rows if str(row[1]) == pattern]
        if "to" in query:
            rows = [row for row in rows if row[0] <= query["to"][0].ljust(14, "9")]
        if "from" in query:
            rows = [row for row in rows if row[0] >= query["from"][0].ljust(14, "0")]
        limit = int(query.get("limit", ["0"])[0])
        rows = rows[limit:] if limit < 0 else rows[:limit] if limit else rows
        return "".join(f"com,example)/ {ts} {url} text/html {status} {'A' * 32} 1234\n" for ts, status in rows)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
