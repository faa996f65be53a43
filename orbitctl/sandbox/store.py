"""The account's state: in memory, or one JSON file that several processes may share.

The file holds the account's numbers (in purchase order), the porting requests and an append-only
``audit`` list of every request that changed state. Writes hold an inter-process lock
(``fcntl.flock`` on ``<state>.lock``) around read-modify-write and replace the file atomically
(temp file + ``os.replace``), so a reader never sees half a file and needs no lock. Each version
of the state is immutable (copy on write): a request reads one consistent version, and a process
re-reads the file only when its inode, size or mtime changed.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FORMAT = "orbitctl-sandbox-state/1"


class StateFileError(Exception):
    """The state file cannot be read or written; the message says which file and why."""


def read_state(path: str | os.PathLike) -> dict:
    """A plain snapshot of a state file: ``{"numbers": {id: record}, "porting": {...},
    "audit": [...], ...}``; an empty account when the file does not exist yet."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return _empty()


def ownership_key(country: str, number: str) -> str:
    """What a number is unique by: an E.164 number worldwide (a NANP toll-free number is one
    number whichever country sells it); a short code only within its country."""
    return number if number.startswith("+") else f"{country}:{number}"


def _number_id(owned: dict[str, str], numbers: dict[str, dict], number: str) -> str | None:
    if number.startswith("+"):
        return owned.get(number)
    return next((record["id"] for record in numbers.values() if record["number"] == number), None)


def _empty() -> dict:
    return {"format": FORMAT, "next_seq": 1, "numbers": {}, "porting": {}, "audit": []}


class AccountState:
    """One immutable version of the account. Records are dicts never changed once published."""

    def __init__(
        self,
        numbers: dict[str, dict],
        porting: dict[str, dict],
        next_seq: int,
        owned: dict[str, str] | None = None,
    ):
        self.numbers = numbers  # id -> record, in purchase (``_seq``) order
        self.porting = porting
        self.next_seq = next_seq
        #: ``ownership_key`` -> id of every number on the account
        self.owned = owned if owned is not None else {
            ownership_key(r["country"], r["number"]): r["id"] for r in numbers.values()
        }
        self._ordered: tuple[list[int], list[dict]] | None = None

    def owns(self, number: str, country: str = "") -> bool:
        """Is ``number`` on the account? (``country`` matters only for a short code.)"""
        return ownership_key(country, number) in self.owned

    def number_id(self, number: str) -> str | None:
        """The id of ``number`` (E.164, or a short code of any country) if the account holds it."""
        return _number_id(self.owned, self.numbers, number)

    def records_after(self, seq: int) -> list[dict]:
        """The records bought after ``seq``, in purchase order (where a cursor resumes)."""
        if self._ordered is None:
            records = list(self.numbers.values())
            self._ordered = ([r["_seq"] for r in records], records)
        seqs, records = self._ordered
        return records[bisect.bisect_right(seqs, seq) :]


class Draft:
    """A mutable copy of the state inside a write; published when the write ends cleanly."""

    def __init__(self, base: AccountState):
        self.numbers = dict(base.numbers)
        self.porting = dict(base.porting)
        self.owned = dict(base.owned)
        self.next_seq = base.next_seq
        self.audit: list[dict] = []
        self.changed = False

    def add_number(self, record: dict) -> dict:
        record = {**record, "_seq": self.next_seq}
        self.next_seq += 1
        self.numbers[record["id"]] = record
        self.owned[ownership_key(record["country"], record["number"])] = record["id"]
        self.changed = True
        return record

    def owns(self, number: str, country: str = "") -> bool:
        """Is ``number`` on the account? (``country`` matters only for a short code.)"""
        return ownership_key(country, number) in self.owned

    def number_id(self, number: str) -> str | None:
        """The id of ``number`` (E.164, or a short code of any country) if the account holds it."""
        return _number_id(self.owned, self.numbers, number)

    def replace_number(self, record: dict) -> None:
        self.numbers[record["id"]] = record
        self.changed = True

    def remove_number(self, number_id: str) -> dict:
        record = self.numbers.pop(number_id)
        self.owned.pop(ownership_key(record["country"], record["number"]), None)
        self.changed = True
        return record

    def put_port(self, port: dict) -> None:
        self.porting[port["id"]] = port
        self.changed = True

    def record(self, entry: dict) -> None:
        self.audit.append(entry)
        self.changed = True

    def freeze(self) -> AccountState:
        return AccountState(self.numbers, self.porting, self.next_seq, self.owned)


