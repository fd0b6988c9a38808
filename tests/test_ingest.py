import json

import pytest
from helpers import SEED_RECORD, run_cli, status_json

from citewatch.storage.database import open_database

SEED_SOURCE_URLS = [
    "https://www.washingtonpost.com/national-security/2025/12/19/hegseth-land-mines-policy-reversal/",
    "https://www.amnestyusa.org/press-releases/reversal-of-u-s-landmine-ban-endangers-civilians-and-undermines-human-rights-globally/",
    "https://www.commondreams.org/news/amnesty-hegseth-landmines",
    "https://icblcmc.org/our-impact/international-campaign-to-ban-landmines-condemns-reported-u-s-policy-shift-on-antipersonnel-landmines",
    "https://www.armscontrol.org/act/2026-01/news/countries-leave-mine-ban-treaty",
    "https://www.hrw.org/news/2025/12/01/landmines-action-needed-to-reinforce-ban",
]


@pytest.fixture
def db(config_file):
    database = open_database(config_file.parent / "data" / "citewatch.db")
    yield database
    database.close()


def citations(db):
    return db.execute(
        "SELECT c.incident_slug, s.url, c.role, c.title, c.publisher FROM citations c "
        "JOIN sources s ON s.id = c.source_id ORDER BY c.incident_slug, s.url, c.role"
    ).fetchall()


def test_seed_record_gives_one_incident_and_six_sources(config_file, db):
    result = run_cli(config_file, "ingest", str(SEED_RECORD))
    assert result.exit_code == 0, result.output
    assert "Ingested 1 incident with 9 citations from 1 file; 6 new sources." in result.output
    assert db["incidents"].count == 1
    assert db["sources"].count == 6
    incident = db["incidents"].get("antipersonnel-landmines-policy-reversal")
    assert incident["site"] == "https://trumpswarcrimes.com"
    assert incident["category"] == "foreign-policy"
    statuses = status_json(config_file)
    assert sorted(statuses) == sorted(SEED_SOURCE_URLS)
    assert all(row["state"] == "new" and row["changes"] == 0 for row in statuses.values())
    assert all(row["incidents"] == ["antipersonnel-landmines-policy-reversal"] for row in statuses.values())


def test_citation_roles_titles_and_publishers(config_file, db):
    run_cli(config_file, "ingest", str(SEED_RECORD))
    rows = citations(db)
    assert len(rows) == 9
    roles = {}
    for _, url, role, title, publisher in rows:
        roles.setdefault(url, {})[role] = (title, publisher)
    amnesty = roles[SEED_SOURCE_URLS[1]]
    assert set(amnesty) == {"source", "legal-analysis"}
    assert amnesty["legal-analysis"][1] == "Amnesty International"
    icbl = roles[SEED_SOURCE_URLS[3]]
    assert icbl["source"] == ("ICBL Condemns U.S. Policy Shift on Antipersonnel Landmines", "International Campaign to Ban Landmines")
    assert icbl["legal-analysis"][0] == "International Campaign to Ban Landmines Condemns U.S. Policy Shift"
    assert sum(1 for r in rows if r[2] == "legal-analysis") == 3


def test_reingest_is_idempotent(config_file, db):
    run_cli(config_file, "ingest", str(SEED_RECORD))
    before = citations(db)
    ids = [row["id"] for row in db["citations"].rows]
    result = run_cli(config_file, "ingest", str(SEED_RECORD))
    assert result.exit_code == 0 and "0 new sources" in result.output
    assert citations(db) == before
    assert [row["id"] for row in db["citations"].rows] == ids
    assert db["sources"].count == 6


def test_a_record_that_drops_a_url_drops_that_citation(config_file, db, tmp_path):
    run_cli(config_file, "ingest", str(SEED_RECORD))
    export = json.loads(SEED_RECORD.read_text())
    dropped = export["record"]["sources"].pop()  # HRW, cited once
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(export))
    assert run_cli(config_file, "ingest", str(edited)).exit_code == 0
    assert len(citations(db)) == 8
    assert dropped["url"] not in status_json(config_file)
    assert db["sources"].count == 6  # the source and its history stay, it is just not cited


