"""What reaches the terminal: citewatch's own messages at the level asked for, and other
libraries' (Scrapy, Twisted, trafilatura, Apprise, Python warnings) only when asked.

Every outcome a library warns about or logs as an error (a redirect, a page that cannot be
parsed, a failed delivery) is recorded by citewatch and told in its own words, so a
library's lines are details for -v; only a library's critical errors always show.
Verbosity: -1 (-q: citewatch's errors only), 0 (citewatch's warnings and errors), 1 (-v:
citewatch's progress, libraries' warnings and errors), 2 (-vv: everything, Scrapy's debug
lines included).

The command line configures this once; the processes a crawl starts (crawl shards,
extraction workers) get the same through `current()` and `configure_like()`.
"""

from __future__ import annotations

import logging
import sys

OWN_LOGGER = "citewatch"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_OWN_LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}
_LIBRARY_LEVELS = {-1: logging.CRITICAL, 0: logging.CRITICAL, 1: logging.WARNING, 2: logging.DEBUG}

_configured: tuple[int, bool] | None = None


class _ByOrigin(logging.Filter):
    """Lets a record through at its origin's level: citewatch's own, or a library's."""

    def __init__(self, verbosity: int, progress: bool) -> None:
        super().__init__()
        self.own = min(_OWN_LEVELS[verbosity], logging.INFO) if progress else _OWN_LEVELS[verbosity]
        self.library = _LIBRARY_LEVELS[verbosity]

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= (self.own if _own(record) else self.library)


def _own(record: logging.LogRecord) -> bool:
    return record.name == OWN_LOGGER or record.name.startswith(OWN_LOGGER + ".")


class _AsTheCommandSays(logging.Formatter):
    """citewatch's own warnings and errors as the command line says things ("error: ...");
    everything else (progress, libraries' lines) with its time, level and origin."""

    def format(self, record: logging.LogRecord) -> str:
        if _own(record) and record.levelno >= logging.WARNING and not record.exc_info:
            return f"{record.levelname.lower()}: {record.getMessage()}"
        return super().format(record)


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (a test may swap it)."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        pass


def configure(verbosity: int, progress: bool = False) -> None:
    """Log to stderr at `verbosity` (-1 to 2; values beyond are clamped); with `progress`,
    citewatch's own progress too, every line with its time (the daemon's log). Called
    again, it replaces what it set before (a subcommand's own -v or -q)."""
    global _configured
    verbosity = max(-1, min(2, verbosity))
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Stderr):
            root.removeHandler(handler)
    handler = _Stderr()
    handler.setFormatter(logging.Formatter(FORMAT) if progress else _AsTheCommandSays(FORMAT))
    origin = _ByOrigin(verbosity, progress)
    handler.addFilter(origin)
    root.addHandler(handler)
    # Records below both thresholds are never made (Scrapy logs every request at DEBUG).
    root.setLevel(min(origin.own, origin.library))
    logging.captureWarnings(True)  # warnings.warn() from libraries: "py.warnings", a library's
    _configured = (verbosity, progress)


def current() -> tuple[int, bool] | None:
    """`configure`'s arguments in this process, if it was called: for the processes it starts."""
    return _configured


def configure_like(parent: tuple[int, bool] | None) -> None:
    """In a process citewatch started: log as its parent does (nothing, if it did not configure)."""
    if parent is not None:
        configure(*parent)
