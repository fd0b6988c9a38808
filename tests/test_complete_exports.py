"""A complete export retires the incidents it no longer has (their citations leave the
checks, status and reports; history stays) and revives those it brings back; an empty,
cut-off or broken export retires nothing and says why."""

import json

from helpers import query, run_cli, status_json


def export(tmp_path, slugs, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps([{"slug": slug, "title": slug.title(), "sources": [{"url": f"https://news.example/{slug}"}]}
                                for slug in slugs]))
    return path


SLUGS = [f"incident-{n}" for n in range(10)]


def test_a_complete_export_retires_what_it_lacks_and_a_later_one_revives_it(config_file, tmp_path):
    assert run_cli(config_file, "ingest", str(export(tmp_path, SLUGS))).exit_code == 0
    result = run_cli(config_file, "ingest", "--complete", str(export(tmp_path, SLUGS[1:])))
    assert result.exit_code == 0 and "Retired 1 incident the export no longer has." in result.output
    assert "https://news.example/incident-0" not in status_json(config_file)  # out of status (and checks)
    assert run_cli(config_file, "check", "--all").output.startswith("Checked 9 sources")
    out = tmp_path / "report"
    run_cli(config_file, "report", "--out", str(out), "--format", "json")
    assert "incident-0" not in (out / "citations.json").read_text()
    assert query(config_file, "SELECT count(*) AS n FROM sources")[0]["n"] == 10  # the source and its history stay

    revived = run_cli(config_file, "ingest", "--complete", str(export(tmp_path, SLUGS)))
    assert revived.exit_code == 0 and "Revived 1 retired incident." in revived.output
    assert "https://news.example/incident-0" in status_json(config_file)
    assert query(config_file, "SELECT count(*) AS n FROM retired_citations")[0]["n"] == 0


def test_without_complete_nothing_is_retired(config_file, tmp_path):
    run_cli(config_file, "ingest", str(export(tmp_path, SLUGS)))
    assert run_cli(config_file, "ingest", str(export(tmp_path, SLUGS[:1]))).exit_code == 0
    assert len(status_json(config_file)) == 10


def test_an_empty_or_truncated_export_retires_nothing_and_says_why(config_file, tmp_path):
    run_cli(config_file, "ingest", str(export(tmp_path, SLUGS)))
    empty = run_cli(config_file, "ingest", "--complete", str(export(tmp_path, [])))
    assert empty.exit_code == 2 and "lacks 10 of 10 incidents, more than ingest.retire_limit (20%)" in empty.output
    cut = tmp_path / "cut.json"
    cut.write_text(export(tmp_path, SLUGS).read_text()[:-200])
    truncated = run_cli(config_file, "ingest", "--complete", str(cut))
    assert truncated.exit_code == 2 and "some records could not be read" in truncated.output
    assert len(status_json(config_file)) == 10
