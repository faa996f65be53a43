"""The purchase journal: numbers bought but not configured, so no apply ever buys them twice.

A purchase is billed from the moment it commits. If the PUT that tags and configures the new
number then fails, the number sits on the account with no ownership tag, and the next plan would
buy another. The executor records every bought number here (``.orbitctl/journal.json`` of the
checkout) until it carries its tag; the next plan gets :meth:`Journal.pending` and adopts such a
number instead of buying. An entry is cleared once the number carries its ownership tag, or has
left the account it was bought on (an apply against another account, say the sandbox, keeps it).

The file is small JSON, rewritten atomically (temporary file + rename) on every change.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from orbitctl.errors import OrbitctlError
from orbitctl.model import Live, LiveNumber, ownership_tag
from orbitctl.statedir import STATE_DIR

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
    #: the API the number was bought on (``account_of``); "" when not known
    account: str = ""

    @property
    def tag(self) -> str:
        return ownership_tag(self.stack, self.name)

    @property
    def key(self) -> str:
        """The id; for a purchase whose outcome is unknown (no id), the number."""
        return self.id or f"?{self.number}"

    def find(self, live: Live) -> LiveNumber | None:
        """The entry's number on ``live``: by id, or by number when the id is not known."""
        for number in live.numbers:
            if (number.id == self.id) if self.id else (number.number == self.number):
                return number
        return None


def account_of(client: Any) -> str:
    """Which account a client talks to, as far as the journal can tell: its base URL, without
    any user or password. "" when the client has none (a test double)."""
    url = getattr(client, "base_url", None)
    if not isinstance(url, str) or not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def default_path() -> Path:
    """``.orbitctl/journal.json`` of the current directory (the checkout)."""
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

    def pending(self, stack: str | None = None, live: Live | None = None) -> dict[str, str]:
        """``{number id: entry name}`` of the numbers to adopt: of ``stack`` only, when given.
        When ``live`` is given, only those on it under the number the journal recorded, and an
        entry with no id (a purchase whose outcome was unknown) resolved by its number when the
        number carries no ownership tag."""
        pending = {}
        for entry in self.entries():
            if stack is not None and entry.stack != stack:
                continue
            if live is None:
                if entry.id:
                    pending[entry.id] = entry.name
                continue
            number = entry.find(live)
            if number is not None and number.number == entry.number and (entry.id or number.owner is None):
                pending[number.id] = entry.name
        return pending

    # --- changing --------------------------------------------------------------------------

    def record(
        self, *, id: str, number: str, name: str, stack: str, reason: str = "", account: str = ""
    ) -> JournalEntry:
        """Remember that number ``id`` was bought on ``account`` for ``stack``/``name`` and is not
        tagged yet; ``id`` "" when the purchase's outcome is unknown (it may have been bought)."""
        entry = JournalEntry(
            id=id,
            number=number,
            name=name,
            stack=stack,
            time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            reason=reason,
            account=account,
        )
        with self._lock:
            entries = self._load()
            entries[entry.key] = entry
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

    def prune(self, live: Live, account: str | None = None) -> list[JournalEntry]:
        """Forget entries whose number carries its ownership tag, and those of ``account`` whose
        number is no longer on it (``live`` is that account; ``None``: any entry's account).
        A number bought on another account is not on this one, and is kept. Returns those
        forgotten."""

        def settled(entry: JournalEntry) -> bool:
            number = entry.find(live)
            if number is not None:
                return entry.tag in number.raw_tags
            return account is None or entry.account in ("", account)

        with self._lock:
            entries = self._load()
            gone = [entry for entry in entries.values() if settled(entry)]
            if gone:
                for entry in gone:
                    del entries[entry.key]
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
        return {entry.key: entry for entry in entries}

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
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
