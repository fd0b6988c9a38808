"""The article a JavaScript application carries in its own page, for pages whose HTML
holds no article text: an empty root element, and the article as data for the scripts.

Applications embed their state as JSON: Next.js (`<script id="__NEXT_DATA__">`), Nuxt
(`__NUXT_DATA__`, or `window.__NUXT__` when it is JSON), Apollo and Redux stores
(`window.__APOLLO_STATE__ = {...}`, `__INITIAL_STATE__`, `__PRELOADED_STATE__`), and
JSON-LD (`articleBody`). Whatever the framework, the article is the prose in that data:
strings of sentences, in the order the data holds them, with any markup in them read as
text. Build ids, timestamps, counters, and short strings (labels, headlines of other
stories) are not prose; subtrees named for what is not the article (related stories,
recommendations, comments, navigation, ads) are left out. So an edit inside the state is
a change of the text, and a new build or a new list of recommendations is not.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

PROSE_WORDS = 8  # a string with fewer words is a label, a caption or a teaser, not the article's prose
ARTICLE_WORDS = 40  # less prose than this in all the state is no article
MAX_STATE_CHARS = 5_000_000  # a state larger than this is not read (memory, time)

_STATE_ASSIGNMENT = re.compile(
    r"window\.(__NUXT__|__APOLLO_STATE__|__INITIAL_STATE__|__PRELOADED_STATE__|__INITIAL_DATA__|__DATA__)\s*=\s*"
)
_NOT_THE_ARTICLE = re.compile(
    r"related|recommend|trending|popular|most_?read|more_?(stories|articles|news)|teaser|promo|advert|^ads?$|"
    r"sponsor|comment|nav|menu|footer|header|breadcrumb|newsletter|share|social|author_?bio|^seo$|cookie|consent",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[.!?…。！？؟।]")
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_BLOCK = re.compile(r"</?(?:p|li|blockquote|h[1-6]|div|br|section)\b[^>]*>|\n", re.IGNORECASE)


def state_scripts(tree: HtmlElement) -> list[tuple[str, bool]]:
    """The sources of the page's JSON state, each with whether it is JSON-LD: taken before
    the page's scripts are removed for extraction, read only if the HTML has no text."""
    found = []
    for script in tree.iter("script"):
        source = (script.text or "").strip()
        if not source or len(source) > MAX_STATE_CHARS:
            continue
        kind = (script.get("type") or "").lower()
        if script.get("id") in ("__NEXT_DATA__", "__NUXT_DATA__") or kind in ("application/json", "application/ld+json"):
            found.append((source, kind == "application/ld+json"))
        elif (assignment := _STATE_ASSIGNMENT.search(source)) is not None:
            found.append((source[assignment.end():].rstrip().rstrip(";"), False))
    return found


def embedded_article(scripts: list[tuple[str, bool]]) -> str:
    """The article's paragraphs from the page's state (see state_scripts); empty when it
    has none."""
    paragraphs: dict[str, None] = {}  # in order, once each
    for source, linked_data in scripts:
        state = _json(source)
        state = _ld_articles(state) if linked_data else _unflattened(state)
        for text in _prose(state):
            paragraphs.update(dict.fromkeys(_paragraphs(text)))
    return "\n".join(paragraphs) if sum(len(p.split()) for p in paragraphs) >= ARTICLE_WORDS else ""


def _json(source: str) -> Any:
    try:
        return json.loads(source)
    except (ValueError, RecursionError):  # not JSON (a JavaScript literal), or hostile
        return None


def _ld_articles(state: Any) -> Any:
    """JSON-LD: only the articles' bodies (a page's descriptions are not its text)."""
    items = state if isinstance(state, list) else state.get("@graph", [state]) if isinstance(state, dict) else []
    return [item.get("articleBody") for item in items if isinstance(item, dict) and item.get("articleBody")]


_WRAPPERS = {"Reactive", "ShallowReactive", "Ref", "ShallowRef", "EmptyRef", "EmptyShallowRef", "NuxtError"}
MAX_NODES = 200_000  # a flattened state resolved past this many values is cut (references can fan out)


def _unflattened(state: Any) -> Any:
    """Nuxt 3's payload (devalue): one array of values whose objects hold their members as
    indices into the array, so that only those indices name what a value is (an article's
    text, or a list of related stories). Resolved from the first value; any other state is
    returned as it is."""
    if not (isinstance(state, list) and state and isinstance(state[0], dict)
            and all(isinstance(index, int) for index in state[0].values())):
        return state
    budget = [MAX_NODES]

    def resolve(index: Any, depth: int) -> Any:
        budget[0] -= 1
        if not isinstance(index, int) or not 0 <= index < len(state) or depth > 200 or budget[0] < 0:
            return None
        value = state[index]
        if isinstance(value, dict):
            return {key: resolve(member, depth + 1) for key, member in value.items()}
        if isinstance(value, list):
            if len(value) == 2 and value[0] in _WRAPPERS:
                return resolve(value[1], depth + 1)
            return [resolve(member, depth + 1) for member in value]
        return value

    return resolve(0, 0)


def _prose(state: Any) -> Iterator[str]:
    """The prose strings of a piece of state, in order (iteratively: state nests deep)."""
    stack: list[Any] = [state]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _is_prose(item):
                yield item
        elif isinstance(item, dict):
            stack.extend(value for key, value in reversed(item.items()) if not _NOT_THE_ARTICLE.search(str(key)))
        elif isinstance(item, list) and _paragraph_list(item):
            yield from (text for text in item if len(text.split()) >= 2)  # a table's rows and short lines too
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _paragraph_list(items: list[Any]) -> bool:
    """A list of strings is an article's paragraphs, one per item, when it is mostly prose,
    or when its prose alone is an article's worth: then its other lines (a table's rows, a
    list's items, a dateline) are the article's too, as a page would show them between its
    paragraphs. A list of labels, tags or headlines holds no such prose."""
    if len(items) < 3 or not all(isinstance(item, str) for item in items):
        return False
    prose = sum(len(item.split()) for item in items if _is_prose(item))
    return prose >= ARTICLE_WORDS or prose * 2 >= sum(len(item.split()) for item in items)


def _is_prose(text: str) -> bool:
    if len(text) < 40 or text.startswith(("http://", "https://", "/")):
        return False
    plain = _plain(text)
    return len(plain.split()) >= PROSE_WORDS and bool(_SENTENCE.search(plain))


def _paragraphs(text: str) -> list[str]:
    """A string of prose as paragraphs: its blocks of markup, or its lines."""
    return [line for line in (_plain(block) for block in _BLOCK.split(text)) if line]


def _plain(markup: str) -> str:
    """Markup as the text a reader sees, on one line."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())
