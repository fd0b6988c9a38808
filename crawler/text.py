"""The normal form of article text that extraction produces and change detection compares."""

from __future__ import annotations

import re

HTML_TYPES = ("text/html", "application/xhtml+xml")  # media types read as pages

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# Markup reformatting can put a space between an inline element and the punctuation after
# it ("see <a>here</a> ." ); such spaces never carry meaning.
_SPACE_BEFORE_PUNCTUATION = re.compile(r" (?=[.,;:!?)\]}»”’])")
_SPACE_AFTER_OPENING = re.compile(r"(?<=[(\[{«“]) ")


def normalize_text(text: str) -> str:
    """One paragraph per line, runs of spaces folded, blank lines dropped."""
    lines = (_tidy_spaces(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _tidy_spaces(line: str) -> str:
    line = _SPACES.sub(" ", line).strip()
    return _SPACE_AFTER_OPENING.sub("", _SPACE_BEFORE_PUNCTUATION.sub("", line))


def words(text: str) -> list[str]:
    """The text's words, lowercased, without the punctuation and spaces between them."""
    return _WORD.findall(text.lower())
