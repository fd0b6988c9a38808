"""Screenshots of `citewatch serve` (Datasette over the database) as a maintainer sees it:
the canned queries, dead sources by incident, this week's changes with their diffs, and
the citations faceted by state, reason, host and incident.

    python bench/browse_screenshots.py [OUT_DIR]     (default: docs/images)

Builds a database from real pages of the extraction corpus (../shared) served on
loopback: three incidents citing twelve articles, checked, then two articles edited
(figures changed), two deleted (404) and one behind a 403, and checked again. Needs
Debian's `chromium` package.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import uvicorn
from corpus import Clock, LoopbackWeb, load_corpus

from citewatch import Citewatch
from citewatch.config import settings_from_dict
from citewatch.reports.screenshot import chromium, screenshot
from citewatch.times import utc_now

PAGES = {
    "index": "/citewatch",
    "dead-by-incident": "/citewatch/dead_by_incident",
    "changes-this-week": "/citewatch/changes_this_week",
    "cited-sources-facets": "/citewatch/cited_sources",
}
INCIDENTS = {"shelling-of-market": slice(0, 5), "detention-of-journalists": slice(5, 9), "school-strike": slice(9, 12)}


def main(out: Path) -> list[Path]:
    if chromium() is None:
        raise SystemExit("headless Chromium is not installed (apt-get install chromium)")
    pages, web, clock = load_corpus(12), LoopbackWeb(), Clock(utc_now() - timedelta(days=1))
    for page in pages:
        web.routes[f"/{page.id}"] = lambda _, html=page.html: html
    with tempfile.TemporaryDirectory() as data:
        settings = settings_from_dict({"storage": {"dir": data}, "dead": {"failures": 1, "min_days": 0},
                                       "crawl": {"delay": 0, "timeout": 5, "allow_private_addresses": True},
                                       "wayback": {"enabled": False}})
        records = Path(data) / "records.json"
        records.write_text(json.dumps([
            {"slug": slug, "title": slug.replace("-", " ").capitalize(), "category": "conflict",
             "sources": [{"url": web.url(f"/{page.id}"), "title": page.article.split("\n")[0][:80]} for page in pages[cited]]}
            for slug, cited in INCIDENTS.items()]))
        with Citewatch(settings, clock=clock) as cw:
            cw.ingest([records])
            cw.check(all=True)
            for page in pages[:2]:  # figures edited
                web.routes[f"/{page.id}"] = lambda _, html=page.html: re.sub(r"\b(\d)(\d)\b", r"\2\1", html)
            for page in pages[5:7]:
                web.routes[f"/{page.id}"] = lambda _: (404, {}, "<h1>Not found</h1>")
            web.routes[f"/{pages[10].id}"] = lambda _: (403, {}, "<h1>Forbidden</h1>")
            clock.now = utc_now()
            cw.check(all=True)
            return _shoot(cw.browse(), out)


def _shoot(app, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    server = uvicorn.Server(uvicorn.Config(app.app(), host="127.0.0.1", port=0, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    out.mkdir(parents=True, exist_ok=True)
    try:
        return [screenshot(f"http://127.0.0.1:{port}{path}", out / f"browse-{name}.png", height=1000)
                for name, path in PAGES.items()]
    finally:
        server.should_exit = True
        thread.join()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "images"
    for written in main(target):
        print(written)