class Store:
    """The account state, kept in ``path`` (JSON) or, with ``path=None``, in memory only."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else None
        self._state = AccountState({}, {}, 1)
        self._audit: list[dict] = []
        self._audit_json: list[str] = []
        #: number id -> (record, its '"id":{...}' JSON), reused while the record is unchanged
        self._fragments: dict[str, tuple[dict, str]] = {}
        self._signature: tuple[int, int, int] | None = None
        self._loaded = self.path is None
        self._write_lock = threading.Lock()
        self._reload_lock = threading.Lock()

    # --- reading ---------------------------------------------------------------------------

    def current(self) -> AccountState:
        """The latest version of the state (re-read from the file only when it changed).

        A state file that does not exist yet is created (empty) on first use, so the account's
        home is visible from the first command on."""
        state = self._latest()
        if self.path is not None and self._signature is None:
            with self.write():
                pass
            state = self._state
        return state

    def _latest(self) -> AccountState:
        if self.path is not None:
            signature = self._stat(self.path)
            if not self._loaded or signature != self._signature:
                with self._reload_lock:
                    if not self._loaded or self._stat(self.path) != self._signature:
                        self._reload(self.path)
        return self._state

    def audit(self) -> list[dict]:
        """Every state-changing request so far (a copy)."""
        self._latest()
        return list(self._audit)

    def snapshot(self) -> dict:
        """The whole state as plain data, as ``read_state`` gives it for a file."""
        state = self.current()
        return {
            "format": FORMAT,
            "next_seq": state.next_seq,
            "numbers": dict(state.numbers),
            "porting": dict(state.porting),
            "audit": list(self._audit),
        }

    def _stat(self, path: Path) -> tuple[int, int, int] | None:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def _reload(self, path: Path) -> None:
        try:
            with open(path, encoding="utf-8") as handle:
                info = os.fstat(handle.fileno())
                data = json.load(handle)
            signature = (info.st_ino, info.st_size, info.st_mtime_ns)
        except FileNotFoundError:
            data, signature = _empty(), None
        except (OSError, ValueError) as problem:
            raise StateFileError(f"cannot read sandbox state {path}: {problem}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StateFileError(
                f"{path} is not an orbitctl sandbox state file (expected format {FORMAT!r})"
            )
        numbers = data.get("numbers", {})
        self._state = AccountState(numbers, data.get("porting", {}), data.get("next_seq", 1))
        self._audit = data.get("audit", [])
        self._audit_json = [_dumps(entry) for entry in self._audit]
        self._fragments = {}
        self._signature = signature
        self._loaded = True

    # --- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[Draft]:
        """Read-modify-write under the thread and file locks; the draft is saved and published
        when the block ends without an exception (and changed something)."""
        with self._write_lock, self._file_lock():
            draft = Draft(self._latest())
            yield draft
            if draft.changed or (self.path is not None and self._signature is None):
                state = draft.freeze()
                audit_json = self._audit_json + [_dumps(entry) for entry in draft.audit]
                # Under the reload lock: a reader re-reading the file meanwhile cannot install
                # the older version after this one is published.
                with self._reload_lock:
                    if self.path is not None:
                        self._save(self.path, state, audit_json)
                    self._audit = self._audit + draft.audit
                    self._audit_json = audit_json
                    self._state = state

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_path, "a+b")  # noqa: SIM115 - closed by the `with` below
        except OSError as problem:
            raise StateFileError(f"cannot lock sandbox state {self.path}: {problem}") from None
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _save(self, path: Path, state: AccountState, audit_json: list[str]) -> None:
        previous = self._fragments
        fragments = {}
        for number_id, record in state.numbers.items():
            cached = previous.get(number_id)
            if cached is None or cached[0] is not record:
                cached = (record, f"{_dumps(number_id)}:{_dumps(record)}")
            fragments[number_id] = cached
        parts = [text for _record, text in fragments.values()]
        content = (
            f'{{"format":{_dumps(FORMAT)},"next_seq":{state.next_seq},'
            f'"porting":{_dumps(state.porting)},'
            f'"numbers":{{{",".join(parts)}}},'
            f'"audit":[{",".join(audit_json)}]}}\n'
        )
        try:
            fd, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(content)
                os.replace(temp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as problem:
            raise StateFileError(f"cannot write sandbox state {path}: {problem}") from None
        self._fragments = fragments
        self._signature = self._stat(path)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