def test_formats_arrays_json_lines_directories_documents_and_inline_links(config_file, db, tmp_path):
    folder = tmp_path / "records" / "nested"
    folder.mkdir(parents=True)
    (tmp_path / "records" / "array.json").write_text(
        json.dumps(
            [
                {"slug": "a", "sources": [{"url": "https://news.example/a?utm_source=feed"}]},
                {"site": "https://tracker.example", "record": {"slug": "b", "documents": ["https://court.example/ruling.pdf"]}},
            ]
        )
    )
    (folder / "lines.jsonl").write_text(
        json.dumps({"slug": "c", "documents": [{"url": "https://ngo.example/report", "title": "Report"}]})
        + "\n\n"
        + json.dumps(
            {
                "site": "https://tracker.example",
                "record": {
                    "slug": "d",
                    "contentHtml": '<p>See <a href="https://news.example/a">the story</a>, '
                    '<a href="/incident/a">a related incident</a>, <a href="mailto:x@y.z">mail</a> '
                    'and <a href="https://tracker.example/incident/b">b</a>.</p>',
                },
            }
        )
        + "\n"
    )
    (folder / "notes.txt").write_text("not a record file")
    result = run_cli(config_file, "ingest", str(tmp_path / "records"))
    assert result.exit_code == 0, result.output
    assert "Ingested 4 incidents with 4 citations from 2 files; 3 new sources." in result.output
    rows = citations(db)
    assert ("b", "https://court.example/ruling.pdf", "document", None, None) in rows
    assert ("c", "https://ngo.example/report", "document", "Report", None) in rows
    assert ("d", "https://news.example/a", "inline", "the story", None) in rows
    assert status_json(config_file)["https://news.example/a?utm_source=feed"]["incidents"] == ["a", "d"]


def test_bad_input_is_reported_with_file_and_position_and_the_rest_is_kept(config_file, db, tmp_path):
    good = {"slug": "good", "sources": [{"url": "https://news.example/ok"}]}
    mixed = {
        "slug": "mixed",
        "sources": [
            {"url": "javascript:alert(1)"},
            {"url": "mailto:press@example.org"},
            {"url": "/relative/path"},
            {"url": "garbage"},
            {"url": "https://news.example/kept"},
        ],
    }
    (tmp_path / "records.json").write_text(json.dumps([good, {"title": "no slug"}, mixed]))
    (tmp_path / "broken.json").write_text('{"slug": "x", "sources": [}')
    (tmp_path / "lines.jsonl").write_text(json.dumps({"slug": "line1"}) + "\n{oops\n")
    result = run_cli(config_file, "ingest", str(tmp_path))
    assert result.exit_code == 2
    errors = result.stderr if hasattr(result, "stderr") else result.output
    assert f"{tmp_path / 'broken.json'}:1:" in errors and "invalid JSON" in errors
    assert f"{tmp_path / 'lines.jsonl'}:2: invalid JSON" in errors
    assert f"{tmp_path / 'records.json'}[1]: record has no slug" in errors
    assert f"{tmp_path / 'records.json'}[2] (record 'mixed'): sources[0].url: unsupported scheme 'javascript'" in errors
    assert "sources[1].url: unsupported scheme 'mailto'" in errors
    assert "sources[2].url: relative URL '/relative/path'" in errors
    assert "sources[3].url: relative URL 'garbage'" in errors
    assert {row["slug"] for row in db["incidents"].rows} == {"good", "mixed", "line1"}
    assert sorted(status_json(config_file)) == ["https://news.example/kept", "https://news.example/ok"]


def test_bad_input_never_loses_what_was_stored(config_file, db, tmp_path):
    run_cli(config_file, "ingest", str(SEED_RECORD))
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    assert run_cli(config_file, "ingest", str(bad)).exit_code == 2
    assert db["sources"].count == 6 and len(citations(db)) == 9


def test_missing_path_is_a_usage_error(config_file, tmp_path):
    result = run_cli(config_file, "ingest", str(tmp_path / "missing.json"))
    assert result.exit_code == 2
    assert "missing.json" in result.output
