"""Scrapy's own floor: the CPU a bare Scrapy spider spends on a request answered 304, with
nothing of citewatch in it, over the same loopback web as bench/throughput.py.

    .venv/bin/python bench/scrapy_floor.py [--requests N] [--hosts M]

The spider sends each page's ETag in If-None-Match (as a revisit does) and counts the
statuses; Scrapy's settings are those citewatch tunes for speed (no retries, no cookies,
no stats per request). The web runs in a thread of this process: its CPU is measured
apart and left out. What a 304 revisit costs citewatch beyond this floor is citewatch's.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import load_corpus  # noqa: E402
from throughput import ArticleWeb  # noqa: E402

SETTINGS = {
    "CONCURRENT_REQUESTS": 64, "CONCURRENT_REQUESTS_PER_DOMAIN": 4, "DOWNLOAD_DELAY": 0, "RETRY_ENABLED": False,
    "HTTPERROR_ALLOW_ALL": True, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
    "COOKIES_ENABLED": False, "CONCURRENT_ITEMS": 1, "WARN_ON_GENERATOR_RETURN_VALUE": False, "DOWNLOADER_STATS": False,
}


class Revisit(scrapy.Spider):
    name = "revisit"
    custom_settings = SETTINGS
    statuses: Counter[int] = Counter()

    def __init__(self, urls: list[str], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            tag = '"' + hashlib.md5(("/" + url.split("/", 3)[3]).encode()).hexdigest() + '"'
            yield scrapy.Request(url, headers={"If-None-Match": tag}, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        self.statuses[response.status] += 1


def web_cpu(web: ArticleWeb) -> float:
    """CPU seconds the web's thread has used."""
    async def thread_time() -> float:
        return time.thread_time()

    return asyncio.run_coroutine_threadsafe(thread_time(), web.loop).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=100)
    args = parser.parse_args()
    web = ArticleWeb([page.html for page in load_corpus()][:5], args.requests, args.hosts)
    process = CrawlerProcess()
    process.crawl(Revisit, urls=web.urls)
    before, web_before, started = resource.getrusage(resource.RUSAGE_SELF), web_cpu(web), time.perf_counter()
    process.start()
    after, web_after, seconds = resource.getrusage(resource.RUSAGE_SELF), web_cpu(web), time.perf_counter() - started
    web.close()
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) - (web_after - web_before)
    print(f"bare Scrapy: {args.requests} requests on {args.hosts} loopback hosts ({dict(Revisit.statuses)}) "
          f"in {seconds:.1f} s; {cpu / args.requests * 1000:.2f} ms of CPU a request (the web's "
          f"{(web_after - web_before) / args.requests * 1000:.2f} ms left out)")


if __name__ == "__main__":
    main()
