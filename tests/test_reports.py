"""Link-rot reports: every format rendered from a database with known states and history."""

import csv
import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from helpers import ARTICLE, Checker, run_cli
from lxml import html as lxml_html
from webserver import Page

from citewatch.times import utc_now

HOSTILE = '<script>alert("x")</script>=HYPERLINK("http://evil.example") | [click](javascript:alert(1))'


@pytest.fixture
def site(config_file, tmp_path, web):
    """Two incidents over five days: ok, changed, dead, blocked and moved citations."""
    web.pages["/ok"] = Page(ARTICLE)
    web.pages["/edited"] = Page(ARTICLE)
    web.pages["/gone"] = Page(ARTICLE.replace("Friday", "Tuesday"))
    web.pages["/walled"] = Page(ARTICLE.replace("Friday", "Sunday"))
    web.pages["/old-home"] = Page(ARTICLE.replace("Friday", "Saturday"))
    records = [
        {"slug": "strike-on-clinic", "title": "Strike on a clinic", "url": "https://tracker.example/incident/strike-on-clinic",
         "sources": [{"url": web.url("/ok"), "title": "Clinic hit", "publisher": "Wire"},
                     {"url": web.url("/gone"), "title": HOSTILE, "publisher": "Gone Daily"},
                     {"url": web.url("/edited"), "title": "Casualty figures", "publisher": "Example Times"}]},
        {"slug": "aid-cut", "title": "Aid programme cut", "url": "https://tracker.example/incident/aid-cut",
         "sources": [{"url": web.url("/ok"), "title": "Clinic hit", "publisher": "Wire"},
                     {"url": web.url("/walled"), "title": "Behind a wall", "publisher": "Paywalled"},
                     {"url": web.url("/old-home"), "title": "Moved story", "publisher": "Relocated"}]},
    ]
    (tmp_path / "records.json").write_text(json.dumps(records))
    assert run_cli(config_file, "ingest", str(tmp_path / "records.json")).exit_code == 0
    checker = Checker(config_file, tmp_path)
    checker.check()
    web.pages["/gone"] = Page("<h1>Not found</h1>", status=404)
    web.pages["/edited"] = Page(ARTICLE.replace("$5 billion", "$4 billion"))
    web.pages["/walled"] = Page("<h1>Forbidden</h1>", status=403)
    web.pages["/old-home"] = Page(status=301, headers={"Location": "/new-home"})
    web.pages["/new-home"] = Page(ARTICLE.replace("Friday", "Saturday"))
    for _ in range(4):
        checker.check(timedelta(days=1))
    db = checker.settings.storage.database
    from citewatch.storage.database import open_database

    database = open_database(db)
    gone = database.execute("SELECT id FROM sources WHERE cited_url = ?", [web.url("/gone")]).fetchone()[0]
    walled = database.execute("SELECT id FROM sources WHERE cited_url = ?", [web.url("/walled")]).fetchone()[0]
    database["archive_copies"].insert_all([
        {"source_id": gone, "archive_url": "https://web.archive.org/web/20260104000000/gone", "captured_at": "2026-01-04T00:00:00+00:00",
         "judged_at": "2026-01-09T00:00:00+00:00", "verdict": "verified", "similarity": 1.0},
        {"source_id": walled, "archive_url": "https://web.archive.org/web/20260104000000/walled", "captured_at": "2026-01-04T00:00:00+00:00",
         "judged_at": "2026-01-09T00:00:00+00:00", "verdict": "unusable", "reason": "a bot check or CAPTCHA in front of the article (bot_challenge)"},
    ])
    database.close()
    return web


def report(config_file, tmp_path, form, *extra):
    out = tmp_path / f"report-{form}"
    result = run_cli(config_file, "report", "--out", str(out), "--format", form, *extra)
    assert result.exit_code == 0, result.output
    return out


