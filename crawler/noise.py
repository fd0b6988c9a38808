"""Telling edits from noise inside the extracted article text.

Extraction drops navigation, scripts and sidebars, but some noise sits inside the article
body and changes on every request: rotating "READ MORE: <headline>" teasers, relative
times ("Updated 5 minutes ago"), comment and share counters. Two defences:

- built-in rules for the common kinds: teaser labels, and short lines that carry a relative
  time or a counter (a number in a sentence of the article still counts);
- signatures learned per source: when a page's text differs from its last snapshot it is
  fetched again at once, and lines that differ between the two fresh fetches are noise for
  that source from then on. A signature is a label prefix ("prefix:READ MORE:"), a line
  shape with digits masked ("shape:Updated # min ago") or an exact line ("line:...").
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable

_TEASER = re.compile(
    r"^(read more|read also|also read|more reading|related( stories| articles| coverage)?|recommended|"
    r"you may also like|see also|more on this( story)?|most read|trending|watch|listen|sponsored)\s*[:|\-\u2013\u2014]",
    re.IGNORECASE,
)
_RELATIVE_TIME = re.compile(
    r"\b(\d+|an?|one)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b|\bjust now\b",
    re.IGNORECASE,
)
_COUNTER = re.compile(
    r"\b\d[\d.,]*\s*[kKmM]?\s*(comments?|shares?|views?|likes?|reactions?|replies|reads)\b|"
    r"\b\d[\d.,]*\s+(people|readers|users)\s+(online|reading|are reading)\b",
    re.IGNORECASE,
)
SHORT_LINE_WORDS = 8  # widgets are short lines; sentences of the article are longer
# A line this long that changes between two fetches holds article text as well as the
# noise; a signature for it would hide every later edit of that text, so none is learned.
LONGEST_LEARNED_LINE_WORDS = 40
_WORD = re.compile(r"\w")
_LABEL_END = re.compile(r"^(.{3,40}?[:|\u2013\u2014])")


def meaningful_lines(text: str, signatures: Iterable[str] = ()) -> list[str]:
    """The article's lines without its noise lines: what is compared, and shown in diffs."""
    signatures = list(signatures)
    return [line for line in text.splitlines() if not is_volatile(line, signatures)]


def is_volatile(line: str, signatures: list[str]) -> bool:
    if not _WORD.search(line) or _TEASER.match(line) or _is_widget(line):
        return True  # a line with no letter or digit ("| |" from table layout) says nothing
    return any(_matches(line, signature) for signature in signatures)


def learn_signatures(first: str, second: str) -> set[str]:
    """Signatures of the lines that differ between two fetches made moments apart."""
    a, b = first.splitlines(), second.splitlines()
    signatures: set[str] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        old, new = a[i1:i2], b[j1:j2]
        for x, y in zip(old, new):
            signatures |= _pair_signatures(x, y)
        signatures |= {f"line:{line}" for line in old[len(new):] + new[len(old):] if _learnable(line)}
    return signatures


def _learnable(line: str) -> bool:
    return len(line.split()) <= LONGEST_LEARNED_LINE_WORDS


def _pair_signatures(x: str, y: str) -> set[str]:
    if is_volatile(x, []) and is_volatile(y, []):
        return set()  # the built-in rules already know them
    if not (_learnable(x) and _learnable(y)):
        return set()
    if _shape(x) == _shape(y):  # only digits differ: a clock, a counter
        return {f"shape:{_shape(x)}"}
    label = _LABEL_END.match(os.path.commonprefix([x, y]))
    if label:  # a rotating teaser: "TOP STORY | <headline>"
        return {f"prefix:{label.group(1)}"}
    return {f"line:{x}", f"line:{y}"}


def _matches(line: str, signature: str) -> bool:
    kind, _, value = signature.partition(":")
    if kind == "prefix":
        return line.startswith(value)
    if kind == "shape":
        return _shape(line) == value
    return line == value


def _is_widget(line: str) -> bool:
    """A short line showing a relative time or a counter: "Updated 5 minutes ago", "152 comments"."""
    return len(line.split()) <= SHORT_LINE_WORDS and bool(_RELATIVE_TIME.search(line) or _COUNTER.search(line))


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line)
