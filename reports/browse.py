"""`citewatch serve`: Datasette over the citewatch database, read-only, with the titles,
facets and canned queries of storage/browse.py, and diffs shown as diffs.

Datasette opens a database it may not change with `mode=ro` connections: nothing served
can write, and citewatch keeps checking while it serves.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from citewatch.storage.browse import browse_metadata
from citewatch.storage.packing import read_only_packer

from .templating import DIFF_CSS, diff_lines, environment

SETTINGS = {
    "default_page_size": 50,
    "sql_time_limit_ms": 5000,  # a big database: a maintainer's query may take a while
    "facet_time_limit_ms": 1000,
    "truncate_cells_html": 400,
    "allow_download": False,  # the database holds the outbox's messages: browsing, not copying
}


_STYLE = (DIFF_CSS + ".diff{min-width:36em;max-width:60em}"
          ".citewatch-text{white-space:pre-wrap;max-width:60em;max-height:20em;overflow:auto}")


class DatasettePlugin:
    """citewatch's hooks in Datasette: a `diff` column shows as the report shows a change;
    a snapshot's text (stored compressed) as text."""

    @staticmethod
    def render_cell(value: object, column: str, table: str | None, database: str, datasette) -> Markup | None:  # type: ignore[no-untyped-def]
        if table == "snapshots" and column == "text" and isinstance(value, bytes):  # stored compressed
            text = read_only_packer(datasette.get_database(database).path).unpack(value)
            return Markup('<div class="citewatch-text">{}</div>').format(text[:2000])
        if column != "diff" or not isinstance(value, str):
            return None
        return environment.get_template("_diff.html.j2").module.diff_html(diff_lines(value, 400))  # type: ignore[attr-defined]

    @staticmethod
    def extra_css_urls() -> list[str]:
        return ["data:text/css," + quote(_STYLE)]


def browse_app(path: Path):  # type: ignore[no-untyped-def]
    """A Datasette instance over the citewatch database file at `path` (opened and migrated
    before), started: ready to serve, or to be queried through its test client."""
    from datasette import hookimpl
    from datasette.app import Datasette
    from datasette.plugins import pm

    if not pm.has_plugin("citewatch"):
        for hook in (DatasettePlugin.render_cell, DatasettePlugin.extra_css_urls):
            hookimpl(hook)
        pm.register(DatasettePlugin, name="citewatch")
    app = Datasette([str(path)], metadata=browse_metadata(), settings=SETTINGS)
    asyncio.run(app.invoke_startup())
    return app
