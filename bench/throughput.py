"""Throughput: checking N sources spread over M hosts, with the real CLI.

Starts a loopback web of N article pages (real pages of the extraction corpus, each with a
marker of its own) on M hosts (127.0.0.2, 127.0.0.3, ...), ingests them, and times:

1. a first full check (every page fetched and extracted);
2. a second check with nothing changed, answered 304 thanks to ETag/Last-Modified;
3. a third with the validators off: the same bytes again, so extraction is skipped;

printing for each sources/s, CPU seconds per source (citewatch and the web server apart),
peak RSS and database size, then the time of `status --json` and `report`, and
trafilatura's own extraction rate on the same pages in one process: the ceiling of the
first pass on this machine.

    .venv/bin/python bench/throughput.py [--sources N] [--hosts M]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import load_corpus  # noqa: E402

from citewatch.crawler.extract import extract_article  # noqa: E402

CITEWATCH = str(Path(sys.executable).parent / "citewatch")


class ArticleWeb:
    """M servers, one per loopback address, serving N marked copies of the corpus pages
    over HTTP/1.1 with keep-alive, ETag and Last-Modified.

    Written on asyncio streams rather than http.server: the web shares the two cores with
    citewatch here (on a real server it is elsewhere), and http.server's per-request
    machinery (a thread per connection, email-style header parsing) took a tenth of them
    on a revisit pass.
    """

    def __init__(self, pages: list[str], sources: int, hosts: int):
        self.pages = pages
        self.validators = True
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.servers = [self._run(asyncio.start_server(self._serve, f"127.0.0.{host + 2}", 0)) for host in range(hosts)]
        self.urls = [self._url(number) for number in range(sources)]

    def _run(self, coroutine):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def _url(self, number: int) -> str:
        host, port = self.servers[number % len(self.servers)].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/article-{number}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
                status, extra, body = self._answer(head[0].split(" ")[1], headers)
                lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            writer.close()

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[str, list[str], bytes]:
        self.requests += 1
        tail = path.strip("/").split("-")[-1]
        if not tail.isdigit():  # the not-found probe, or anything else
            return "404 Not Found", [], b""
        number = int(tail)
        tag = f'"{hashlib.md5(path.encode()).hexdigest()}"'
        if self.validators and headers.get("if-none-match") == tag.lower():
            return "304 Not Modified", [], b""
        page = self.pages[number % len(self.pages)]
        body = page.replace("</body>", f"<p>Source {number} of the throughput benchmark.</p></body>", 1).encode()
        extra = ["Content-Type: text/html; charset=utf-8"]
        if self.validators:
            extra += [f"ETag: {tag}", "Last-Modified: Mon, 02 Nov 2026 10:00:00 GMT"]
        return "200 OK", extra, body

    def close(self) -> None:
        for server in self.servers:
            server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)


def timed(command: list[str]) -> dict:
    """Run a command; its wall time, CPU time and peak RSS (of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = resource.getrusage(resource.RUSAGE_SELF)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return {
        "seconds": elapsed,
        "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "server_cpu": (server_after.ru_utime + server_after.ru_stime) - (server_before.ru_utime + server_before.ru_stime),
        "peak_rss_mb": after.ru_maxrss / 1024,
        "output": result.stdout.strip(),
    }


def extraction_ceiling(pages: list[str], count: int) -> float:
    """Pages per second that trafilatura extracts in this one process."""
    started = time.perf_counter()
    for number in range(count):
        extract_article(pages[number % len(pages)], f"http://127.0.0.1/{number}")
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=100)
    args = parser.parse_args()
    pages = [page.html for page in load_corpus()]
    web = ArticleWeb(pages, args.sources, args.hosts)
    with tempfile.TemporaryDirectory() as data:
        config = Path(data) / "citewatch.toml"
        config.write_text(
            '[storage]\ndir = "data"\n[crawl]\ndelay = 0\nconcurrency = 64\nper_host_concurrency = 4\ntimeout = 60\n'
            "allow_private_addresses = true\n[wayback]\nenabled = false\n"
        )
        records = Path(data) / "records.jsonl"
        _write_records(records, web.urls)
        cli = [CITEWATCH, "--config", str(config)]
        timed([*cli, "ingest", str(records)])
        database = Path(data) / "data" / "citewatch.db"
        passes = {}
        for name, validators in (("first check", True), ("unchanged, 304", True), ("unchanged, same bytes", False)):
            web.validators = validators
            requests = web.requests
            passes[name] = timed([*cli, "check", "--all"])
            passes[name]["requests"] = web.requests - requests
            passes[name]["db_mb"] = _database_bytes(database) / 1e6
        status = timed([*cli, "status", "--json"])
        report = timed([*cli, "report", "--out", str(Path(data) / "site")])
    web.close()
    ceiling = extraction_ceiling(pages, min(args.sources, 400))
    _print(args, passes, status, report, ceiling)


def _write_records(path: Path, urls: list[str]) -> None:
    import json

    with path.open("w") as handle:
        for number in range(0, len(urls), 10):
            record = {"slug": f"incident-{number // 10}", "sources": [{"url": url} for url in urls[number:number + 10]]}
            handle.write(json.dumps(record) + "\n")


def _database_bytes(database: Path) -> int:
    return sum(path.stat().st_size for path in database.parent.glob("citewatch.db*"))


def _print(args, passes, status, report, ceiling) -> None:  # type: ignore[no-untyped-def]
    n = args.sources
    print(f"throughput: {n} sources on {args.hosts} loopback hosts\n")
    print(f"{'pass':24} {'seconds':>8} {'sources/s':>10} {'CPU ms/source':>14} {'server CPU ms/src':>18} {'peak RSS MB':>12} {'DB MB':>7}")
    for name, run in passes.items():
        print(f"{name:24} {run['seconds']:8.1f} {n / run['seconds']:10.1f} {run['cpu'] / n * 1000:14.1f} "
              f"{run['server_cpu'] / n * 1000:18.1f} {run['peak_rss_mb']:12.0f} {run['db_mb']:7.1f}")
    first = passes["first check"]["seconds"]
    growth = (passes["unchanged, same bytes"]["db_mb"] - passes["first check"]["db_mb"]) * 1e6 / n / 2
    print(f"\nunchanged pass speed-up: {first / passes['unchanged, 304']['seconds']:.1f}x (304), "
          f"{first / passes['unchanged, same bytes']['seconds']:.1f}x (same bytes); "
          f"database growth per unchanged check: {growth:.0f} bytes per source")
    print(f"status --json: {status['seconds']:.1f} s; report (html): {report['seconds']:.1f} s")
    print(f"trafilatura alone, one process: {ceiling:.1f} pages/s; first pass: {n / first:.1f} sources/s "
          f"({n / first / ceiling:.0%} of that ceiling)")


if __name__ == "__main__":
    main()