def test_html_index_figures_chart_and_worst_first(config_file, tmp_path, site):
    out = report(config_file, tmp_path, "html")
    page = (out / "index.html").read_text()
    tree = lxml_html.fromstring(page)
    figures = {f.xpath("string(.//span)"): int(f.xpath("string(.//b)")) for f in tree.xpath("//div[@class='figure']")}
    assert figures == {"ok": 2, "changed": 1, "failing": 0, "dead": 1, "blocked": 1, "moved": 1, "new": 0}
    assert "50% of incidents have at least one dead citation." in page
    rows = tree.xpath("//table[@id='incidents']/tbody/tr")
    assert [row.xpath("string(.//a)") for row in rows] == ["Strike on a clinic", "Aid programme cut"]  # worst first
    assert len(tree.xpath("//svg//rect")) >= 5 * 3  # five days of stacked bars
    assert tree.xpath("//input[@id='filter']") and "only-dead" in page
    assert not tree.xpath("//*[@src]") and not tree.xpath("//link")  # self-contained: no external assets


def test_html_incident_page(config_file, tmp_path, site):
    out = report(config_file, tmp_path, "html")
    page = (out / "incidents" / "strike-on-clinic.html").read_text()
    tree = lxml_html.fromstring(page)
    assert not tree.xpath("//script")  # the hostile title stayed text
    text = tree.text_content()
    assert HOSTILE in text and "Casualty figures" in text and "Clinic hit" in text
    badges = [b.text_content() for b in tree.xpath("//table//span[contains(@class, 'badge')]")]
    assert sorted(badges) == ["dead", "ok", "ok"]
    edit = tree.xpath("//div[@class='diff']/div[@class='edit']")[0]
    assert [d.text_content() for d in edit.xpath("del|ins")] == ["5", "4"] and "more than $54 billion" in edit.text_content()
    paste = tree.xpath("string(//pre[@class='paste'])")
    assert f"Original: {site.url('/gone')}" in paste and "Archived copy: https://web.archive.org/web/20260104000000/gone" in paste
    local = tree.xpath("//a[text()='local copy']/@href")
    assert local and all(href.startswith("../sources/") for href in local)
    copy = (out / "incidents" / local[0]).resolve().read_text()
    assert "Demining programme cut as landmine policy reversed" in copy

    moved = lxml_html.fromstring((out / "incidents" / "aid-cut.html").read_text())
    assert site.url("/new-home") in moved.text_content() and "blocked" in moved.text_content()


def test_markdown_ready_to_paste(config_file, tmp_path, site):
    out = report(config_file, tmp_path, "md")
    page = (out / "incidents" / "strike-on-clinic.md").read_text()
    assert "| **dead** | the page is not found \\(http\\_404\\) |" in page
    assert "## Replacements for dead citations" in page and "<https://web.archive.org/web/20260104000000/gone>" in page
    assert "\n- The same memo rescinds the humanitarian demining programme, which had provided more than $~~5~~**4** billion" in page
    assert "<script>" not in page and "\\<script\\>" in page and "\\[click\\]\\(javascript" in page
    assert "(incidents/strike-on-clinic.md)" in (out / "index.md").read_text()


def test_csv_and_json_one_row_per_citation(config_file, tmp_path, site):
    rows = list(csv.DictReader((report(config_file, tmp_path, "csv") / "citations.csv").open()))
    assert len(rows) == 6
    assert {(r["incident"], r["state"]) for r in rows} >= {("strike-on-clinic", "dead"), ("aid-cut", "moved"), ("aid-cut", "blocked")}
    hostile = next(r for r in rows if r["url"] == site.url("/gone"))
    assert hostile["title"].startswith("<script>")
    edited = next(r for r in rows if r["url"] == site.url("/edited"))
    assert edited["changes"] == "1" and edited["change_summary"] == "1 paragraph changed"
    data = json.loads((report(config_file, tmp_path, "json") / "citations.json").read_text())
    assert len(data) == 6 and {d["state"] for d in data} == {"ok", "dead", "blocked", "moved"}
    assert next(d for d in data if d["url"] == site.url("/gone"))["since"] is not None


