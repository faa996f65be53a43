"""``exclusive``: an advisory lock on a file beside the state files of a checkout, held around a
read-modify-write so that two orbitctl processes never lose each other's change."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from orbitctl.errors import OrbitctlError


@contextlib.contextmanager
def exclusive(lock_path: Path, *, what: str) -> Iterator[None]:
    """Hold ``lock_path`` (made, with its folder, when missing) exclusively, waiting for another
    holder; OrbitctlError ("cannot lock {what}: why") when it cannot be opened."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a")  # noqa: SIM115 - closed by the `with` below
    except OSError as problem:
        raise OrbitctlError(f"cannot lock {what}: {problem.strerror or problem}") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
