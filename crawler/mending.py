"""Mending the page around trafilatura, where it misreads real news pages.

Change detection can only see the article text that extraction returns: a paragraph left
out is an edit nobody hears of, script source let in is a false alert. Three mends, each
measured on the real pages of the article-extraction corpus (bench/change_accuracy.py):

- scripts and styles are removed before extraction: with favor_recall, trafilatura's
  fallback can return a <script>'s source as text when the page around it changes;
- layout tables (cells holding paragraphs) become plain blocks, so that an article laid
  out in one table cell keeps its paragraphs instead of becoming one long line;
- paragraphs trafilatura left out of the very containers it took the article from (an
  article body split into several containers around ads, a paragraph thick with links)
  are put back in their place, unless they are mostly links ("related" teasers);
- boxes that sit inside articles and change from visit to visit are removed by what they
  are, whatever their class names: a small box holding a form that asks for an email
  address (a newsletter sign-up), a list of links (related coverage), a slot labelled as
  an advertisement or sponsored content, a "story continues below" line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from lxml.html import HtmlElement

from . import wording

_LAYOUT_CELL_CONTENT = ".//p | .//h1 | .//h2 | .//h3 | .//blockquote | .//article"  # none of a data table's
_TABLE_PARTS = "./thead | ./tbody | ./tfoot | ./caption | ./tr | ./*/tr | ./tr/td | ./tr/th | ./*/tr/td | ./*/tr/th"
_OUTSIDE_ARTICLE = {"nav", "header", "footer", "aside", "form", "figcaption"}
# A container is the article's when this many of its paragraphs were extracted: one alone
# can be a coincidence (a caption repeating the lede).
MIN_EXTRACTED_IN_CONTAINER = 2
LINK_LIST_SHARE = 0.8  # of a paragraph's or a list's text in links, beyond which it is teasers


BOX_WORDS = 60  # a sign-up box, an ad slot or a "continues below" line is short
LABELLED_SLOT_WORDS = 30  # an ad slot: its label and the advertisement
BOX_NEIGHBOUR_WORDS = 12  # a box's container holds little else (a button, a heading), or it is not the box


def prepare_tree(tree: HtmlElement) -> None:
    """Remove scripts, styles (JSON-LD stays: it carries the metadata), the text inside
    iframes and the boxes inside articles, and unwrap layout tables, in place."""
    for element in tree.xpath("//script[not(contains(@type, 'json'))] | //style"):
        element.drop_tree()  # keeps the text after it
    for frame in tree.iter("iframe"):  # what a browser without frames would show: no reader sees it
        frame.text = None
        for child in list(frame):
            frame.remove(child)
    for box in list(_inline_boxes(tree)):
        if box.getparent() is not None:
            box.drop_tree()
    for table in list(tree.iter("table")):
        parts = table.xpath(_TABLE_PARTS)
        cells = [part for part in parts if part.tag in ("td", "th")]
        if any(cell.xpath(_LAYOUT_CELL_CONTENT) for cell in cells):
            for element in (table, *parts):
                element.tag = "div"


def _inline_boxes(tree: HtmlElement) -> Iterator[HtmlElement]:
    for field in tree.xpath("//form//input[@type='email' or contains(@name, 'mail')]"):
        yield _small_container(field)
    for listing in tree.xpath("//ul | //ol"):
        items = listing.findall("li")
        if len(items) >= 2 and all(item.find(".//a") is not None for item in items) and link_share(listing) >= LINK_LIST_SHARE:
            heading = listing.getprevious()
            if heading is not None and heading.tag in ("h2", "h3", "h4", "h5", "p", "strong") and len(_words(heading)) <= 6:
                yield heading  # its "Related coverage" title
            yield listing
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "article", "main"):
            continue
        own = (element.text or "").strip()
        if not own or len(own) > 100:
            continue
        if wording.is_label(own):
            yield _small_container(element, LABELLED_SLOT_WORDS)  # the slot the label names, with its ad
        elif wording.says_continues(own) or wording.is_sponsor_line(own):
            if len(_words(element)) <= 12:
                yield element


def _small_container(element: HtmlElement, words: int = BOX_WORDS) -> HtmlElement:
    """The largest ancestor of `element` that is still a small box of its own: never one
    that also holds other text, such as a paragraph of the article wrapped with it."""
    box = element
    parent = element.getparent()
    while parent is not None and parent.tag not in ("body", "article", "main", "p"):
        size, own = len(_words(parent)), len(_words(box))
        if size > words or size - own > BOX_NEIGHBOUR_WORDS:
            break
        box, parent = parent, parent.getparent()
    return box


def _words(element: HtmlElement) -> list[str]:
    return element.text_content().split()


def link_share(element: HtmlElement) -> float:
    """The share of an element's text (white space aside) that sits in its links."""
    total = len(_key(element.text_content()))
    linked = sum(len(_key(anchor.text_content())) for anchor in element.iter("a"))
    return linked / total if total else 0.0


def restore_left_out_paragraphs(tree: HtmlElement, text: str) -> str:
    """`text` (one paragraph per line) with the paragraphs trafilatura left out of the
    containers it extracted from, each put back after the paragraph it follows on the page."""
    lines = text.splitlines()
    keys = [_key(line) for line in lines]
    flat = "".join(keys)
    paragraphs = [(p, _key(p.text_content())) for p in _body_paragraphs(tree)]
    extracted = Counter(_container(p) for p, key in paragraphs if key and key in flat)
    article = {container for container, count in extracted.items() if count >= MIN_EXTRACTED_IN_CONTAINER}
    inserts: dict[int, list[str]] = {}
    position = -1  # the line of the last extracted paragraph seen, in page order
    for paragraph, key in paragraphs:
        if not key or _container(paragraph) not in article or link_share(paragraph) >= LINK_LIST_SHARE:
            continue
        if key not in flat:
            inserts.setdefault(position, []).append(" ".join(paragraph.text_content().split()))
        elif (found := _line_holding(keys, key, position)) is not None:
            position = found  # (a paragraph broken over lines leaves the position where it was)
    if not inserts:
        return text
    mended = inserts.get(-1, [])
    for index, line in enumerate(lines):
        mended += [line, *inserts.get(index, [])]
    return "\n".join(mended)


def _body_paragraphs(tree: HtmlElement) -> Iterator[HtmlElement]:
    for paragraph in tree.iter("p"):
        if not any(ancestor.tag in _OUTSIDE_ARTICLE for ancestor in paragraph.iterancestors()):
            yield paragraph


def _container(paragraph: HtmlElement) -> tuple[str, str]:
    """Containers of the same template (tag and class) count as one: a body split in parts."""
    parent = paragraph.getparent()
    return (parent.tag, parent.get("class") or "") if parent is not None else ("", "")


def _line_holding(keys: list[str], key: str, after: int) -> int | None:
    for index in (*range(after + 1, len(keys)), *range(0, after + 1)):
        if key in keys[index]:
            return index
    return None


def _key(text: str) -> str:
    return "".join(text.split())
