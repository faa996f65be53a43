"""One apply at a time from a checkout: an advisory lock in ``.orbitctl/``.

Two applies planning against the same account at once each see a number missing and could both
buy it. The lock is taken before the plan is made and held until the last action ends, so a
second apply from the same checkout stops at once, changing nothing. Applies from different
machines are the CI's to serialise (one concurrency group per stack, see docs/ci.md).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orbitctl.errors import OrbitctlError

LOCK_FILENAME = "apply.lock"


@contextmanager
def apply_lock(directory: Path) -> Iterator[None]:
    """Hold ``directory/apply.lock``; OrbitctlError at once if another apply holds it."""
    path = directory / LOCK_FILENAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")  # noqa: SIM115 - closed by the `with` below, once an OSError is worded
    except OSError as problem:
        raise OrbitctlError(f"cannot take the apply lock {path}: {problem.strerror}") from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OrbitctlError(
                f"another 'orbitctl apply' is running from this checkout (it holds {path}); "
                "wait for it to finish: two applies at once could buy the same number twice"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
