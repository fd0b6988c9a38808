"""Evidence-grade archives: SHA-256 digests on every record, RFC 3161 tokens from a
time-stamping authority on loopback, and `citewatch verify` catching any changed byte."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from fake_tsa import FakeTSA
from helpers import ARTICLE, Checker, query, run_cli, write_record
from lxml import html as lxml_html
from test_archive import warc_files, warcio
from warcio.archiveiterator import ArchiveIterator
from webserver import Page

from citewatch.storage.timestamps import TokenInvalid, check_token


def with_evidence(config_file: Path, *tsas: FakeTSA, urls: list[str] | None = None) -> Path:
    roots = []
    for index, server in enumerate(tsas):
        root = config_file.parent / f"tsa-root-{index}.pem"
        root.write_bytes(server.root_pem())
        roots.append(root.name)
    listed = ", ".join(f'"{url}"' for url in (urls if urls is not None else [s.url for s in tsas]))
    with config_file.open("a") as handle:
        handle.write(f"[evidence]\ntsa_urls = [{listed}]\ntsa_roots = [{', '.join(repr(r) for r in roots)}]\ntimeout = 2\n")
    return config_file


def archived(config_file: Path, tmp_path: Path, web, *paths: str) -> list[str]:
    for path in paths:
        web.pages[path] = Page(ARTICLE.replace("Kyiv", f"Kyiv {path}"))
    urls = [web.url(path) for path in paths]
    assert run_cli(config_file, "ingest", str(write_record(tmp_path / "record.json", "incident", urls))).exit_code == 0
    assert run_cli(config_file, "check", "--all").exit_code == 0
    return urls


def evidence_rows(config_file: Path) -> list[dict]:
    return query(config_file, "SELECT * FROM evidence ORDER BY check_id")


def test_every_record_carries_sha256_digests_and_warcio_checks_them(config_file, tmp_path, web):
    archived(config_file, tmp_path, web, "/a")
    (path,) = warc_files(config_file)
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type in ("request", "response"):
                assert record.rec_headers.get_header("WARC-Block-Digest").startswith("sha256:")
            if record.rec_type == "response":
                assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha256:")
    assert warcio("check", "-v", str(path)).returncode == 0
    (row,) = evidence_rows(config_file)
    assert len(row["record_sha256"]) == 64 and row["token"] is None


def test_versions_are_stamped_and_verify_offline(config_file, tmp_path, web, tsa):
    with_evidence(config_file, tsa)
    archived(config_file, tmp_path, web, "/a", "/b")
    result = run_cli(config_file, "stamp")
    assert result.exit_code == 0 and "Stamped 2 versions; 0 pending." in result.output, result.output
    rows = evidence_rows(config_file)
    assert all(row["token"] and row["tsa_url"] == tsa.url and row["stamped_at"] for row in rows)
    tsa.close()  # verifying needs no authority: the token and the root certificate are enough
    result = run_cli(config_file, "verify")
    assert result.exit_code == 0, result.output
    assert "Verified 2 archived versions: 2 intact, 0 failed; timestamps: 2 verified, 0 pending" in result.output


def test_an_authority_that_is_down_delays_the_token_and_never_the_check(config_file, tmp_path, web, tsa):
    with_evidence(config_file, tsa)
    tsa.down = True
    checker = Checker(config_file, tmp_path)
    web.pages["/a"] = Page(ARTICLE)
    checker.cite(web.url("/a"))
    assert checker.check().checked == 1
    with checker.citewatch() as cw:
        run = cw.stamp()
    assert (run.stamped, run.pending) == (0, 1) and "no time-stamping authority answered" in run.errors[0]
    assert evidence_rows(config_file)[0]["attempts"] == 1
    tsa.down = False
    with checker.citewatch() as cw:
        assert cw.stamp().stamped == 0  # not yet due again: the authority is left alone for a while
    checker.now += timedelta(minutes=6)
    with checker.citewatch() as cw:
        run = cw.stamp()
    assert (run.stamped, run.pending) == (1, 0)
    result = run_cli(config_file, "verify")
    assert result.exit_code == 0 and "1 verified" in result.output


def test_authorities_are_tried_in_order_and_an_untrusted_token_is_refused(config_file, tmp_path, web, tsa):
    stranger = FakeTSA("an authority nobody trusts")
    try:
        with_evidence(config_file, tsa, urls=[stranger.url, tsa.url])  # only tsa's root is trusted
        archived(config_file, tmp_path, web, "/a")
        assert run_cli(config_file, "stamp").exit_code == 0
        (row,) = evidence_rows(config_file)
        assert row["tsa_url"] == tsa.url and stranger.requests == 1  # stranger's token does not chain to a trusted root
    finally:
        stranger.close()


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_one_changed_byte_in_the_archive_fails_verification(config_file, tmp_path, web, tsa):
    with_evidence(config_file, tsa)
    urls = archived(config_file, tmp_path, web, "/a", "/b")
    assert run_cli(config_file, "stamp").exit_code == 0
    (path,) = warc_files(config_file)
    (damaged,) = query(config_file, "SELECT warc_offset, warc_length, cited_url AS url FROM checks "
                                   "JOIN sources ON sources.id = checks.source_id WHERE checks.id = 2")
    offset, length, damaged = damaged["warc_offset"], damaged["warc_length"], damaged["url"]
    intact = next(url for url in urls if url != damaged)
    flip_byte(path, offset + length // 2)
    result = run_cli(config_file, "verify")
    assert result.exit_code == 1
    assert f"FAILED {damaged}" in result.output and intact not in result.output
    assert "SHA-256" in result.output and "timestamp token" in result.output
    assert "1 intact, 1 failed" in result.output
    assert run_cli(config_file, "verify", "--url", intact).exit_code == 0


def test_a_record_rewritten_whole_fails_on_its_own_digest_and_token(config_file, tmp_path, web, tsa):
    """A forger rewrites the response record as valid gzip, one digit of the article
    changed, and moves the database's pointers to match: the record's own digests, the
    recorded SHA-256 and the token each catch it."""
    with_evidence(config_file, tsa)
    (url,) = archived(config_file, tmp_path, web, "/a")
    assert run_cli(config_file, "stamp").exit_code == 0
    (path,) = warc_files(config_file)
    data = path.read_bytes()
    connection = sqlite3.connect(config_file.parent / "data" / "citewatch.db")
    offset, length = connection.execute("SELECT warc_offset, warc_length FROM checks").fetchone()
    pair = gzip.decompress(data[offset:offset + length])  # the response record, then the request record
    split = pair.index(b"WARC/1.1\r\n", 1)
    response, request = pair[:split], pair[split:]
    assert b"WARC-Type: response" in response and b"$5 billion" in response
    forged = gzip.compress(response.replace(b"$5 billion", b"$6 billion")) + gzip.compress(request)
    path.write_bytes(data[:offset] + forged)
    with connection:
        connection.execute("UPDATE checks SET warc_length = ?", [len(forged)])
    connection.close()
    result = run_cli(config_file, "verify", "--url", url)
    assert result.exit_code == 1, result.output
    assert "its response record's payload digest does not match its content" in result.output
    assert "its response record's block digest does not match its content" in result.output
    assert "SHA-256" in result.output and "timestamp token" in result.output


def replay(wacz: Path, url: str) -> list[bytes]:
    """Every archived body of `url` in the WACZ, found through its own CDXJ index."""
    bodies = []
    with zipfile.ZipFile(wacz) as package:
        index = gzip.decompress(package.read("indexes/index.cdx.gz")).decode()
        for line in index.splitlines():
            _key, _timestamp, fields = line.split(" ", 2)
            entry = json.loads(fields)
            if entry["url"] != url or entry.get("mime") == "warc/request":
                continue
            with package.open(f"archive/{entry['filename']}") as warc:
                warc.seek(int(entry["offset"]))
                member = warc.read(int(entry["length"]))
            for record in ArchiveIterator(io.BytesIO(member)):
                if record.rec_type == "response":
                    bodies.append(record.content_stream().read())
    return bodies


def test_an_incident_exports_as_a_valid_wacz_that_replays_and_verifies_offline(config_file, tmp_path, web, tsa):
    with_evidence(config_file, tsa)
    checker = Checker(config_file, tmp_path)
    web.pages["/a"] = Page(ARTICLE)
    url = web.url("/a")
    checker.cite(url)
    checker.check()
    web.pages["/a"] = Page(ARTICLE.replace("$5 billion", "$4 billion"))
    checker.check(after=timedelta(days=1))
    assert run_cli(config_file, "stamp").exit_code == 0
    out = tmp_path / "incident.wacz"
    result = run_cli(config_file, "export-wacz", str(out), "--incident", "incident")
    assert result.exit_code == 0 and "Wrote 2 archived versions (2 with a timestamp token)" in result.output, result.output

    validate = subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(out)],
                              capture_output=True, text=True)
    assert validate.returncode == 0 and "Validation succeeded" in validate.stdout, validate.stdout + validate.stderr

    bodies = replay(out, url)
    assert len(bodies) == 2 and b"$5 billion" in bodies[0] and b"$4 billion" in bodies[1]
    with zipfile.ZipFile(out) as package:
        pages = [json.loads(line) for line in package.read("pages/pages.jsonl").decode().splitlines()]
        assert [page["url"] for page in pages[1:]] == [url, url] and all(page["ts"] and page["title"] for page in pages[1:])
        assert "$4 billion" in pages[2]["text"]
        datapackage = json.loads(package.read("datapackage.json"))
        listed = {resource["path"]: resource["hash"] for resource in datapackage["resources"]}
        assert listed["evidence/timestamps.json"].startswith("sha256:")
        stamps = json.loads(package.read("evidence/timestamps.json"))
        roots = x509.load_pem_x509_certificates(package.read("evidence/tsa-roots.pem"))
        for stamp in stamps:  # each token holds for its bytes, from the package alone
            with package.open(stamp["warc"]) as warc:
                warc.seek(stamp["offset"])
                data = warc.read(stamp["length"])
            assert hashlib.sha256(data).hexdigest() == stamp["record_sha256"]
            assert check_token(base64.b64decode(stamp["token"]), data, roots)
            with pytest.raises(TokenInvalid):
                check_token(base64.b64decode(stamp["token"]), data[:-1] + bytes([data[-1] ^ 1]), roots)


def test_an_incident_with_nothing_archived_has_no_wacz(config_file, tmp_path):
    record = write_record(tmp_path / "record.json", "incident", ["http://127.0.0.1:9/never-checked"])
    assert run_cli(config_file, "ingest", str(record)).exit_code == 0
    result = run_cli(config_file, "export-wacz", str(tmp_path / "x.wacz"), "--incident", "incident")
    assert result.exit_code == 1 and "nothing archived yet" in result.output and not (tmp_path / "x.wacz").exists()
    assert run_cli(config_file, "export-wacz", str(tmp_path / "x.wacz"), "--incident", "nope").exit_code == 2


def cited_versions(config_file: Path) -> dict[str, tuple]:
    rows = query(config_file, "SELECT incident_slug, cited_snapshot_id, taken_at FROM citations "
                              "LEFT JOIN snapshots ON snapshots.id = cited_snapshot_id")
    return {row["incident_slug"]: (row["cited_snapshot_id"], row["taken_at"]) for row in rows}


def test_each_citation_pins_the_first_good_version_after_it_appeared(config_file, tmp_path, web):
    checker = Checker(config_file, tmp_path)
    web.pages["/a"] = Page("<h1>Not found</h1>", status=404)
    url = web.url("/a")
    first = write_record(tmp_path / "first.json", "first", [url])
    checker.ingest(first)
    checker.check()
    assert cited_versions(config_file)["first"] == (None, None)  # no good version yet
    web.pages["/a"] = Page(ARTICLE)
    checker.check(after=timedelta(days=1))
    pinned = cited_versions(config_file)["first"]
    assert pinned[0] == 1
    web.pages["/a"] = Page(ARTICLE.replace("$5 billion", "$4 billion"))
    checker.check(after=timedelta(days=1))
    assert cited_versions(config_file)["first"] == pinned  # an edit never moves a pin
    checker.now += timedelta(days=1)
    checker.ingest(write_record(tmp_path / "later.json", "later", [url]))  # cited now: the version current from now on
    checker.check(after=timedelta(days=1))
    assert cited_versions(config_file)["later"][0] == 2
    checker.ingest(first)  # ingested again: the pin stays
    assert cited_versions(config_file)["first"] == pinned


def test_the_report_shows_the_drift_from_the_cited_version(config_file, tmp_path, web):
    checker = Checker(config_file, tmp_path)
    web.pages["/a"] = Page(ARTICLE)
    checker.cite(web.url("/a"))
    checker.check()
    web.pages["/a"] = Page(ARTICLE.replace("$5 billion", "$4 billion"))
    checker.check(after=timedelta(days=1))
    web.pages["/a"] = Page(ARTICLE.replace("$5 billion", "$3 billion"))
    checker.check(after=timedelta(days=1))
    out = tmp_path / "report"
    assert run_cli(config_file, "report", "--out", str(out)).exit_code == 0
    page = (out / "incidents" / "incident.html").read_text()
    assert "Since the cited version of 2026-01-05: 1 paragraph changed" in page and "% alike" in page
    drift = lxml_html.fromstring(page).xpath("//details[@class='drift']")[0]
    edit = drift.xpath(".//div[@class='edit']")[0]  # the diff runs from the cited version to now, not the last edit
    assert (edit.xpath("string(del)"), edit.xpath("string(ins)")) == ("5", "3") and "$53 billion" in edit.text_content()
    assert run_cli(config_file, "report", "--out", str(out), "--format", "json").exit_code == 0
    (citation,) = json.loads((out / "citations.json").read_text())
    assert citation["cited_version_at"].startswith("2026-01-05") and 0 < citation["drift_similarity"] < 1


def test_a_run_stamps_new_versions(config_file, tmp_path, web, tsa):
    with_evidence(config_file, tsa)
    web.pages["/a"] = Page(ARTICLE)
    assert run_cli(config_file, "ingest", str(write_record(tmp_path / "r.json", "incident", [web.url("/a")]))).exit_code == 0
    result = run_cli(config_file, "run")
    assert result.exit_code == 0 and "Timestamps: 1 stamped, 0 pending." in result.output, result.output


def test_versions_archived_before_digests_are_hashed_once(config_file, tmp_path, web):
    archived(config_file, tmp_path, web, "/a")
    (before,) = evidence_rows(config_file)
    connection = sqlite3.connect(config_file.parent / "data" / "citewatch.db")
    with connection:  # as a database from before digests were kept
        connection.execute("DELETE FROM evidence")
        connection.execute("DELETE FROM job_runs")
    connection.close()
    result = run_cli(config_file, "stamp")
    assert result.exit_code == 0 and "Timestamps are off (evidence.tsa_urls is empty); 1 version hashed." in result.output
    (after,) = evidence_rows(config_file)
    assert after["record_sha256"] == before["record_sha256"]
    assert run_cli(config_file, "stamp").output == "Timestamps are off (evidence.tsa_urls is empty).\n"
