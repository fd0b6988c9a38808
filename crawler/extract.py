"""Article text and metadata from HTML, with trafilatura."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from citewatch import logs
from citewatch.model import Extraction

from .embedded import ARTICLE_WORDS, embedded_article, state_scripts
from .lifeline import end_with_parent
from .mending import prepare_tree, restore_left_out_paragraphs
from .text import normalize_text

logger = logging.getLogger(__name__)

_WHITESPACE = re.compile(r"\s+")


def extract_article(html: str, url: str) -> Extraction:
    """The article's text and metadata; empty text when the page has none.

    White space in the markup is collapsed first, as a browser does: trafilatura's choices
    otherwise shift when a site re-indents its templates. It favours recall, so that an
    edit to any paragraph of the article is seen. Comments are left out (they change all
    the time and are not what was cited), and trafilatura's deduplication stays off: its
    cache is global to the process and would silently empty the text of a page extracted
    a second time.
    """
    tree = load_html(_WHITESPACE.sub(" ", html))
    if tree is None:
        return Extraction(text="")
    scripts = state_scripts(tree)  # before prepare_tree removes the scripts
    prepare_tree(tree)
    try:
        document = trafilatura.bare_extraction(
            tree,  # trafilatura works on a copy
            url=url,
            with_metadata=True,
            include_comments=False,
            deduplicate=False,
            favor_recall=True,
        )
    except Exception:  # a broken page must never stop the crawl
        logger.warning("extraction failed for %s", url, exc_info=True)
        document = None
    headlines = page_headlines(tree)
    text = normalize_text(restore_left_out_paragraphs(tree, document.text or "")) if document is not None else ""
    if len(text.split()) < ARTICLE_WORDS and scripts:  # an application's page: the article is in its state
        text = max(text, normalize_text(embedded_article(scripts)), key=len)
    if document is None:
        return Extraction(text=text, headlines=headlines)
    return Extraction(
        text=text,
        title=_clean(document.title),
        author=_clean(document.author),
        published=_clean(document.date),
        headlines=headlines,
    )


def extract_pdf(data: bytes) -> Extraction:
    """The text and title of a PDF (court filings, NGO reports); empty if it has no text layer."""
    from pypdf import PdfReader  # here: a sixth of a second that every process would pay for the few PDFs

    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a broken PDF must never stop the crawl
        logger.warning("PDF text extraction failed", exc_info=True)
        return Extraction(text="")
    return Extraction(text=normalize_text(text), title=_clean(title))


def page_headlines(tree: HtmlElement) -> dict[str, str]:
    """The headline as the page states it: its <title>, og:title and first <h1>.

    trafilatura reports one title (it may prefer JSON-LD); an edited headline shows up in
    any of these, so each is kept and compared.
    """
    candidates = {
        "title": tree.findtext(".//title"),
        "og:title": next(iter(tree.xpath("//meta[@property='og:title']/@content")), None),
        "h1": next((h1.text_content() for h1 in tree.iter("h1")), None),
    }
    return {name: text for name, value in candidates.items() if (text := _clean(value))}


def content_hash(extraction: Extraction) -> str:
    """Hash of what a maintainer cites: the headlines and the article text."""
    digest = hashlib.sha256()
    digest.update(normalize_text(extraction.title or "").encode())
    digest.update(repr(sorted(extraction.headlines.items())).encode())
    digest.update(b"\x00")
    digest.update(extraction.text.encode())
    return digest.hexdigest()


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    return normalize_text(value) or None


def extract_content(is_html: bool, content: str | bytes, url: str) -> Extraction:
    """Extract an HTML page or a PDF: the unit of work of the extraction pool."""
    return extract_article(content, url) if is_html else extract_pdf(content)  # type: ignore[arg-type]


def _start_worker(logging_as: tuple[int, bool] | None) -> None:
    end_with_parent()
    logs.configure_like(logging_as)


class ExtractionPool:
    """Extraction in worker processes, so that both cores extract while the reactor keeps
    downloading. Started on first use and kept for the life of the process (the daemon
    pays for it once); workers come from a forkserver that has trafilatura loaded, never
    from a fork of this multi-threaded process. Each worker ends with the process that
    started the pool (see lifeline.py)."""

    _executor: ProcessPoolExecutor | None = None
    _broken = False  # the workers died: this crawl extracts by itself (the next one starts new workers)

    @classmethod
    def executor(cls, workers: int) -> ProcessPoolExecutor:
        if cls._executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([f"{__package__}.forkserver_preload"])
            cls._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                                initargs=(logs.current(),))
        return cls._executor

    @classmethod
    def shutdown(cls) -> None:
        """Stop the workers; a multiprocessing child must, or it waits for them forever
        when it exits."""
        if cls._executor is not None:
            cls._executor.shutdown()
            cls._executor = None

    @classmethod
    def replace_if_broken(cls) -> None:
        """At the start of a crawl: workers that died in an earlier one are replaced."""
        if cls._broken and cls._executor is not None:
            cls._executor.shutdown(wait=False, cancel_futures=True)
            cls._executor = None
        cls._broken = False

    @classmethod
    async def extract(cls, workers: int, is_html: bool, content: str | bytes, url: str) -> Extraction:
        if cls._broken:
            return extract_content(is_html, content, url)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(cls.executor(workers), extract_content, is_html, content, url)
        except BrokenProcessPool:
            if not cls._broken:
                cls._broken = True
                logger.error("the extraction worker processes died (killed, or unable to start: a program using "
                             "citewatch must guard its main module with `if __name__ == '__main__':`); "
                             "extracting in this process from now on, new workers at the next crawl")
            return extract_content(is_html, content, url)
        except Exception:  # one page the pool could not handle: do it here instead
            logger.warning("extraction pool failed for %s; extracting in-process", url, exc_info=True)
            return extract_content(is_html, content, url)
