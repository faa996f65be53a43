"""The purchase journal's file: its entries as of the last rewrite, then each change since, appended.

    {"format_version": "2", "generation": "9f2c41d07a5e6b13", "entries": [{...}, ...]}
    {"put": {...}}
    {"drop": "?prod:+14155550100"}

The first line is a JSON document of the entries (``generation`` is new at each rewrite); each
line after it puts an entry (by its key) or drops one. Appending changes costs one write and one
fdatasync, where rewriting the file costs a temporary file, two fsyncs and a rename. The file is
rewritten (to a temporary file, fsynced, renamed over it, the folder fsynced) when it is first
made, once the lines appended outnumber ``REWRITE_AFTER`` and four per entry, and when asked
(``rewrite``): so it stays bounded by its entries, and at rest it is one JSON document, as a file
of format 1 (one indented document, read as it is and rewritten at the first change) was.

A change is one whole line. Bytes after the last whole line are a write under way (seen by a
reader without the lock) or one cut short by a crash, whose writer never learnt it was written:
they are ignored, and cut off before the next append.

Every change is made under the caller's file lock, after ``load``. The file object keeps the file
open and what it read, and then reads only what was appended since, as long as the path still
names the file it holds open (a rewrite renames a new one over it) and the file is no shorter than
what it read: a change costs a ``stat``, a write and an fdatasync, not opening and reading the
file (each call the operating system blocks in hands the interpreter to the other threads, and a
purchase waits for its intent to be on disk).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from orbitctl.statedir import close_held

FORMAT_VERSION = "2"
#: Lines appended after which the file is rewritten (or four per entry, if that is more).
REWRITE_AFTER = 200

#: Why a file may be readable and not writable (a read-only file system, or permissions).
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)

#: ``os.fdatasync`` where the system has it (not on macOS)
_datasync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


E = TypeVar("E", bound=_Keyed)


class JournalFile(Generic[E]):
    """The file at ``path``: entries turned into JSON objects by ``encode``, and back by
    ``decode`` (which raises ValueError, KeyError or TypeError on what it cannot take). Not
    thread-safe: its caller holds a lock."""

    def __init__(self, path: Path, *, encode: Callable[[E], dict[str, Any]], decode: Callable[[Any], E]):
        self.path = path
        self._encode = encode
        self._decode = decode
        #: the entries as of ``_offset``, by key
        self._entries: dict[str, E] = {}
        #: the first line as read (b"": none read, or a file of format 1)
        self._head = b""
        #: bytes read, up to the end of the last whole line; and the file's size then
        self._offset = 0
        self._size = 0
        #: lines appended after the first
        self._appended = 0
        #: the file, open (``_descriptor[0]``; None: not open), and its (device, inode)
        self._descriptor: list[int | None] = [None]
        self._identity: tuple[int, int] | None = None
        self._writable = False
        weakref.finalize(self, close_held, self._descriptor)

    def load(self) -> dict[str, E]:
        """The entries on disk, by key (a copy to change and ``save``).

        Raises OSError when the file cannot be read, ValueError (KeyError, TypeError) when it is
        not valid."""
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            self._close()
            self._reset()
            return {}
        if self._head and (status.st_dev, status.st_ino) == self._identity and status.st_size >= self._offset:
            # the file read before, appended to since (or not): a torn tail is read again too,
            # as another writer may have cut it and appended a line of the same length
            if status.st_size != self._offset or self._size != self._offset:
                self._read(_read_from(self._open(), self._offset), self._offset)
        else:
            self._close()
            self._reset()
            try:
                self._read(_read_from(self._open(), 0), 0)
            except FileNotFoundError:  # removed since the stat
                self._close()
                self._reset()
        return dict(self._entries)

    def save(self, entries: dict[str, E]) -> None:
        """Write ``entries`` (``load``'s, changed) under the lock ``load`` was called under: the
        changes appended, or the file rewritten. Raises OSError when it cannot be written."""
        old = self._entries
        changes: list[dict[str, Any]] = [
            {"put": self._encode(entry)}
            for key, entry in entries.items()
            if old.get(key) is not entry and old.get(key) != entry
        ]
        changes += [{"drop": key} for key in old.keys() - entries.keys()]
        if not changes:
            return
        if not self._head or self._appended + len(changes) > max(REWRITE_AFTER, 4 * len(entries)):
            self._rewrite(entries)
            return
        data = b"".join(json.dumps(change).encode() + b"\n" for change in changes)
        descriptor = self._open(writing=True)
        try:
            if self._size > self._offset:
                os.ftruncate(descriptor, self._offset)  # a line cut short by a crash
            written = 0
            while written < len(data):
                written += os.pwrite(descriptor, data[written:], self._offset + written)
            _datasync(descriptor)
        except BaseException:
            with contextlib.suppress(OSError):  # no half line left for the next append to follow
                os.ftruncate(descriptor, self._offset)
            raise
        self._entries = dict(entries)
        self._offset = self._size = self._offset + len(data)
        self._appended += len(changes)

    def rewrite(self) -> None:
        """Rewrite the file as its first line alone if lines were appended (or it is of format 1),
        under the lock ``load`` was called under."""
        if self._appended or (self._offset and not self._head):
            self._rewrite(self._entries)

    # --- inside ----------------------------------------------------------------------------

    def _open(self, *, writing: bool = False) -> int:
        """The file's descriptor, opened when it is not: for reading and writing, or for reading
        alone where the file cannot be written (``plan`` reads the journal of a read-only
        checkout too). ``writing`` opens a file held for reading alone again, and raises the
        reason it cannot be written (called under the lock: the path is still the file read)."""
        descriptor = self._descriptor[0]
        if descriptor is not None and (self._writable or not writing):
            return descriptor
        try:
            descriptor, writable = os.open(self.path, os.O_RDWR), True
        except OSError as problem:
            if writing or problem.errno not in _NOT_WRITABLE:
                raise
            descriptor, writable = os.open(self.path, os.O_RDONLY), False
        self._hold(descriptor, writable=writable)
        return descriptor

    def _hold(self, descriptor: int, *, writable: bool = True) -> None:
        self._close()
        self._descriptor[0] = descriptor
        self._writable = writable
        status = os.fstat(descriptor)
        self._identity = (status.st_dev, status.st_ino)

    def _close(self) -> None:
        close_held(self._descriptor)
        self._identity = None

    def _reset(self) -> None:
        self._entries, self._head, self._offset, self._size, self._appended = {}, b"", 0, 0, 0

    def _read(self, data: bytes, start: int) -> None:
        """Take in ``data``, the file's bytes from ``start`` on."""
        self._size = start + len(data)
        if start == 0:
            first = data[: data.find(b"\n") + 1]
            document = _document(first)
            if document is None:  # format 1 (or written by hand): one document, read whole
                self._entries = self._keyed(json.loads(data)["entries"])
                self._offset = len(data)
                return
            self._head = first
            self._entries = self._keyed(document["entries"])
        end = data.rfind(b"\n") + 1
        lines = data[len(self._head) if start == 0 else 0 : end].splitlines()
        for line in lines:
            change = json.loads(line)
            if "put" in change:
                entry = self._decode(change["put"])
                self._entries[entry.key] = entry
            else:
                self._entries.pop(change["drop"], None)
        self._offset = start + end
        self._appended += len(lines)

    def _keyed(self, rows: Any) -> dict[str, E]:
        entries = [self._decode(row) for row in rows]
        return {entry.key: entry for entry in entries}

    def _rewrite(self, entries: dict[str, E]) -> None:
        document = {
            "format_version": FORMAT_VERSION,
            "generation": secrets.token_hex(8),
            "entries": [self._encode(entry) for entry in entries.values()],
        }
        head = json.dumps(document).encode() + b"\n"
        folder = self.path.parent
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".journal-", suffix=".tmp")
        self._hold(handle)  # the file once renamed, appended to from then on
        try:
            written = 0
            while written < len(head):
                written += os.write(handle, head[written:])
            os.fsync(handle)
            os.replace(temporary, self.path)
        except BaseException:
            self._close()
            self._reset()  # the next load reads the file as it is
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        self._entries = dict(entries)
        self._head = head
        self._offset = self._size = len(head)
        self._appended = 0
        _fsync_folder(folder)


def _read_from(descriptor: int, start: int) -> bytes:
    """The file's bytes from ``start`` on."""
    chunks = []
    while chunk := os.pread(descriptor, 1 << 20, start):
        chunks.append(chunk)
        start += len(chunk)
    return b"".join(chunks)


def _document(line: bytes) -> Any:
    """The first line's document, if it is one of format 2 (else None)."""
    try:
        document = json.loads(line) if line else None
    except ValueError:
        return None
    return document if isinstance(document, dict) and "generation" in document else None


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
