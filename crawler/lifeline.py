"""Child processes that end with their parent, however it ended.

A crawl's child processes (the shards of a big crawl, the extraction workers) must not
outlive the process that started them: killed with SIGKILL, it leaves them crawling and
storing checks beside the next run, which its freed run lock lets in. Each child watches
its parent's sentinel (a pipe whose other end only the parent holds, so it closes when the
parent dies: see multiprocessing.parent_process) and ends at once when it closes. A child
also looks again just before each commit, so that it writes nothing once its parent is
gone (short of the parent dying in the microseconds between that look and the commit).
"""

from __future__ import annotations

import multiprocessing
import os
import threading

ORPHANED = 3  # the exit status of a child whose parent died

_watched: multiprocessing.process.BaseProcess | None = None


def end_with_parent() -> None:
    """In a child process of citewatch's: end this process as soon as its parent ends."""
    global _watched
    parent = multiprocessing.parent_process()
    if parent is None or _watched is not None:
        return
    _watched = parent
    threading.Thread(target=_end_after, args=(parent,), name="citewatch-lifeline", daemon=True).start()


def end_if_orphaned() -> None:
    """In a child that watches its parent: end now, without writing, if the parent is gone."""
    if _watched is not None and not _watched.is_alive():
        _end()


def _end_after(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the sentinel closes
    _end()


def _end() -> None:
    """End at once: no cleanup that could write, commit or wait, and no log line (a log
    handler may wait on a pipe nobody reads any more)."""
    os._exit(ORPHANED)
