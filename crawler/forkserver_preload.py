"""What the extraction pool's forkserver loads before it forks any worker: the extraction
code (so that each worker starts with trafilatura loaded), and a quiet end for a worker
whose parent died while handing it its work.

A worker forked from the forkserver first reads, from a pipe, what its parent sends it.
If the parent is killed between asking for the worker and writing to that pipe, the
worker reads nothing; multiprocessing then prints an EOFError's traceback on the stderr
the parent left behind (a cron mail, the daemon's journal), as if citewatch had failed,
when all that happened is that it was killed. That worker ends without a word. Imported
only in the forkserver, so citewatch's own process keeps its exception hook.
"""

from __future__ import annotations

import pickle
import sys
import traceback
from types import TracebackType

from . import extract  # noqa: F401 (loaded here for every worker)

_report = sys.excepthook


def _quiet_if_orphaned_at_start(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, (EOFError, pickle.UnpicklingError)) and _while_starting(trace):  # nothing, or cut short
        return
    _report(kind, error, trace)


def _while_starting(trace: TracebackType | None) -> bool:
    """Whether the error rose while the worker read what its parent sends a new process."""
    return any(frame.name == "_main" and frame.filename.endswith("multiprocessing/spawn.py")  # a forkserver is POSIX only
               for frame in traceback.extract_tb(trace))


sys.excepthook = _quiet_if_orphaned_at_start
