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
directory. :class:`LockFile` is the lock held around a read-modify-write of one of its files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import weakref
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


class LockFile:
    """``path`` (made, with its folder, when missing), held exclusively around each read-modify-write
    of another file (``held``), waiting for another holder; kept open between holds, so that taking
    it costs a ``flock`` and a ``stat`` (is the path still this file?), not opening it."""

    def __init__(self, path: Path, *, what: str):
        self.path = path
        self._what = what
        self._descriptor: list[int | None] = [None]
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file held open
        #: flock excludes other open files, not other threads using this one
        self._threads = threading.Lock()
        weakref.finalize(self, close_held, self._descriptor)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock (also against the other threads; not re-entrant); OrbitctlError
        ("cannot lock {what}: why") when it cannot be opened or checked."""
        with self._threads:
            descriptor = self._take()
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)

    def _take(self) -> int:
        """flock the file the path names now (one removed or replaced meanwhile is let go)."""
        while True:
            descriptor = self._open()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                if self._still_the_file():
                    return descriptor
            except BaseException:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                raise
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            close_held(self._descriptor)

    def close(self) -> None:
        close_held(self._descriptor)

    def _open(self) -> int:
        descriptor = self._descriptor[0]
        if descriptor is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                descriptor = self._descriptor[0] = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
                held = os.fstat(descriptor)
            except OSError as problem:
                raise OrbitctlError(f"cannot lock {self._what}: {problem.strerror or problem}") from None
            self._identity = (held.st_dev, held.st_ino)
        return descriptor

    def _still_the_file(self) -> bool:
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        except OSError as problem:
            raise OrbitctlError(f"cannot lock {self._what}: {problem.strerror or problem}") from None
        return (named.st_dev, named.st_ino) == self._identity


def close_held(holder: list[int | None]) -> None:
    """Close the descriptor ``holder[0]`` if there is one (a file kept open between uses), and
    leave None there."""
    descriptor, holder[0] = holder[0], None
    if descriptor is not None:
        with contextlib.suppress(OSError):
            os.close(descriptor)


@contextlib.contextmanager
def exclusive(lock_path: Path, *, what: str) -> Iterator[None]:
    """Hold ``lock_path`` exclusively once (see :class:`LockFile`), closing it after."""
    lock = LockFile(lock_path, what=what)
    try:
        with lock.held():
            yield
    finally:
        lock.close()
