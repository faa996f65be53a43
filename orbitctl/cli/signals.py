"""SIGINT, SIGTERM and SIGHUP during apply: stop starting work, finish what is under way, say so.

CI cancellation, ``docker stop``, systemd and Kubernetes send SIGTERM (GitHub Actions sends
SIGINT, then SIGTERM); a closed terminal sends SIGHUP. Each is handled like Ctrl-C:

- before any change (reading the account, planning, waiting for the lock or for "yes"): the
  command stops at once (``KeyboardInterrupt``), having changed nothing;
- while actions run (``Interruption.executing``): ``stop`` is set, no action starts, those under
  way finish (every purchase is journaled before it is sent), and apply prints what it did and
  exits 1;
- a second signal then exits at once (exit 1), once no journal write is under way, so the
  journal on disk names every purchase sent.

A signal the process was started ignoring (``nohup``, a background job) stays ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: The signals apply handles, in the order of the docs.
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interruption:
    """The signals received by one command, and what they mean at the moment they arrive."""

    def __init__(self) -> None:
        #: set by the first signal while actions run: start nothing more
        self.stop = threading.Event()
        #: the name of the first signal received (``SIGTERM``), or None
        self.received: str | None = None
        self._on_first: Callable[[str], None] | None = None
        self._on_second: Callable[[str], None] | None = None

    @contextmanager
    def handled(self) -> Iterator[Interruption]:
        """Handle the signals for the duration (only in the main thread, where Python runs
        signal handlers); the previous handlers come back afterwards."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {}
        for number in HANDLED_SIGNALS:
            current = signal.getsignal(number)
            if current is signal.SIG_IGN:
                continue
            previous[number] = current
            signal.signal(number, self._handle)
        try:
            yield self
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    @contextmanager
    def executing(self, *, on_first: Callable[[str], None], on_second: Callable[[str], None]) -> Iterator[None]:
        """While actions run: the first signal sets ``stop`` and calls ``on_first(name)``; a
        second one calls ``on_second(name)``, which is expected to end the process."""
        self._on_first, self._on_second = on_first, on_second
        try:
            yield
        finally:
            self._on_first = self._on_second = None

    def _handle(self, number: int, frame) -> None:
        name = signal.Signals(number).name
        if self._on_first is None:
            self.received = self.received or name
            raise KeyboardInterrupt(name)
        if not self.stop.is_set():
            self.received = name
            self.stop.set()
            self._on_first(name)
            return
        if self._on_second is not None:
            self._on_second(name)
