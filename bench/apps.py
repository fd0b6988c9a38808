"""Articles as JavaScript applications serve them: an empty root element, the article
in the state the page embeds for its scripts, in the shapes the common frameworks use
(Next.js, Nuxt 3, an Apollo or Redux store, JSON-LD only), or in the script's own code,
which only a browser running it shows. Each carries what changes on
every build or request (build ids, timestamps, a list of recommended stories)."""

from __future__ import annotations

import html
import json
import random

FRAMEWORKS = ("next", "nuxt", "apollo", "redux", "json-ld")
SCRIPTED = "scripted"  # no state in the page: only running its script shows the article (needs a browser)


def app_page(title: str, paragraphs: list[str], framework: str, rng: random.Random) -> str:
    """The article as `framework` embeds it, with a fresh build id, timestamps and recommendations."""
    body_html = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    related = [{"title": f"{rng.choice(TEASERS)} {rng.randint(2, 99)}", "summary": rng.choice(TEASERS) + " Read more."}
               for _ in range(4)]
    stamp = f"2026-01-{rng.randint(10, 28)}T{rng.randint(10, 23)}:00:00Z"
    build = "".join(rng.choice("abcdef0123456789") for _ in range(12))
    head, body = f"<title>{html.escape(title)}</title>", "<div id='root'></div>"
    if framework == "next":
        state = {"props": {"pageProps": {"article": {"title": title, "body": body_html, "updatedAt": stamp},
                                         "recommended": related}}, "buildId": build, "page": "/article/[slug]"}
        body += f"<script id='__NEXT_DATA__' type='application/json'>{_safe(state)}</script>"
    elif framework == "nuxt":  # Nuxt 3 flattens its payload into an array of values
        payload = [{"data": 1, "state": 4}, {"article": 2}, {"title": 3, "content": 5, "published": 6}, title,
                   {"related": 7, "build": 8}, "\n".join(paragraphs), stamp, related, build]
        body += f"<script id='__NUXT_DATA__' type='application/json'>{_safe(payload)}</script>"
    elif framework == "apollo":
        state = {"Article:1": {"__typename": "Article", "headline": title, "content": "\n".join(paragraphs),
                               "fetchedAt": stamp}, "ROOT_QUERY": {"trending": related, "build": build}}
        body += f"<script>window.__APOLLO_STATE__ = {_safe(state)};</script>"
    elif framework == "redux":
        state = {"story": {"headline": title, "paragraphs": paragraphs, "lastModified": stamp},
                 "ui": {"build": build}, "mostRead": related}
        body += f"<script>window.__PRELOADED_STATE__ = {_safe(state)}</script>"
    elif framework == SCRIPTED:
        chunks = json.dumps([html.escape(p) for p in paragraphs]).replace("</", "<\\/")
        body += (f"<script>setTimeout(function () {{ var p = {chunks}; document.getElementById('root').innerHTML = "
                 "'<article>' + p.map(function (t) { return '<p>' + t + '</p>'; }).join('') + '</article>'; }, 30);</script>")
    else:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                "articleBody": "\n".join(paragraphs), "dateModified": stamp}
        head += f"<script type='application/ld+json'>{_safe(data)}</script>"
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}<script src='/_app/{build}.js'></script></body></html>"


def single_page_app(title: str, paragraphs: list[str] | None, not_found: str) -> str:
    """A single-page application's shell, the same for every path of its host (made-up ones
    answered 200 with it too): its script draws the article it holds, or, with none, the
    application's own "not found" view."""
    article = _safe("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) if paragraphs else "")
    return (f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body><div id='app'></div>"
            f"<script>var article = {article}; document.getElementById('app').innerHTML = "
            f"article ? '<main><article>' + article + '</article></main>' : {_safe(not_found)};</script>"
            "<script src='/assets/index-4f9c2a.js'></script></body></html>")


# Applications' own "not found" views: a heading and a line, in many languages and
# wordings, some in none that citewatch's not-found wording knows (then only their
# likeness to the answer to a made-up path, drawn alike, tells them).
NOT_FOUND_VIEWS = (
    "<h1>404</h1><p>This page could not be found.</p>",
    "<h2>Nothing here</h2><p>The link you followed may be broken, or the story may have been taken down.</p><a href='/'>Home</a>",
    "<h1>Página no encontrada</h1><p>Lo sentimos, no pudimos encontrar lo que buscabas.</p>",
    "<div class='x9f'><b>Hmm…</b><p>Il n'y a rien à cette adresse. Revenez à l'accueil.</p></div>",
    "<h1>Ups!</h1><p>Diese Seite gibt es leider nicht (mehr).</p>",
    "<h1>Ops…</h1><p>O conteúdo que você procura não está aqui.</p>",
    "<h2>Ничего не нашлось</h2><p>Возможно, материал перенесён или адрес набран с ошибкой.</p>",
    "<h1>Bu sayfa yok</h1><p>Aradığınız içerik taşınmış ya da hiç var olmamış olabilir.</p>",
    "<h1>لا شيء هنا</h1><p>ربما تم نقل هذه الصفحة أو حذفها.</p>",
)


def _safe(state: object) -> str:
    """JSON inside a <script>: no "</" that would end it."""
    return json.dumps(state).replace("</", "<\\/")


TEASERS = (
    "Ministers meet again as budget talks stall in the capital", "Storm warning issued for the coast this weekend",
    "Football: the cup final goes to extra time", "Markets fall as oil prices rise again",
    "New museum opens its doors to the public", "Flights cancelled after the strike at the airport",
)
