"""Article text and metadata from HTML, with trafilatura."""

from __future__ import annotations

import hashlib
import logging
import re

import trafilatura

from .fetch import Extraction

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# Markup reformatting can put a space between an inline element and the punctuation after
# it ("see <a>here</a> ." ); such spaces never carry meaning.
_SPACE_BEFORE_PUNCTUATION = re.compile(r" (?=[.,;:!?)\]}»”’])")
_SPACE_AFTER_OPENING = re.compile(r"(?<=[(\[{«“]) ")


def extract_article(html: str, url: str) -> Extraction:
    """The article's text and metadata; empty text when the page has none.

    Comments are left out (they change all the time and are not what was cited), and
    trafilatura's deduplication stays off: its cache is global to the process and would
    silently empty the text of a page extracted a second time.
    """
    try:
        document = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            deduplicate=False,
        )
    except Exception:  # a broken page must never stop the crawl
        logger.warning("extraction failed for %s", url, exc_info=True)
        document = None
    if document is None:
        return Extraction(text="")
    return Extraction(
        text=normalize_text(document.text or ""),
        title=_clean(document.title),
        author=_clean(document.author),
        published=_clean(document.date),
    )


def normalize_text(text: str) -> str:
    """One paragraph per line, runs of spaces folded, blank lines dropped."""
    lines = (_tidy_spaces(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _tidy_spaces(line: str) -> str:
    line = _SPACES.sub(" ", line).strip()
    return _SPACE_AFTER_OPENING.sub("", _SPACE_BEFORE_PUNCTUATION.sub("", line))


def content_hash(extraction: Extraction) -> str:
    """Hash of what a maintainer cites: the title and the article text."""
    digest = hashlib.sha256()
    digest.update(normalize_text(extraction.title or "").encode())
    digest.update(b"\x00")
    digest.update(extraction.text.encode())
    return digest.hexdigest()


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    return normalize_text(value) or None
