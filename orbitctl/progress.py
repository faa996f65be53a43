"""A progress bar on stderr for work that takes more than a moment, only on a terminal."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Work shorter than this shows no bar at all.
SHOW_AFTER_SECONDS = 0.5


class LazyProgress:
    """Call ``update(done, total)`` from any thread; the bar appears once the work is slow."""

    def __init__(self, description: str, *, enabled: bool):
        self.description = description
        self.enabled = enabled
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._bar = None
        self._task = None

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._bar is None:
                if time.monotonic() - self._started < SHOW_AFTER_SECONDS:
                    return
                from rich.console import Console
                from rich.progress import Progress

                self._bar = Progress(console=Console(stderr=True), transient=True)
                self._bar.start()
                self._task = self._bar.add_task(self.description, total=total)
            self._bar.update(self._task, completed=done, total=total)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()


@contextmanager
def progress(description: str, *, enabled: bool | None = None) -> Iterator[LazyProgress]:
    """A LazyProgress, enabled by default only when stderr is a terminal."""
    bar = LazyProgress(description, enabled=sys.stderr.isatty() if enabled is None else enabled)
    try:
        yield bar
    finally:
        bar.close()
