"""One bad input never stops the rest: every unreadable file is one error line naming it,
the other files are ingested, and the exit status is 2. Credentials in cited URLs never
reach storage or any output."""

import json
import sqlite3

import pytest
from helpers import query, run_cli, status_json

from citewatch.storage import records

GOOD = {"slug": "good", "title": "Good", "sources": [{"url": "https://news.example/good"}]}


def record(slug: str, url: str) -> dict:
    return {"slug": slug, "sources": [{"url": url}]}


@pytest.fixture
def folder(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "a-good.json").write_text(json.dumps(GOOD))
    return exports


def _ingest(config_file, *paths):
    result = run_cli(config_file, "ingest", *map(str, paths))
    errors = [line for line in result.output.splitlines() if line.startswith("error:") and "in the input, listed above" not in line]
    return result, errors


@pytest.mark.parametrize(("name", "content", "says"), [
    ("deep.json", b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    ("deep.jsonl", b"[" * 200_000 + b"]" * 200_000 + b"\n", "nested too deeply"),
    ("binary.json", bytes(range(256)) * 64, "not a text file"),
    ("invalid.json", b'{"slug": "x", "sources": [}', "invalid JSON"),
    ("not-utf8.json", b'{"slug": "caf\xe9"}', "cannot read file"),
])
def test_a_bad_file_is_one_error_naming_it_and_the_rest_is_ingested(config_file, folder, name, content, says):
    (folder / name).write_bytes(content)
    result, errors = _ingest(config_file, folder)
    assert result.exit_code == 2
    assert len(errors) == 1 and name in errors[0] and says in errors[0], errors
    assert "Traceback" not in result.output
    assert list(status_json(config_file)) == ["https://news.example/good"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_files_with_a_byte_order_mark_or_in_utf_16_are_read(config_file, folder, encoding):
    (folder / "other.json").write_bytes(json.dumps(record("other", "https://news.example/other")).encode(encoding))
    result, errors = _ingest(config_file, folder)
    assert (result.exit_code, errors) == (0, [])
    assert sorted(status_json(config_file)) == ["https://news.example/good", "https://news.example/other"]


def test_a_folder_linked_into_itself_is_read_once(config_file, folder):
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    result, errors = _ingest(config_file, folder)
    assert result.exit_code == 2 and len(errors) == 1 and "loop" in errors[0] and "already read" in errors[0]
    assert "from 1 file" in result.output


def test_a_large_file_is_streamed_record_by_record(config_file, folder, monkeypatch):
    """Past WHOLE_FILE_BYTES a .json file is parsed as a stream: its array's records one at
    a time, and a cut-off end loses only what it cut."""
    monkeypatch.setattr(records, "WHOLE_FILE_BYTES", 10)
    items = [record(f"r{n}", f"https://news.example/{n}") for n in range(50)]
    (folder / "big.json").write_text(json.dumps(items)[:-300])  # truncated: the last records are cut
    result, errors = _ingest(config_file, folder)
    assert result.exit_code == 2 and len(errors) == 1 and "big.json[" in errors[0] and "invalid JSON" in errors[0]
    stored = query(config_file, "SELECT count(*) AS n FROM incidents")[0]["n"]
    assert 40 < stored < 51  # the good file and the records before the cut


def test_a_streamed_file_nested_too_deep_is_stopped_in_bounded_memory(config_file, folder, monkeypatch):
    monkeypatch.setattr(records, "WHOLE_FILE_BYTES", 10)
    (folder / "deep.json").write_bytes(b'[{"slug": "first"}, ' + b"[" * 500_000 + b"]" * 500_000 + b"]")
    result, errors = _ingest(config_file, folder)
    assert result.exit_code == 2 and len(errors) == 1 and "nested deeper than" in errors[0]
    assert {row["slug"] for row in query(config_file, "SELECT slug FROM incidents")} == {"good", "first"}


def test_a_json_lines_line_too_long_is_skipped(config_file, folder, monkeypatch):
    monkeypatch.setattr(records, "MAX_LINE_BYTES", 200)
    lines = [json.dumps(record("short", "https://news.example/s")), json.dumps({"slug": "long", "title": "x" * 500}),
             json.dumps(record("after", "https://news.example/a"))]
    (folder / "lines.jsonl").write_text("\n".join(lines) + "\n")
    result, errors = _ingest(config_file, folder)
    assert result.exit_code == 2 and errors == [f"error: {folder / 'lines.jsonl'}:2: line longer than 200 characters; skipped"]
    assert {row["slug"] for row in query(config_file, "SELECT slug FROM incidents")} == {"good", "short", "after"}


SECRET = "s3cr3t-pa55"


def test_credentials_in_a_cited_url_are_removed_before_storage_and_never_shown(config_file, folder, tmp_path):
    (folder / "creds.json").write_text(json.dumps({"slug": "creds", "sources": [
        {"url": f"https://editor:{SECRET}@news.example/private"}, {"url": f"ftp://editor:{SECRET}@files.example/x"}]}))
    result, errors = _ingest(config_file, folder)
    assert result.exit_code == 2 and SECRET not in result.output
    assert any("a user name and password in the URL were removed; it is checked as https://news.example/private" in e
               for e in errors)
    assert any("unsupported scheme 'ftp' in 'ftp://files.example/x'" in e for e in errors)
    assert "https://news.example/private" in status_json(config_file)
    for command in (["status"], ["status", "--json"], ["report", "--out", str(tmp_path / "r"), "--format", "md"]):
        assert SECRET not in run_cli(config_file, *command).output
    database = (config_file.parent / "data" / "citewatch.db").read_bytes()
    assert SECRET.encode() not in database and b"editor" not in database


def test_credentials_already_stored_are_taken_out_by_the_migration(config_file, folder):
    _ingest(config_file, folder)
    connection = sqlite3.connect(config_file.parent / "data" / "citewatch.db")
    with connection:
        connection.execute("UPDATE sources SET url = ?, cited_url = ?", [f"https://u:{SECRET}@news.example/good"] * 2)
        connection.execute("UPDATE citations SET cited_url = ?", [f"https://u:{SECRET}@news.example/good"])
        connection.execute("DELETE FROM _sqlite_migrations WHERE name = 'm028_no_credentials_in_urls'")
    connection.close()
    assert list(status_json(config_file)) == ["https://news.example/good"]  # opening the database migrates it
    assert not [row for row in query(config_file, "SELECT url, cited_url FROM sources") if SECRET in str(row)]


def test_records_are_read_lazily(tmp_path):
    """The records of a folder are read as they are iterated: the second file is not yet
    opened when the first file's first record comes."""
    for name, start in (("a.jsonl", 0), ("b.jsonl", 3)):
        (tmp_path / name).write_text("\n".join(json.dumps(record(f"r{n}", f"https://news.example/{n}"))
                                               for n in range(start, start + 3)))
    read = records.read_records([tmp_path])
    records_read = iter(read)
    assert next(records_read).slug == "r0" and read.files == 1
    assert [r.slug for r in records_read] == [f"r{n}" for n in range(1, 6)] and read.files == 2
