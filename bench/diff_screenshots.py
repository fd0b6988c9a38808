"""Screenshots of a change as a maintainer first sees it: the HTML alert email and the
incident's report page, after a one-word, a one-number and a headline edit, with two
dead citations in the report's replacement list.

    python bench/diff_screenshots.py [OUT_DIR]     (default: docs/images)

Serves the project's own test article on loopback (no ../shared needed), checks it, edits
it three ways, kills two citations, checks again, then renders the digest email and the
report and photographs both with headless Chromium (Debian's `chromium` package); each
change on the report page is shown opened, as after a click on it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from corpus import Clock, LoopbackWeb

from citewatch import Citewatch
from citewatch.config import settings_from_dict
from citewatch.reports.digest import pending_digest
from citewatch.reports.email import render_message
from citewatch.reports.screenshot import chromium, screenshot
from citewatch.times import utc_now

ARTICLE = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "article.html").read_text()
HEADLINE = "Demining programme cut as landmine policy reversed"
EDITS = {
    "word": ("Wire report", ARTICLE.replace("would put civilians", "would not put civilians")),
    "number": ("The Example Times", ARTICLE.replace("$5 billion", "$3 billion")),
    "headline": ("Agency copy", ARTICLE.replace(HEADLINE, HEADLINE.replace("policy", "ban"))),
}
DEAD = ("ngo-statement", "court-filing")


def main(out: Path) -> list[Path]:
    if chromium() is None:
        raise SystemExit("headless Chromium is not installed (apt-get install chromium)")
    web, clock = LoopbackWeb(), Clock(utc_now() - timedelta(days=1))
    for path in [*EDITS, *DEAD]:
        web.routes[f"/{path}"] = lambda _: ARTICLE
    with tempfile.TemporaryDirectory() as data:
        settings = settings_from_dict({"storage": {"dir": data}, "dead": {"failures": 1, "min_days": 0},
                                       "crawl": {"delay": 0, "timeout": 5, "allow_private_addresses": True},
                                       "wayback": {"enabled": False},
                                       "email": {"sender": "citewatch@tracker.example",
                                                 "recipients": ["maintainers@tracker.example"]}})
        records = Path(data) / "records.json"
        records.write_text(json.dumps({"slug": "landmine-policy", "title": "Landmine ban reversed", "sources": [
            {"url": web.url(f"/{path}"), "title": f"Landmine policy ({path.replace('-', ' ')})",
             "publisher": EDITS[path][0] if path in EDITS else "Campaign"} for path in [*EDITS, *DEAD]]}))
        with Citewatch(settings, clock=clock) as cw:
            cw.ingest([records])
            cw.check(all=True)
            for path, (_, html) in EDITS.items():
                web.routes[f"/{path}"] = lambda _, html=html: html
            for path in DEAD:
                web.routes[f"/{path}"] = lambda _: (404, {}, "<h1>Not found</h1>")
            clock.now = utc_now()
            cw.check(all=True)
            email = render_message(pending_digest(cw.db), settings.email, settings.email.recipients)
            page = Path(data) / "email.html"
            page.write_text(email.get_body(("html",)).get_content())
            report = Path(data) / "report"
            cw.report(report, "html")
            incident = report / "incidents" / "landmine-policy.html"  # as a reader sees it after a click on each change
            incident.write_text(incident.read_text().replace("<details><summary>", "<details open><summary>"))
            out.mkdir(parents=True, exist_ok=True)
            return [screenshot(page, out / "diff-email.png", width=900, height=1250),
                    screenshot(incident, out / "diff-report.png", height=1500)]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "images"
    for written in main(target):
        print(written)
