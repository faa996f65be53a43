"""``write_atomically``: the one way orbitctl writes a file the user named (a plan, a manifest)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from orbitctl.errors import OrbitctlError


def write_atomically(path: str | os.PathLike, text: str, *, what: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it (mode 0600), then a rename, so
    a failure leaves no half-written file. Missing folders are made.

    Raises ``OrbitctlError`` ("cannot write {what} PATH: why") when it cannot be written."""
    target = Path(path)
    folder = target.parent
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as problem:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise OrbitctlError(f"cannot write {what} {target}: {_why(problem, folder)}") from None
    except BaseException:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise


def _why(problem: OSError, folder: Path) -> str:
    """The reason, naming the file that stands where a folder is needed (mkdir says only 'File
    exists' or 'Not a directory')."""
    blocking = next((part for part in (folder, *folder.parents) if part.exists() and not part.is_dir()), None)
    if blocking is not None:
        return f"{blocking} is not a folder"
    return problem.strerror or str(problem)
