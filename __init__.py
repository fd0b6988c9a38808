"""citewatch: keeps the sources cited by an incident database honest.

    from citewatch import Citewatch, load_settings

    with Citewatch(load_settings("citewatch.toml")) as cw:
        cw.ingest(["records/"])
        cw.check(all=True)

The packages, from the top (each imports only those below it; import-linter checks this):

- ``citewatch.scheduler``: the ``citewatch`` command line and the daemon;
- ``citewatch.facade``: ``Citewatch``, the library that does the work;
- ``citewatch.reports`` and ``citewatch.crawler``: digests, notifiers and report formats;
  fetching, extracting and judging;
- ``citewatch.storage``: the SQLite database (all SQL lives here), the WARC archive and the
  Wayback Machine;
- ``citewatch.config``: typed settings loaded from TOML;
- ``citewatch.model``, ``citewatch.urls``, ``citewatch.times``, ``citewatch.plugins``,
  ``citewatch.errors``: the records, rules and helpers every layer shares.
"""

from typing import Any

from .version import __version__

__all__ = ["Citewatch", "load_settings", "Settings", "__version__"]


def __getattr__(name: str) -> Any:
    """`Citewatch` and the settings are loaded on first use, so that importing one module of
    citewatch (as a crawl's worker processes do) does not load them all."""
    if name == "Citewatch":
        from .facade import Citewatch

        return Citewatch
    if name in ("load_settings", "Settings"):
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'citewatch' has no attribute {name!r}")
