"""Did the cited article change, and how: diff, similarity and a one-line summary."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from citewatch.model import Change, Extraction

from .noise import DEFAULT_NOISE, Noise
from .text import normalize_text

_BULLET = re.compile(r"^\s*[-*\u2022]\s+")


def has_changed(before: Extraction, after: Extraction, volatile: Iterable[str] = (), noise: Noise = DEFAULT_NOISE) -> bool:
    """Whether the title or text differ once noise is set aside (see describe_change),
    without the cost of describing how."""
    volatile = list(volatile)
    if _keys(_header(before)) != _keys(_header(after)):
        return True
    old_lines, new_lines = noise.meaningful_lines(before.text, volatile), noise.meaningful_lines(after.text, volatile)
    if _flat(old_lines) == _flat(new_lines):
        return False
    return not _only_furniture(difflib.SequenceMatcher(None, _keys(old_lines), _keys(new_lines), autojunk=False), old_lines, new_lines)


def describe_change(
    before: Extraction, after: Extraction, volatile: Iterable[str] = (), noise: Noise = DEFAULT_NOISE
) -> Change | None:
    """The change from `before` to `after`, or None when title and text are the same
    once the noise lines (built-in rules and the source's learned `volatile` signatures)
    are set aside. The diff shows the article's lines without the noise."""
    volatile = list(volatile)
    old_header, new_header = _header(before), _header(after)
    title_changed = _keys(old_header) != _keys(new_header)
    old_lines = noise.meaningful_lines(before.text, volatile)
    new_lines = noise.meaningful_lines(after.text, volatile)
    old_keys, new_keys = _keys(old_lines), _keys(new_lines)
    if not title_changed and "".join(old_keys) == "".join(new_keys):
        return None
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    if not title_changed and _only_furniture(matcher, old_lines, new_lines):
        return None
    diff = "".join(
        difflib.unified_diff(
            [*(line + "\n" for line in old_header), "\n", *(line + "\n" for line in old_lines)],
            [*(line + "\n" for line in new_header), "\n", *(line + "\n" for line in new_lines)],
            fromfile="before",
            tofile="after",
            n=1,
        )
    )
    return Change(
        summary=_summary(matcher, title_changed),
        diff=diff,
        similarity=round(matcher.ratio(), 4),
        title_changed=title_changed,
    )


_SENTENCE_END = re.compile(r"[.!?…。؟।][\"'”»)\]]*$")
PROSE_WORDS = 12  # a line this long is prose, whatever its punctuation
UNLIKE = 0.5  # two lines sharing less than this are one swapped for another, not one edited


def is_furniture(line: str) -> bool:
    """A line that is not a sentence of the article: a byline, a date, a credit, a menu
    item, a button's word, a copyright line. A new template brings such lines."""
    count = len(line.split())
    if count >= PROSE_WORDS:
        return "©" in line and count < 2 * PROSE_WORDS
    return count < 4 or "©" in line or not _SENTENCE_END.search(line.strip())


def _only_furniture(matcher: difflib.SequenceMatcher, old_lines: list[str], new_lines: list[str]) -> bool:
    """Whether every difference is furniture added, or furniture swapped for other
    furniture (an edited heading still differs: it keeps most of its words). A line taken
    away always counts: the article may have lost a short paragraph."""
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "delete":
            return False
        old, new = old_lines[i1:i2], new_lines[j1:j2]
        if not all(is_furniture(line) for line in old + new):
            return False
        if tag == "replace" and difflib.SequenceMatcher(None, " ".join(old), " ".join(new)).ratio() >= UNLIKE:
            return False
    return True


_SITE_NAME_SEPARATOR = re.compile(r"\s+[|\-–—:·•]\s+|\s+::\s+")


def _header(extraction: Extraction) -> list[str]:
    """The headline lines: the extracted title, and the page's own title, og:title and h1.
    Titles are compared without the site's name around the headline ("Headline | Site"),
    which a new template writes another way; an edit of the headline itself still shows."""
    lines = [f"Title: {headline_of(extraction.title or '')}"]
    return lines + [f"{name}: {headline_of(value) if name == 'title' else value}" for name, value in sorted(extraction.headlines.items())]


def headline_of(title: str) -> str:
    """The headline in a page title: its longest part between separators such as " | "."""
    parts = [part.strip() for part in _SITE_NAME_SEPARATOR.split(normalize_text(title)) if part.strip()]
    return max(parts, key=len) if parts else ""


def _keys(lines: list[str]) -> list[str]:
    """Lines without white space or list bullets, which never carry meaning: reformatted
    markup can add or remove a space between two inline elements, or a bullet."""
    return ["".join(_BULLET.sub("", line).split()) for line in lines]


def _flat(lines: list[str]) -> str:
    """The text as one string: reformatted markup can also move line breaks."""
    return "".join(_keys(lines))


def _summary(matcher: difflib.SequenceMatcher, title_changed: bool) -> str:
    changed = added = removed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            common = min(i2 - i1, j2 - j1)
            changed += common
            added += (j2 - j1) - common
            removed += (i2 - i1) - common
        elif tag == "insert":
            added += j2 - j1
        elif tag == "delete":
            removed += i2 - i1
    parts = [f"{count} {verb}" for count, verb in ((changed, "changed"), (added, "added"), (removed, "removed")) if count]
    if parts:  # "2 paragraphs changed, 1 added"
        count, verb = parts[0].split(" ", 1)
        parts[0] = f"{count} paragraph{'s' if count != '1' else ''} {verb}"
    text = ", ".join(parts)
    if title_changed:
        text = f"{text}; title changed" if text else "title changed"
    return text
