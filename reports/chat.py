"""The digest as a chat message: the email's content (by incident: what changed or died,
and the copy to cite instead), short enough for a chat room.

It opens with what needs doing. A change shows its first few changed lines, their changed
words marked and the rest cut short, and links to the report page
(schedule.report_url) or names the command for the whole diff. A message that is still
longer than the channel takes loses the excerpts first, then its last incidents (said at
its end), so it is never cut off mid-sentence by the chat service.
"""

from __future__ import annotations

from dataclasses import replace

from .digest import Digest
from .templating import environment, report_page
from .worddiff import GAP, DiffLine, Piece, changed_lines

CHAT_LIMIT = 4000  # characters: a screenful in a chat room, and under most services' limits
DIFF_LINES = 4  # changed lines shown per change
LINE_CHARS = 200  # each cut to this many characters


def chat_message(digest: Digest, markdown: bool, limit: int = CHAT_LIMIT, report_url: str | None = None) -> tuple[str, str]:
    """The digest's title and body (Markdown or plain text) in at most `limit` characters."""
    title = digest.subject().removeprefix("[citewatch] ")
    title = f"citewatch: {title}"
    for excerpts in (True, False):
        body = _render(digest, markdown, report_url, excerpts)
        if len(body) <= limit:
            return title, body
    for kept in range(len(digest.incidents) - 1, 0, -1):
        body = _render(replace(digest, incidents=digest.incidents[:kept]), markdown, report_url, False,
                       left_out=len(digest.incidents) - kept)
        if len(body) <= limit:
            return title, body
    return title, _cut(body, limit)


def _render(digest: Digest, markdown: bool, report_url: str | None, excerpts: bool, left_out: int = 0) -> str:
    template = environment.get_template("digest.chat.md.j2" if markdown else "digest.chat.txt.j2")
    return template.render(
        digest=digest, excerpts=excerpts, left_out=left_out, report=report_url,
        diff_excerpt=_diff_excerpt, page=lambda slug: report_page(report_url, slug),
    ).strip() + "\n"


def _diff_excerpt(diff: str) -> list[DiffLine]:
    """The first changed lines of a change, shortened, and cut at LINE_CHARS characters."""
    return [_cut_paragraph(line) for line in changed_lines(diff)[:DIFF_LINES]]


def _cut_paragraph(line: DiffLine) -> DiffLine:
    kept: list[Piece] = []
    room = LINE_CHARS - 1
    for piece in line.short:
        if len(piece.text) > room:
            kept += [Piece(piece.kind, piece.text[:room]), GAP]
            return DiffLine(line.kind, tuple(kept), tuple(kept))
        kept.append(piece)
        room -= len(piece.text)
    return line


def _cut(body: str, limit: int) -> str:
    """At a line's end, with a mark: one incident longer than the channel takes."""
    cut = body[: max(limit - 2, 0)]
    return cut[: cut.rfind("\n") + 1 or len(cut)] + "…\n"
