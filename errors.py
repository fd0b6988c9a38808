"""What can go wrong, as exceptions the command line maps to its exit status.

- BadInput (exit status 2): bad input or configuration; the message names the file,
  record, key or URL.
- RunFailed (exit status 1): the command ran, but part of its work failed; what was done
  is kept.
- Busy (exit status 0): another citewatch process is doing this job right now, so this
  one did nothing; one line says which process.
"""

from __future__ import annotations


class CitewatchError(Exception):
    """Every error citewatch raises on purpose."""


class BadInput(CitewatchError):
    """Bad input or configuration: the message names the file, record, key or URL."""


class RunFailed(CitewatchError):
    """The work was done in part: what failed is in the message (and the log)."""


class Busy(CitewatchError):
    """Another citewatch process holds this job (a crawl, the Wayback queue, a run): nothing
    was done here, and nothing is lost, since that process does the same work."""


class UnknownSource(BadInput):
    """A URL that no ingested record cites."""


class UnknownIncident(BadInput):
    """An incident slug that no ingested record has."""


class UnsafeMainModule(CitewatchError):
    """citewatch was started by a worker process re-running the host program's __main__."""
