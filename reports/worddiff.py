"""What changed inside a changed paragraph: the words taken out and put in, the rest plain.

A change is stored as a unified diff of paragraphs (crawler/change.py). Read back here, a
paragraph taken out and one put in that share most of their words are one paragraph
edited: one line whose changed words are marked. Paragraphs unlike any other stay whole
lines, taken out or put in. Every format (HTML, Markdown, plain text, a terminal) draws
these same pieces, so a one-word edit reads the same in an email and in a report.

difflib is enough here: its SequenceMatcher over word tokens marks a paragraph's edit as
git's --word-diff does, and a paragraph is short enough that its quadratic worst case
never shows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

ALIKE = 0.5  # paragraphs sharing this share of their words are one paragraph edited
KEEP = 10  # words of unchanged text kept next to a change when a line is shortened
SLACK = 4  # ...and no stretch is shortened to save fewer words than this
MAX_PAIRINGS = 2500  # a block of more paragraphs than this (50 by 50) is shown line by line

_TOKEN = re.compile(
    r"\d+(?:[.,:/]\d+)*"  # a number with its separators: 1,200  3.5  12:30
    r"|[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # no spaces between words: a character each
    r"|\w+(?:['’\-]\w+)*"  # a word with its apostrophes and hyphens
    r"|\s+|.",
    re.DOTALL,
)


@dataclass(frozen=True)
class Piece:
    kind: str  # same | del | add | gap (unchanged words left out)
    text: str


@dataclass(frozen=True)
class DiffLine:
    """A line as shown: `pieces` in full, `short` with long unchanged stretches left out."""

    kind: str  # edit (words marked) | add | del (a whole paragraph) | context | hunk (lines left out)
    pieces: tuple[Piece, ...]
    short: tuple[Piece, ...]

    @property
    def shortened(self) -> bool:
        return self.short != self.pieces

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces)


GAP = Piece("gap", "…")
_CHANGES = ("edit", "add", "del")


@lru_cache(maxsize=256)
def word_diff(diff: str) -> tuple[DiffLine, ...]:
    """The lines of a stored unified diff, edited paragraphs paired and their words marked.
    File headers and the first hunk header are left out; a later hunk header is a gap."""
    lines = list(_lines(diff.splitlines()))
    return tuple(_shortened(line, lines[i - 1] if i else None, lines[i + 1] if i + 1 < len(lines) else None)
                 for i, line in enumerate(lines))


def diff_lines(diff: str, limit: int) -> tuple[DiffLine, ...]:
    return word_diff(diff)[:limit]


def hidden_lines(diff: str, limit: int) -> int:
    return max(len(word_diff(diff)) - limit, 0)


def changed_lines(diff: str) -> list[DiffLine]:
    """The lines that changed, without their context."""
    return [line for line in word_diff(diff) if line.kind in _CHANGES]


def marked(pieces: tuple[Piece, ...]) -> str:
    """Plain text, changed words marked as git's --word-diff=plain marks them:
    "killed [-12-]{+14+} people"."""
    marks = {"del": "[-{}-]", "add": "{{+{}+}}"}
    return "".join(marks[piece.kind].format(piece.text) if piece.kind in marks else piece.text for piece in pieces)


_SIGNS = {"edit": "~ ", "add": "+ ", "del": "- ", "context": "  ", "hunk": "  "}


def as_text(line: DiffLine, short: bool = True) -> str:
    """A line in plain text: a sign ("~" edited, "+" put in, "-" taken out), then the line,
    its changed words marked."""
    if line.kind in ("add", "del"):
        return _SIGNS[line.kind] + line.text
    return _SIGNS[line.kind] + marked(line.short if short else line.pieces)


def _lines(raw: list[str]) -> Iterator[DiffLine]:
    taken: list[str] = []
    put: list[str] = []
    hunks = 0
    for text in [*raw, " "]:  # a last context line ends the last block of changes
        sign, body = text[:1], text[1:]
        if text.startswith(("--- ", "+++ ")) and not hunks:
            continue
        if sign and sign in "-+":
            (taken if sign == "-" else put).append(body)
            continue
        if taken or put:
            yield from _block(taken, put)
            taken, put = [], []
        if sign == "@":
            hunks += 1
            if hunks > 1:
                yield DiffLine("hunk", (GAP,), (GAP,))
        elif sign == " " and body.strip():
            yield _whole("context", body)


def _block(taken: list[str], put: list[str]) -> Iterator[DiffLine]:
    """Paragraphs taken out and put in at one place: alike ones paired as edits, in order."""
    if len(taken) * len(put) > MAX_PAIRINGS:
        yield from (_whole("del", line) for line in taken)
        yield from (_whole("add", line) for line in put)
        return
    tokens_put = [_TOKEN.findall(line) for line in put]
    start = 0
    for old in taken:
        tokens_old = _TOKEN.findall(old)
        match = next((j for j in range(start, len(put)) if _alike(tokens_old, tokens_put[j])), None)
        if match is None:
            yield _whole("del", old)
            continue
        yield from (_whole("add", line) for line in put[start:match])
        yield _edit(tokens_old, tokens_put[match])
        start = match + 1
    yield from (_whole("add", line) for line in put[start:])


def _alike(old: list[str], new: list[str]) -> bool:
    """Whether two paragraphs share ALIKE of their words (spaces do not count)."""
    matcher = difflib.SequenceMatcher(None, _words(old), _words(new), autojunk=False)
    return matcher.real_quick_ratio() >= ALIKE and matcher.quick_ratio() >= ALIKE and matcher.ratio() >= ALIKE


def _words(tokens: list[str]) -> list[str]:
    return [token for token in tokens if not token.isspace()]


def _whole(kind: str, text: str) -> DiffLine:
    piece = (Piece("same" if kind == "context" else kind, text),)
    return DiffLine(kind, piece, piece)


def _edit(old: list[str], new: list[str]) -> DiffLine:
    """One paragraph edited: its unchanged stretches, and each change as the words taken
    out and the words put in. A change's edge spaces belong to the text around it, and
    two changes with only spaces between them are one change."""
    runs: list[list[str]] = []  # [same] or [taken, put]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(str.isspace, old, new, autojunk=False).get_opcodes():
        gone, came = "".join(old[i1:i2]), "".join(new[j1:j2])
        if tag == "equal":
            runs.append([gone])
        elif len(runs) >= 2 and len(runs[-2]) == 2 and not runs[-1][0].strip():
            space = runs.pop()[0]
            runs[-1] = [runs[-1][0] + space + gone, runs[-1][1] + space + came]
        else:
            runs.append([gone, came])
    pieces: list[Piece] = []
    for run in runs:
        if len(run) == 1:
            pieces.append(Piece("same", run[0]))
            continue
        gone, came = run
        lead = _common_edge(gone, came, leading=True)
        trail = _common_edge(gone[len(lead):], came[len(lead):], leading=False)
        core = slice(len(lead), -len(trail) or None)
        pieces += [Piece("same", lead), Piece("del", gone[core]), Piece("add", came[core]), Piece("same", trail)]
    return DiffLine("edit", _joined(pieces), _joined(pieces))


def _common_edge(gone: str, came: str, leading: bool) -> str:
    """The spaces both sides of a change start (or end) with; all of one side's when the
    other is empty."""
    def edge(text: str) -> str:
        stripped = text.lstrip() if leading else text.rstrip()
        return text[: len(text) - len(stripped)] if leading else text[len(stripped):]
    ends = [edge(text) for text in (gone, came) if text]
    return min(ends, key=len) if ends else ""


def _joined(pieces: list[Piece]) -> tuple[Piece, ...]:
    """Empty pieces dropped, neighbours of one kind joined."""
    joined: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if joined and joined[-1].kind == piece.kind:
            joined[-1] = Piece(piece.kind, joined[-1].text + piece.text)
        else:
            joined.append(piece)
    return tuple(joined)


def _shortened(line: DiffLine, before: DiffLine | None, after: DiffLine | None) -> DiffLine:
    """The line with its long unchanged stretches cut to the words next to a change. A
    context paragraph keeps the words nearest the change it stands by."""
    if line.kind == "context":
        after_change, before_change = (near is not None and near.kind in _CHANGES for near in (before, after))
        short = _cut(line.pieces[0].text, keep_head=after_change or not before_change, keep_tail=before_change)
    elif line.kind == "edit":
        last = len(line.pieces) - 1
        short = tuple(
            part
            for i, piece in enumerate(line.pieces)
            for part in (_cut(piece.text, keep_head=i > 0, keep_tail=i < last) if piece.kind == "same" else (piece,))
        )
    else:
        return line
    return DiffLine(line.kind, line.pieces, short)


def _cut(text: str, keep_head: bool, keep_tail: bool) -> tuple[Piece, ...]:
    """An unchanged stretch with its middle, start or end left out, keeping KEEP words on
    each side that borders a change."""
    tokens = _TOKEN.findall(text)
    words = [i for i, token in enumerate(tokens) if token[0].isalnum()]
    kept = KEEP * (keep_head + keep_tail)
    if len(words) <= kept + SLACK:
        return (Piece("same", text),)
    head = "".join(tokens[: words[KEEP - 1] + 1]) if keep_head else ""
    tail = "".join(tokens[words[-KEEP]:]) if keep_tail else ""
    gap = Piece("gap", (" " if head else "") + "…" + (" " if tail else ""))
    return _joined([Piece("same", head), gap, Piece("same", tail)])
