"""The purchase journal: numbers bought but not configured, so no apply ever buys them twice.

A purchase is billed from the moment it commits. If the PUT that tags and configures the new
number then fails, the number sits on the account with no ownership tag, and the next plan would
buy another. The executor records such a number here (``.orbitctl/journal.json`` of the checkout);
the next plan gets :meth:`Journal.pending` and adopts the number instead of buying. An entry is
cleared once the number carries its ownership tag (or has left the account).

The file is small JSON, rewritten atomically (temporary file + rename) on every change.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from orbitctl.errors import OrbitctlError
from orbitctl.model import Live, ownership_tag

#: The journal's file name inside the checkout's state folder (``.orbitctl/``).
JOURNAL_FILENAME = "journal.json"
FORMAT_VERSION = "1"


@dataclass(frozen=True)
class JournalEntry:
    """A number bought for entry ``name`` of ``stack`` that does not carry its tag yet."""

    id: str
    number: str
    name: str
    stack: str
    time: str
    reason: str = ""

    @property
    def tag(self) -> str:
        return ownership_tag(self.stack, self.name)


def default_path() -> Path:
    """``.orbitctl/journal.json`` of the current directory (the checkout)."""
    from orbitctl.cli.context import STATE_DIR

    return STATE_DIR / JOURNAL_FILENAME


class Journal:
    """The journal file of one checkout. Thread-safe; the file is read once, then kept in step."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.Lock()
        self._entries: dict[str, JournalEntry] | None = None

    # --- reading ---------------------------------------------------------------------------

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._load().values())

    def pending(self, stack: str | None = None) -> dict[str, str]:
        """``{number id: entry name}`` of the numbers to adopt (of ``stack`` only, when given)."""
        return {
            entry.id: entry.name
            for entry in self.entries()
            if stack is None or entry.stack == stack
        }

    # --- changing --------------------------------------------------------------------------

    def record(self, *, id: str, number: str, name: str, stack: str, reason: str = "") -> JournalEntry:
        """Remember that number ``id`` was bought for ``stack``/``name`` and is not tagged yet."""
        entry = JournalEntry(
            id=id,
            number=number,
            name=name,
            stack=stack,
            time=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            reason=reason,
        )
        with self._lock:
            entries = self._load()
            entries[id] = entry
            self._write(entries)
        return entry

    def clear(self, id: str) -> bool:
        """Forget number ``id`` (it carries its tag now). True if it was in the journal."""
        with self._lock:
            entries = self._load()
            if id not in entries:
                return False
            del entries[id]
            self._write(entries)
            return True

    def prune(self, live: Live) -> list[JournalEntry]:
        """Forget entries whose number carries its ownership tag or is no longer on the account;
        returns those forgotten."""
        by_id = {number.id: number for number in live.numbers}
        with self._lock:
            entries = self._load()
            gone = [
                entry
                for entry in entries.values()
                if entry.id not in by_id or entry.tag in by_id[entry.id].raw_tags
            ]
            if gone:
                for entry in gone:
                    del entries[entry.id]
                self._write(entries)
        return gone

    # --- the file --------------------------------------------------------------------------

    def _load(self) -> dict[str, JournalEntry]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def _read(self) -> dict[str, JournalEntry]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as problem:
            raise OrbitctlError(f"{self.path}: cannot read the purchase journal: {problem.strerror}") from None
        try:
            document = json.loads(text)
            rows = document["entries"]
            entries = [JournalEntry(**row) for row in rows]
        except (ValueError, KeyError, TypeError) as problem:
            raise OrbitctlError(
                f"{self.path}: the purchase journal is not valid ({problem}); it lists numbers "
                "bought but not configured: fix the file, or move it away after checking that "
                "every number it names carries its orbitctl__ tag"
            ) from None
        return {entry.id: entry for entry in entries}

    def _write(self, entries: dict[str, JournalEntry]) -> None:
        document = {
            "format_version": FORMAT_VERSION,
            "entries": [asdict(entry) for entry in sorted(entries.values(), key=lambda e: e.time)],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".journal-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, indent=2)
                stream.write("\n")
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
            raise
