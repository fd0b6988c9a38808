"""One process at a time per job and data directory.

An flock on `storage.dir/<job>.lock` (`citewatch.lock` for a run or the daemon,
`crawl.lock`, `timestamps.lock`, `wayback.lock`, `alert.lock`): the kernel releases it when its process dies, so a lock left by a killed run
never blocks the next one; the PID written in the file lets the next run say whose lock
it took over, or who holds it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)


class RunLock:
    def __init__(self, directory: Path, name: str = "citewatch"):
        self.path = directory / f"{name}.lock"
        self._handle: IO[str] | None = None
        self.holder: str | None = None  # the PID of the run holding it, when we could not

    def acquire(self, wait: float = 0) -> bool:
        """Take the lock, waiting up to `wait` seconds for another run to let it go;
        False if another live run still holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                handle.seek(0)
                self.holder = handle.read().strip() or "unknown"
                handle.close()
                return False
        handle.seek(0)
        previous = handle.read().strip()
        if previous and previous != str(os.getpid()):
            logger.warning("took over the lock of run %s, which ended without releasing it", previous)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.truncate(0)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
