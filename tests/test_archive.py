"""The local WARC archive: every new version as received, readable, exportable, valid."""

import gzip
import subprocess
import sys
from pathlib import Path

from helpers import ARTICLE, make_pdf, run_cli, status_json, write_record
from warcio.archiveiterator import ArchiveIterator
from webserver import Page


def warc_files(config_file: Path) -> list[Path]:
    return sorted((config_file.parent / "data" / "warc").glob("*.warc.gz"))


def records(path: Path) -> list:
    with path.open("rb") as handle:
        return [
            (record.rec_type, record.rec_headers.get_header("WARC-Target-URI"), record.http_headers, record.content_stream().read())
            for record in ArchiveIterator(handle)
        ]


def warcio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "warcio"), *args], capture_output=True, text=True)


def check(config_file: Path, tmp_path: Path, urls: list[str]) -> None:
    record = write_record(tmp_path / "record.json", "incident", urls)
    run_cli(config_file, "ingest", str(record))
    assert run_cli(config_file, "check", "--all").exit_code == 0


def test_every_new_version_is_archived_as_received_and_passes_warcio(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE, gzip=True)
    web.pages["/chunked"] = Page(ARTICLE, chunked=True)
    url = web.url("/article")
    check(config_file, tmp_path, [url, web.url("/chunked")])
    assert run_cli(config_file, "check", "--all").exit_code == 0  # the same page, gzipped anew: nothing new archived
    web.pages["/article"] = Page(ARTICLE.replace("$5 billion", "$4 billion"), gzip=True)
    assert run_cli(config_file, "check", "--all").exit_code == 0

    (path,) = warc_files(config_file)
    assert warcio("check", str(path)).returncode == 0, warcio("check", str(path)).stdout
    index = warcio("index", str(path))
    assert index.returncode == 0 and index.stdout.count('"warc-type": "response"') == 3
    found = records(path)
    assert found[0][0] == "warcinfo"
    responses = [r for r in found if r[0] == "response"]
    assert [r[1] for r in found if r[0] == "request"] == [r[1] for r in responses]
    article = [r for r in responses if r[1] == url]
    assert len(article) == 2  # the unchanged check wrote nothing
    assert article[0][2].get_header("Content-Encoding") == "gzip"  # stored as received
    assert "$5 billion" in article[0][3].decode() and "$4 billion" in article[1][3].decode()
    chunked = next(r for r in responses if r[1] == web.url("/chunked"))
    assert chunked[2].get_header("Transfer-Encoding") is None and chunked[3].decode() == ARTICLE
    with path.open("rb") as handle:  # each record is its own gzip member
        assert gzip.decompress(handle.read()).count(b"WARC/1.1\r\n") == len(found)


