"""Did the cited article change, and how: diff, similarity and a one-line summary."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from citewatch.model import Change, Extraction

from .noise import DEFAULT_NOISE, Noise
from .shown import Shown
from .text import normalize_text

_BULLET = re.compile(r"^\s*[-*\u2022]\s+")


@dataclass(frozen=True)
class Comparison:
    """The article fetched against the article as last seen."""

    change: Change | None = None  # an edit of the headline or the text
    new_form: bool = False  # no edit, yet the text as extracted differs (a new template, a newer extractor)


def compare_articles(
    before: Extraction,
    after: Extraction,
    volatile: Iterable[str] = (),
    noise: Noise = DEFAULT_NOISE,
    pages: tuple[Shown, Shown] | None = None,
) -> Comparison:
    """The change from `before` to `after`; none when headline and text are the same once
    the noise lines (built-in rules and the source's learned `volatile` signatures) are
    set aside. With the two `pages` (what a reader saw then and sees now), lines that
    were only extracted differently are set aside too (see crawler/shown.py), and the
    comparison says so. The diff shows the article's lines without the noise."""
    volatile = list(volatile)
    title_changed = _headline_changed(before, after)
    old_lines = noise.meaningful_lines(before.text, volatile)
    new_lines = noise.meaningful_lines(after.text, volatile)
    if not title_changed and _flat(old_lines) == _flat(new_lines):
        return Comparison()
    matcher = difflib.SequenceMatcher(None, _keys(old_lines), _keys(new_lines), autojunk=False)
    if not title_changed and _same_article(matcher, old_lines, new_lines, pages):
        return Comparison(new_form=not _same_article(matcher, old_lines, new_lines, None))
    diff = "".join(
        difflib.unified_diff(
            [*(line + "\n" for line in _header(before)), "\n", *(line + "\n" for line in old_lines)],
            [*(line + "\n" for line in _header(after)), "\n", *(line + "\n" for line in new_lines)],
            fromfile="before",
            tofile="after",
            n=1,
        )
    )
    change = Change(
        summary=_summary(matcher, title_changed),
        diff=diff,
        similarity=round(matcher.ratio(), 4),
        title_changed=title_changed,
    )
    return Comparison(change)


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


def _same_article(
    matcher: difflib.SequenceMatcher, old_lines: list[str], new_lines: list[str], pages: tuple[Shown, Shown] | None
) -> bool:
    """Whether every difference is one of form, not of the article: furniture added, or
    swapped for other furniture (an edited heading still differs: it keeps most of its
    words); and with both pages known, lines the new page still shows as often as the
    old one did, or that the old page already showed as often as the new one does."""
    before, after = pages if pages is not None and all(page.known for page in pages) else (None, None)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old, new = old_lines[i1:i2], new_lines[j1:j2]
        if before is not None and after is not None:
            kept = all(_in_both(line, before, after) for line in old)
            if kept and all(is_furniture(line) or _in_both(line, after, before) for line in new):
                continue
        if tag == "delete" or not all(is_furniture(line) for line in old + new):
            return False  # a line taken away always counts: the article may have lost a short paragraph
        if tag == "replace" and difflib.SequenceMatcher(None, " ".join(old), " ".join(new)).ratio() >= UNLIKE:
            return False
    return True


def _in_both(line: str, own: Shown, other: Shown) -> bool:
    """Whether the other page shows the line as often as its own page does; a line that
    its own page does not show as such (extraction joined it from text that sits apart)
    when the other page shows its pieces. A line no page shows (taken from the page's
    metadata) proves nothing."""
    here = own.count(line)
    return other.count(line) >= here if here else other.pieced(line)


_SITE_NAME_SEPARATOR = re.compile(r"\s+[|\-–—:·•]\s+|\s+::\s+")


def _header(extraction: Extraction) -> list[str]:
    """The headline lines, as the diff shows them: one for each wording, naming where the
    page states it ("Title, h1, og:title: ..."), so one edit of the headline is one line."""
    names: dict[str, list[str]] = {}
    for name, value in _headlines(extraction).items():
        names.setdefault(value, []).append(name)
    return [f"{', '.join(where)}: {value}" for value, where in names.items()]


def _headlines(extraction: Extraction) -> dict[str, str]:
    """The headline as each source states it: the extracted title, the page's og:title and
    h1, and its <title> where the page has neither (a <title> also names the site, in
    words that a new template changes). Titles are compared without the site's name
    around the headline ("Headline | Site"); an edit of the headline itself still shows."""
    found = dict(sorted(extraction.headlines.items()))
    if "h1" in found or "og:title" in found:
        found.pop("title", None)
    elif "title" in found:
        found["title"] = headline_of(found["title"])
    return {"Title": headline_of(extraction.title or "")} | found


def _headline_changed(before: Extraction, after: Extraction) -> bool:
    """Whether a source of the headline that both versions have states it otherwise (a new
    template may add or drop one)."""
    old, new = _headlines(before), _headlines(after)
    return any("".join(old[name].split()) != "".join(new[name].split()) for name in old.keys() & new.keys())


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
