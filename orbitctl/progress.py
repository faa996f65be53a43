"""A progress bar on stderr for work that takes more than a moment, only on a terminal."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported only once a bar is shown
    from rich.progress import Progress, TaskID

#: Work shorter than this shows no bar at all.
SHOW_AFTER_SECONDS = 0.5


class LazyProgress:
    """Call ``update(done, total)`` from any thread; the bar appears once the work is slow."""

    def __init__(self, description: str, *, enabled: bool):
        self.description = description
        self.enabled = enabled
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._bar: tuple[Progress, TaskID] | None = None  # the bar and its one task, once shown

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._bar is None:
                if time.monotonic() - self._started < SHOW_AFTER_SECONDS:
                    return
                from rich.console import Console
                from rich.progress import Progress

                bar = Progress(console=Console(stderr=True), transient=True)
                bar.start()
                self._bar = (bar, bar.add_task(self.description, total=total))
            bar, task = self._bar
            bar.update(task, completed=done, total=total)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar[0].stop()


@contextmanager
def progress(description: str, *, enabled: bool | None = None) -> Iterator[LazyProgress]:
    """A LazyProgress, enabled by default only when stderr is a terminal."""
    bar = LazyProgress(description, enabled=sys.stderr.isatty() if enabled is None else enabled)
    try:
        yield bar
    finally:
        bar.close()