def test_snapshot_prints_any_version_as_text_or_raw(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    url = web.url("/article")
    check(config_file, tmp_path, [url])
    edited = ARTICLE.replace("officials said on Friday", "officials confirmed on Friday")
    web.pages["/article"] = Page(edited)
    assert run_cli(config_file, "check", "--all").exit_code == 0

    latest = run_cli(config_file, "snapshot", url).output
    assert latest.startswith("Title: Demining programme cut as landmine policy reversed")
    assert "officials confirmed on Friday" in latest
    assert run_cli(config_file, "snapshot", url, "--raw").output == edited
    assert run_cli(config_file, "snapshot", url, "--at", "2000-01-01").exit_code == 2
    assert run_cli(config_file, "snapshot", url, "--at", "yesterday").exit_code == 2


def test_snapshot_at_a_time_between_versions(config_file, tmp_path, web):
    """Two versions checked in different seconds: --at picks the one current then."""
    import time

    web.pages["/article"] = Page(ARTICLE)
    url = web.url("/article")
    check(config_file, tmp_path, [url])
    first = status_json(config_file)[url]["last_checked"]
    time.sleep(1.1)
    web.pages["/article"] = Page(ARTICLE.replace("$5 billion", "$4 billion"))
    run_cli(config_file, "check", "--all")
    assert "$5 billion" in run_cli(config_file, "snapshot", url, "--at", first).output
    assert "$5 billion" in run_cli(config_file, "snapshot", url, "--raw", "--at", first).output
    assert "$4 billion" in run_cli(config_file, "snapshot", url).output


def test_files_roll_over_and_export_makes_one_valid_file(tmp_path, web):
    config = tmp_path / "small.toml"
    config.write_text(
        '[storage]\ndir = "data"\nwarc_file_bytes = 3000\n[crawl]\ndelay = 0\nallow_private_addresses = true\n'
    )
    for n in range(4):
        web.pages[f"/a{n}"] = Page(ARTICLE.replace("Friday", f"day {n}"))
    check(config, tmp_path, [web.url(f"/a{n}") for n in range(3)])
    other = write_record(tmp_path / "other.json", "other-incident", [web.url("/a3")])
    run_cli(config, "ingest", str(other))
    run_cli(config, "check", web.url("/a3"))
    files = warc_files(config)
    assert len(files) >= 2
    assert all(warcio("check", str(path)).returncode == 0 for path in files)

    out = tmp_path / "export.warc.gz"
    result = run_cli(config, "export-warc", str(out))
    assert result.exit_code == 0 and "Wrote 4 archived responses" in result.output
    assert warcio("check", str(out)).returncode == 0
    assert {r[1] for r in records(out) if r[0] == "response"} == {web.url(f"/a{n}") for n in range(4)}
    only = tmp_path / "incident.warc.gz"
    assert "Wrote 1 archived response" in run_cli(config, "export-warc", str(only), "--incident", "other-incident").output
    assert [r[1] for r in records(only) if r[0] == "response"] == [web.url("/a3")]


def test_a_pdf_source_is_extracted_archived_and_its_changes_detected(config_file, tmp_path, web):
    ruling = make_pdf("Judgment in case 123/25", ["The court finds the appeal admissible.", "Damages of 5,000 euros are awarded."])
    web.pages["/ruling.pdf"] = Page(ruling, content_type="application/pdf")
    url = web.url("/ruling.pdf")
    check(config_file, tmp_path, [url])
    assert "Damages of 5,000 euros are awarded." in run_cli(config_file, "snapshot", url).output
    amended = make_pdf("Judgment in case 123/25", ["The court finds the appeal admissible.", "Damages of 50,000 euros are awarded."])
    web.pages["/ruling.pdf"] = Page(amended, content_type="application/pdf")
    run_cli(config_file, "check", "--all")
    row = status_json(config_file)[url]
    assert (row["state"], row["changes"]) == ("ok", 1)
    diff = run_cli(config_file, "diff", url).output
    assert "~ Damages of [-5,000-]{+50,000+} euros are awarded." in diff
    raw = run_cli(config_file, "snapshot", url, "--raw")
    assert raw.stdout_bytes == amended


def test_a_record_another_process_is_writing_is_waited_for_not_cut(tmp_path):
    """Shard processes open the archive while others append to it: a record still being
    written looks torn, and the repair must wait for the writer's lock, not cut it."""
    import fcntl
    import threading
    from datetime import datetime, timezone

    from citewatch.storage.archive import RawExchange, WarcArchive

    def exchange(n: int) -> RawExchange:
        return RawExchange(f"http://example.org/{n}", "GET", [], 200, [("Content-Type", "text/html")], b"<p>%d</p>" % n)

    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    spare = WarcArchive(tmp_path / "spare", 10**9)
    whole = spare.append(exchange(2), at)
    (spare_file,) = spare.files()
    record = spare_file.read_bytes()[whole.offset:]
    archive = WarcArchive(tmp_path / "warc", 10**9)
    first = archive.append(exchange(1), at)
    (path,) = archive.files()
    repaired: list[int] = []
    with path.open("ab") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)  # another process, halfway through its append
        writer.write(record[: len(record) // 2])
        writer.flush()
        repair = threading.Thread(target=lambda: repaired.append(archive.repair_tail({path.name: first.offset + first.length})))
        repair.start()
        repair.join(0.5)
        assert repair.is_alive()  # waiting for the writer
        writer.write(record[len(record) // 2 :])
        writer.flush()
        fcntl.flock(writer, fcntl.LOCK_UN)
    repair.join()
    assert repaired == [0]
    assert [uri for kind, uri, *_ in records(path) if kind == "response"] == ["http://example.org/1", "http://example.org/2"]


def test_header_bytes_outside_ascii_are_archived_percent_encoded(tmp_path):
    """warcio's own fallback left a charset parameter as it was, then failed to write it."""
    from datetime import datetime, timezone

    from citewatch.model import RawExchange
    from citewatch.storage.archive import WarcArchive

    archive = WarcArchive(tmp_path, 10_000_000)
    headers = [("Content-Type", 'text/html; charset="ab\x8dcd\xb3"'), ("ETag", "\xff\"x\"")]
    location = archive.append(RawExchange("http://example.org/a", "GET", [], 200, headers, b"<p>a</p>"),
                              datetime(2026, 1, 1, tzinfo=timezone.utc))
    response = archive.read(location)
    assert dict(response.headers) == {"Content-Type": 'text/html; charset="ab%8Dcd%B3"', "ETag": '%FF"x"'}
    assert response.body == b"<p>a</p>"
    assert warcio("check", str(tmp_path / location.file)).returncode == 0
