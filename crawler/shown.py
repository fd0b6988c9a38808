"""What a reader sees on a page, and how often a line of the article is among it.

Extraction decides which of a page's text is the article, and it decides by the page's
markup: a new template, a move to another CMS or a newer extractor makes it keep other
lines (captions, bylines, lists of links) or leave some out. Whether a line that differs
between two versions is an edit or only extracted differently is told by the pages
themselves: a line of the old text that the new page still shows was not taken away, and
a line of the new text that the old page already showed was not added.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property

import lxml.html
from lxml import etree

from .text import words

MAX_PIECES = 3  # runs of words that a line joined from text apart may have
_UNSEEN = ".//script|.//style|.//noscript|.//template"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # lxml reads them from broken pages, never writes them


_BLOCKS = frozenset(
    "address article aside blockquote br dd details dialog div dl dt fieldset figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split()
)


def visible_text(tree: lxml.html.HtmlElement | None) -> str:
    """All the text of the page's body that a reader sees, in one line, with a space
    where one block ends and the next begins (as a browser shows them apart)."""
    body = tree.find("body") if tree is not None else None
    if body is None:
        return ""
    for element in body.xpath(_UNSEEN):
        element.drop_tree()
    for element in body.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.text = " " + _NOT_XML.sub("", element.text or "")
            element.tail = " " + _NOT_XML.sub("", element.tail or "")
    return " ".join(body.text_content().split())


def parse_page(html: str | None) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(html or "<html></html>")
    except (etree.ParserError, ValueError):
        return None


class Shown:
    """The words a reader sees on one page, read when first asked for: the page may have
    to be read back from the archive. Words are compared run together: extraction and a
    browser do not always agree on where one block's words end and the next's begin."""

    def __init__(self, html: str | Callable[[], str | None] | None) -> None:
        self._html = html

    @cached_property
    def _letters(self) -> str | None:
        html = self._html() if callable(self._html) else self._html
        if html is None:
            return None
        tree = parse_page(html)
        headlines = tree.xpath("//title//text() | //meta[@property='og:title']/@content") if tree is not None else []
        return "".join(words(" ".join([*headlines, visible_text(tree)])))

    @property
    def known(self) -> bool:
        return self._letters is not None

    def count(self, line: str) -> int:
        """How often the line's words, in order, appear on the page or in its headlines (0
        when the page is unknown); punctuation, spacing and markup between them do not
        matter. Counted, not merely found: a short line taken away from the article may
        still appear inside another paragraph, once less often than before."""
        wanted = "".join(words(line))
        if not wanted or self._letters is None:
            return 0
        return self._letters.count(wanted)

    def pieced(self, line: str) -> bool:
        """Whether the line is a few runs of words that each appear on the page: the line
        extraction makes of text that sits apart on the page ("Skip to content" and the
        headline after it). At most MAX_PIECES runs of two words each on average: words
        that any page has do not make a line."""
        sequence, start, pieces = words(line), 0, 0
        if self._letters is None or not sequence:
            return False
        while start < len(sequence):
            end = start  # the run grows while the page has it: a longer run holds the shorter
            while end < len(sequence) and "".join(sequence[start:end + 1]) in self._letters:
                end += 1
            if end == start or pieces == MAX_PIECES:
                return False
            start, pieces = end, pieces + 1
        return len(sequence) >= 2 * pieces
