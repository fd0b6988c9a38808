"""Any value of any header a server sends ends as a recorded check: crawled twice over a raw
loopback server (the second time with the validators the first one stored), values drawn
by hypothesis and from the forms that break parsers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers import ARTICLE, run_cli, write_record
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from webserver import RawWeb

BODY = ARTICLE.encode()

# Each header, and the response that carries it (the value replaces {value})
RESPONSES = {
    "retry-after": b"HTTP/1.1 503 Busy\r\nRetry-After: {value}\r\nContent-Length: 4\r\n\r\nbusy",
    "last-modified": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nLast-Modified: {value}\r\nContent-Length: {length}\r\n\r\n{body}",
    "etag": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nETag: {value}\r\nContent-Length: {length}\r\n\r\n{body}",
    "content-type": b"HTTP/1.1 200 OK\r\nContent-Type: {value}\r\nContent-Length: {length}\r\n\r\n{body}",
    "charset": b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset={value}\r\nContent-Length: {length}\r\n\r\n{body}",
    "location": b"HTTP/1.1 301 Moved\r\nLocation: {value}\r\nContent-Length: 0\r\n\r\n",  # none leaves loopback
    "content-length": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {value}\r\n\r\n{body}",
}

NASTY = [b"", b" ", b"-1", b"0", b"99999999999999999999999", b"1e3", b"\x00", b"\xff\xfe", b"\"unterminated",
         b"W/\"x\"", b"Mon, 99 Foo 2026 25:61:61 GMT", b"Mon, 01 Jun 2026 12:05:00 -0000", b"Mon, 01 Jun 2026 12:05:00",
         b"utf-99", b"text/html; charset=", b"//", b"http://[::1", b"http://", b"javascript:alert(1)", b"../" * 20,
         b"/%zz%", b"http://127.0.0.1:1/a b", b"\xc3\x28", b"x" * 4000, b"text/html;;;charset=\"utf-8", b"12, 34"]
VALUES = st.one_of(st.sampled_from(NASTY), st.binary(max_size=60).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")))


def response(header: str, value: bytes) -> bytes:
    template = RESPONSES[header]
    if header == "location" and value not in NASTY:  # drawn bytes could name a public host: kept on this one
        value = b"/moved/" + value
    return (template.replace(b"{value}", value).replace(b"{length}", str(len(BODY)).encode())
            .replace(b"{body}", BODY))


# No shrinking: each example is a crawl, and the failing value is named in the assertion.
@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(VALUES, min_size=6, max_size=6))
def test_any_header_value_ends_as_a_recorded_check(tmp_path_factory, values):
    directory = tmp_path_factory.mktemp("headers")
    config = directory / "citewatch.toml"
    config.write_text('[storage]\ndir = "data"\n[crawl]\ntimeout = 3\ndelay = 0\nallow_private_addresses = true\n'
                      "[wayback]\nenabled = false\n")
    web = RawWeb()
    try:
        for header in RESPONSES:
            for number, value in enumerate([*values, *NASTY]):
                web.answers[f"/{header}/{number}"] = response(header, value)
        urls = [web.url(path) for path in web.answers]
        assert run_cli(config, "ingest", str(write_record(directory / "record.json", "incident", urls))).exit_code == 0
        for crawl in (1, 2):  # the second sends back the ETag and Last-Modified the first stored
            result = run_cli(config, "check", "--all")
            assert result.exit_code == 0, result.output
            assert unchecked(directory / "data" / "citewatch.db", crawl) == []
    finally:
        web.close()


def unchecked(database: Path, crawls: int) -> list[tuple[str, int]]:
    """The sources without a check from each crawl, and how many checks they have."""
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM check_failures").fetchone()[0] == 0
        return connection.execute(
            "SELECT sources.cited_url, COUNT(checks.id) AS n FROM sources LEFT JOIN checks ON checks.source_id = sources.id "
            "GROUP BY sources.id HAVING n != ?", [crawls]).fetchall()
