"""Where orbitctl keeps the files of a checkout: the apply locks, the purchase journal, the
porting requests it submitted and the embedded sandbox's account, in ``.orbitctl/``.

The folder belongs to the checkout, not to the working directory, so that every apply of one
repository shares one lock and one journal however it was started (``cd repo && orbitctl apply
numbers.yaml`` and ``cd repo/sub && orbitctl apply ../numbers.yaml`` alike):

- ``$ORBITCTL_STATE_DIR`` when set (made absolute against the working directory);
- else ``.orbitctl/`` at the checkout root of the manifests: the nearest folder, from the first
  manifest's folder upwards, that holds ``.git`` or ``.hg`` (a file or a folder: a Git worktree
  or submodule has a ``.git`` file);
- else ``.orbitctl/`` in the first manifest's own folder.

Commands that read no manifest (``export``, ``port``) start the same search from the working
directory. :func:`exclusive` is the lock held around a read-modify-write of one of its files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from orbitctl.errors import OrbitctlError

#: The folder's name.
STATE_DIR_NAME = ".orbitctl"
#: The environment variable that names the folder outright.
STATE_DIR_ENV = "ORBITCTL_STATE_DIR"
#: What marks a checkout's root folder.
CHECKOUT_MARKERS = (".git", ".hg")


def checkout_root(start: Path) -> Path | None:
    """The nearest folder from ``start`` upwards that holds a checkout marker, or None."""
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in CHECKOUT_MARKERS):
            return folder
    return None


def state_dir(anchors: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """The ``.orbitctl/`` folder for a command reading the manifests ``anchors`` (files or
    folders; none: the working directory), as an absolute path. See the module's rule."""
    named = os.environ.get(STATE_DIR_ENV)
    if named:
        return Path(os.path.abspath(named))
    start = Path(os.path.realpath(Path.cwd()))
    for anchor in anchors:
        path = Path(os.path.realpath(anchor))
        start = path if path.is_dir() else path.parent
        break
    root = checkout_root(start)
    return (root or start) / STATE_DIR_NAME


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