def test_csv_cells_never_run_as_formulas(config_file, tmp_path, web):
    web.pages["/a"] = Page(ARTICLE)
    record = tmp_path / "r.json"
    record.write_text(json.dumps({"slug": "s", "sources": [{"url": web.url("/a"), "title": '=HYPERLINK("http://evil")'}]}))
    run_cli(config_file, "ingest", str(record))
    (row,) = csv.DictReader((report(config_file, tmp_path, "csv") / "citations.csv").open())
    assert row["title"] == "'=HYPERLINK(\"http://evil\")"


def test_one_incident_only(config_file, tmp_path, site):
    out = report(config_file, tmp_path, "json", "--incident", "aid-cut")
    assert {d["incident"] for d in json.loads((out / "citations.json").read_text())} == {"aid-cut"}
    missing = run_cli(config_file, "report", "--out", str(tmp_path / "x"), "--incident", "nope")
    assert missing.exit_code == 2


@pytest.mark.skipif(
    __import__("citewatch.reports.screenshot", fromlist=["chromium"]).chromium() is None,
    reason="headless Chromium is not installed (Debian package `chromium`): the pages cannot be rendered to PNG",
)
def test_pages_render_in_headless_chromium(config_file, tmp_path, site):
    from citewatch.reports.screenshot import main

    out = report(config_file, tmp_path, "html")
    pngs = main(out, tmp_path / "png")
    assert [p.name for p in pngs] == ["index.png", "aid-cut.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 20_000 for p in pngs)


def test_a_report_written_again_rewrites_only_the_incidents_that_changed(config_file, tmp_path, site):
    checker = Checker(config_file, tmp_path)
    checker.now = utc_now() + timedelta(days=1)  # after the site's checks, and its records' ingest
    out = tmp_path / "again"

    def report_later(**options):
        """Report a while after the last check (a report looks back an hour before the last one)."""
        checker.now += timedelta(hours=2)
        with checker.citewatch() as cw:
            return cw.report(out, **options)

    first = report_later()
    assert first.changed is None and first.incidents == 2  # written whole the first time
    pages = {path.name: path.stat().st_mtime_ns for path in (out / "incidents").glob("*.html")}

    checker.check(timedelta(days=1))  # found as it was: dead still dead, blocked still blocked
    quiet = report_later()
    assert quiet.changed == 0 and [path.name for path in quiet.files] == ["index.html"]

    site.pages["/edited"] = Page(ARTICLE.replace("$5 billion", "$3 billion"))  # cited by the clinic strike only
    checker.check(timedelta(days=1))
    edited = report_later()
    assert edited.changed == 1
    assert [path.relative_to(out).as_posix() for path in edited.files][:2] == ["index.html", "incidents/strike-on-clinic.html"]
    assert "more than $<del>4</del><ins>3</ins> billion" in (out / "incidents" / "strike-on-clinic.html").read_text()
    assert (out / "incidents" / "aid-cut.html").stat().st_mtime_ns == pages["aid-cut.html"]
    index = (out / "index.html").read_text()
    assert "Link rot across 2 incidents" in index and "Strike on a clinic" in index and "Aid programme cut" in index

    site.pages["/walled"] = Page(ARTICLE.replace("Friday", "Sunday"))  # the wall comes down
    checker.check(timedelta(days=1))
    assert report_later().changed == 1  # aid-cut: a state changed, no content
    assert report_later(full=True).changed is None
    assert report_later(fmt="md").changed is None  # another format: written whole
    assert report_later(fmt="md").changed == 0
    result = run_cli(config_file, "report", "--out", str(out), "--format", "md")
    assert result.exit_code == 0 and "changed since the last report" in result.output


def test_the_chart_comes_from_the_states_kept_by_day(config_file, tmp_path, site):
    from citewatch.storage.database import count_states_from_checks, open_database
    from citewatch.storage.reporting import state_history

    db = open_database(Checker(config_file, tmp_path).settings.storage.database)
    try:
        kept = state_history(db, 400)
        clinic, aid = (state_history(db, 400, slug) for slug in ("strike-on-clinic", "aid-cut"))  # replayed
        with db.atomic():  # as the migration fills them for a database that had no counts
            db.execute("DELETE FROM state_counts")
            db.execute("DELETE FROM state_days")
            count_states_from_checks(db)
        migrated = state_history(db, 400)
    finally:
        db.close()
    assert kept == migrated
    assert kept[0] == ("2026-01-05", {"ok": 5})
    assert dict(kept)["2026-01-06"] == {"ok": 2, "failing": 1, "blocked": 1, "moved": 1}
    assert kept[-1][1] == {"ok": 2, "dead": 1, "blocked": 1, "moved": 1}
    # Each incident's chart, replayed from its sources' checks, adds up to the kept one
    # (less the source both cite, always ok).
    assert clinic[-1][1] == {"ok": 2, "dead": 1} and aid[-1][1] == {"ok": 1, "blocked": 1, "moved": 1}
    assert [(day, mine + theirs - Counter(ok=1)) for (day, mine), (_, theirs) in zip(clinic, aid)] == kept


@pytest.mark.parametrize("form", ["html", "md", "json"])
def test_pages_read_a_batch_of_incidents_at_a_time_write_the_same_report(config_file, tmp_path, site, monkeypatch, form):
    """A full report of a million citations held them all at once (2 GB): pages are now
    built a batch of incidents at a time, and one incident a batch writes the same files."""
    from citewatch.reports import linkrot

    whole = report(config_file, tmp_path / "whole", form)
    monkeypatch.setattr(linkrot, "PAGE_BATCH", 1)
    batched = report(config_file, tmp_path / "batched", form)

    def files(out):
        generated = re.compile(r"Generated by citewatch on [^<]*")
        return {path.relative_to(out): generated.sub("", path.read_text())
                for path in out.rglob("*") if path.is_file() and path.name != ".citewatch-report.json"}

    written = files(whole)
    assert len(written) >= (1 if form == "json" else 3) and files(batched) == written
    if form == "json":  # written an object at a time, as json.dumps writes the whole list
        text = (whole / "citations.json").read_text()
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_a_report_of_an_empty_database_is_still_valid_csv_and_json(config_file, tmp_path):
    assert json.loads((report(config_file, tmp_path, "json") / "citations.json").read_text()) == []
    with (report(config_file, tmp_path, "csv") / "citations.csv").open(newline="") as handle:
        assert list(csv.DictReader(handle)) == []


def test_a_file_whose_parts_fail_half_way_leaves_nothing_behind(tmp_path):
    from citewatch.reports.formats import write_file

    def parts():
        yield "[\n"
        raise OSError("the database went away")

    (tmp_path / "citations.json").write_text("[]\n")  # the last report's
    with pytest.raises(OSError):
        write_file(tmp_path / "citations.json", parts())
    assert [path.name for path in tmp_path.iterdir()] == ["citations.json"]
    assert (tmp_path / "citations.json").read_text() == "[]\n"


@pytest.mark.parametrize("items", [[], [{"a": 1}], [{"url": "https://a.example/ü", "n": [1, 2]}, {"b": None}, {}]])
def test_a_json_list_written_an_item_at_a_time(items):
    from citewatch.reports.formats import json_list

    assert "".join(json_list(iter(items), indent=2)) == json.dumps(items, indent=2, ensure_ascii=False)
    lines = "".join(json_list(iter(items))).split("\n")  # one item a line, for grep and jq
    assert json.loads("\n".join(lines)) == items
    assert lines == (["[]"] if not items else ["[", *(json.dumps(i, ensure_ascii=False) + "," for i in items[:-1]),
                                              json.dumps(items[-1], ensure_ascii=False), "]"])
