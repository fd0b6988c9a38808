"""Telling edits from noise inside the extracted article text.

Extraction drops navigation, scripts and sidebars, but some noise sits inside the article
body and changes on every request: rotating "READ MORE: <headline>" teasers, relative
times ("Updated 5 minutes ago"), comment and share counters. Two defences:

- noise rules, each a small registered class that says whether one line is noise: lines
  with no letter or digit, teaser labels, and short lines that carry a relative time or a
  counter (a number in a sentence of the article still counts). `[noise] off` switches
  built-in rules off and `[noise] add` adds rules of one's own;
- signatures learned per source: when a page's text differs from its last snapshot it is
  fetched again at once, and lines that differ between the two fresh fetches are noise for
  that source from then on. A signature is stored as "kind:value", each kind a small
  class: a label prefix ("prefix:READ MORE:"), a line shape with digits masked
  ("shape:Updated # min ago") or an exact line ("line:...").
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from citewatch.config import PluginSettings
from citewatch.plugins import Plugin, Registry

SHORT_LINE_WORDS = 8  # widgets are short lines; sentences of the article are longer
# A line this long that changes between two fetches holds article text as well as the
# noise; a signature for it would hide every later edit of that text, so none is learned.
LONGEST_LEARNED_LINE_WORDS = 40


class NoiseRule(Plugin):
    """Says whether one line of article text is noise. Subclasses that set `name` are registered."""

    registry: ClassVar[Registry[type["NoiseRule"]]] = Registry("noise rule")

    def is_noise(self, line: str) -> bool:
        raise NotImplementedError


class Wordless(NoiseRule):
    """A line with no letter or digit ("| |" from table layout) says nothing."""

    name = "wordless"
    _WORD = re.compile(r"\w")

    def is_noise(self, line: str) -> bool:
        return not self._WORD.search(line)


class Teaser(NoiseRule):
    """A teaser for another article: "READ MORE: ...", "Related: ...", "Watch | ..."."""

    name = "teaser"
    _LABEL = re.compile(
        r"^(read more|read also|also read|more reading|related( stories| articles| coverage)?|recommended|"
        r"you may also like|see also|more on this( story)?|most read|trending|watch|listen|sponsored)\s*[:|\-\u2013\u2014]",
        re.IGNORECASE,
    )

    def is_noise(self, line: str) -> bool:
        return bool(self._LABEL.match(line))


class Widget(NoiseRule):
    """A short line showing a relative time or a counter: "Updated 5 minutes ago", "152 comments"."""

    name = "widget"
    _RELATIVE_TIME = re.compile(
        r"\b(\d+|an?|one)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b|\bjust now\b",
        re.IGNORECASE,
    )
    _COUNTER = re.compile(
        r"\b\d[\d.,]*\s*[kKmM]?\s*(comments?|shares?|views?|likes?|reactions?|replies|reads)\b|"
        r"\b\d[\d.,]*\s+(people|readers|users)\s+(online|reading|are reading)\b",
        re.IGNORECASE,
    )

    def is_noise(self, line: str) -> bool:
        return len(line.split()) <= SHORT_LINE_WORDS and bool(self._RELATIVE_TIME.search(line) or self._COUNTER.search(line))


class Signature:
    """A kind of learned signature: which lines a stored "kind:value" matches."""

    kind: ClassVar[str] = ""
    kinds: ClassVar[dict[str, type["Signature"]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Signature.kinds[cls.kind] = cls

    def __init__(self, value: str) -> None:
        self.value = value

    @classmethod
    def parse(cls, stored: str) -> "Signature":
        kind, _, value = stored.partition(":")
        return cls.kinds.get(kind, LineSignature)(value)

    def stored(self) -> str:
        return f"{self.kind}:{self.value}"

    def matches(self, line: str) -> bool:
        raise NotImplementedError


class PrefixSignature(Signature):
    """A rotating teaser behind a fixed label: "TOP STORY | <headline>"."""

    kind = "prefix"

    def matches(self, line: str) -> bool:
        return line.startswith(self.value)


class ShapeSignature(Signature):
    """A line in which only digits change: a clock, a counter."""

    kind = "shape"

    def matches(self, line: str) -> bool:
        return shape(line) == self.value


class LineSignature(Signature):
    kind = "line"

    def matches(self, line: str) -> bool:
        return line == self.value


class Noise:
    """The noise rules in force; with a source's learned signatures, which lines count."""

    def __init__(self, rules: Sequence[NoiseRule]) -> None:
        self.rules = list(rules)

    @classmethod
    def from_settings(cls, settings: PluginSettings) -> "Noise":
        """The built-in rules not switched off in `[noise] off`, then those in `[noise] add`;
        raises BadInput naming the key for a name that is neither."""
        for name in settings.off:
            NoiseRule.registry.get(name, "noise.off")
        added = [NoiseRule.registry.get(spec, "noise.add") for spec in settings.add]
        return cls([rule() for rule in (*BUILTIN_RULES, *added) if rule.name not in settings.off])

    def is_noise(self, line: str, signatures: Sequence[Signature] = ()) -> bool:
        return any(rule.is_noise(line) for rule in self.rules) or any(s.matches(line) for s in signatures)

    def meaningful_lines(self, text: str, signatures: Iterable[str] = ()) -> list[str]:
        """The article's lines without its noise lines: what is compared, and shown in diffs."""
        parsed = [Signature.parse(stored) for stored in signatures]
        return [line for line in text.splitlines() if not self.is_noise(line, parsed)]

    def learn_signatures(self, first: str, second: str) -> set[str]:
        """Signatures of the lines that differ between two fetches made moments apart.

        Nothing is learned when the two share less than half their words: the second is
        then another page (a rate limit, an error, a render cut short before its scripts
        drew the article), and all the article's lines would be taken for noise."""
        if not _mostly_shared(first, second):
            return set()
        a, b = first.splitlines(), second.splitlines()
        signatures: set[str] = set()
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            old, new = a[i1:i2], b[j1:j2]
            for x, y in zip(old, new):
                signatures |= self._pair_signatures(x, y)
            signatures |= {LineSignature(line).stored() for line in old[len(new):] + new[len(old):] if _learnable(line)}
        return signatures

    def _pair_signatures(self, x: str, y: str) -> set[str]:
        if self.is_noise(x) and self.is_noise(y):
            return set()  # the rules already know them
        if not (_learnable(x) and _learnable(y)):
            return set()
        if shape(x) == shape(y):  # only digits differ: a clock, a counter
            return {ShapeSignature(shape(x)).stored()}
        label = _LABEL_END.match(os.path.commonprefix([x, y]))
        if label:  # a rotating teaser: "TOP STORY | <headline>"
            return {PrefixSignature(label.group(1)).stored()}
        return {LineSignature(x).stored(), LineSignature(y).stored()}


BUILTIN_RULES: tuple[type[NoiseRule], ...] = (Wordless, Teaser, Widget)
_LABEL_END = re.compile(r"^(.{3,40}?[:|\u2013\u2014])")


def _mostly_shared(first: str, second: str) -> bool:
    a, b = Counter(first.split()), Counter(second.split())
    return (a & b).total() * 2 >= max(a.total(), b.total())


def _learnable(line: str) -> bool:
    return len(line.split()) <= LONGEST_LEARNED_LINE_WORDS


def shape(line: str) -> str:
    return re.sub(r"\d+", "#", line)


DEFAULT_NOISE = Noise([rule() for rule in BUILTIN_RULES])
