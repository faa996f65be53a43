"""One apply of a stack at a time from a checkout: an advisory lock per stack in ``.orbitctl/``.

Two applies planning against the same account at once each see a number missing and could both
buy it. The lock (``.orbitctl/locks/<stack>.lock`` of the checkout, wherever apply was started
from) is taken once the manifests are loaded, before the account is read, and held until the last
action ends, so a second apply of the stack from the same checkout stops at once, changing
nothing, or waits for it (``timeout``). Applies of two stacks run side by side. Applies from
different checkouts cannot see each other's lock: apply detects the surplus they cause instead
(see docs/ownership-and-safety.md).
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from orbitctl.errors import OrbitctlError

#: The folder of the locks inside ``.orbitctl/``.
LOCKS_FOLDER = "locks"
#: How often a waiting apply tries the lock again.
POLL_SECONDS = 0.2


def lock_path(state_dir: Path, stack: str) -> Path:
    return state_dir / LOCKS_FOLDER / f"{stack}.lock"


@contextmanager
def apply_lock(state_dir: Path, stack: str, *, timeout: float = 0.0, on_wait=None) -> Iterator[Path]:
    """Hold the lock of ``stack`` in ``state_dir``; wait up to ``timeout`` seconds while another
    apply holds it (``on_wait(holder)`` is called once when waiting starts), then OrbitctlError.
    Yields the lock file's path."""
    path = lock_path(state_dir, stack)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - closed by the `with` below, once an OSError is worded
    except OSError as problem:
        raise OrbitctlError(f"cannot take the apply lock {path}: {problem.strerror}") from None
    with handle:
        deadline = time.monotonic() + timeout
        waiting = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    still = f"still held after waiting {timeout:g} s" if timeout else "wait for it to finish"
                    raise OrbitctlError(
                        f"another 'orbitctl apply' of stack '{stack}' is running from this checkout "
                        f"(it holds {path}{_holder(path)}); {still}, or pass --lock-timeout (e.g. 5m) "
                        "to wait for it: two applies at once could buy the same number twice; nothing was changed"
                    ) from None
                if not waiting and on_wait is not None:
                    on_wait(_holder(path))
                waiting = True
                time.sleep(POLL_SECONDS)
        try:
            _write_holder(handle)
            yield path
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_holder(handle) -> None:
    """Who holds the lock, for the message of the next one refused."""
    try:
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {started}\n")
        handle.flush()
    except OSError:
        pass  # the lock holds without it


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return f": {text}" if text else ""
