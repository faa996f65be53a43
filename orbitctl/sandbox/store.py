"""The account's state: in memory, or one file that several processes may share.

The file holds the account's numbers (in purchase order), the porting requests and an append-only
``audit`` list of every request that changed state: a JSON document of the whole state, then one
JSON line per change since (what it changed: numbers, porting requests, audit entries), so that a
change writes what it changed, not what the account holds. Once the lines appended reach
``REWRITE_AFTER`` and the number of numbers, the file is rewritten as one document. Writes hold an
inter-process lock (``fcntl.flock`` on ``<state>.lock``) around read-modify-write; a rewrite
replaces the file atomically (temp file + ``os.replace``) and an append is one line, so a reader
needs no lock: it ignores a last line without its line break (being written, or cut by a crash;
the next writer rewrites the file without it). Each version of the state is immutable (copy on write): a request
reads one consistent version, and a process re-reads the file only when its inode, size or mtime
changed.
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

FORMAT = "orbitctl-sandbox-state/2"
#: The format before changes were appended (one document): read as it is.
FORMATS_READ = ("orbitctl-sandbox-state/1", FORMAT)

#: Lines appended after which the file is rewritten as one document (or one per number, if more).
REWRITE_AFTER = 200


class StateFileError(Exception):
    """The state file cannot be read or written; the message says which file and why."""


def read_state(path: str | os.PathLike) -> dict:
    """A plain snapshot of a state file: ``{"numbers": {id: record}, "porting": {...},
    "audit": [...], ...}``; an empty account when the file does not exist yet."""
    try:
        with open(path, "rb") as handle:
            return _parse(handle.read())[0]
    except FileNotFoundError:
        return _empty()


def _parse(data: bytes) -> tuple[dict, int, int]:
    """A state file's bytes as plain state, the bytes of its lines that may be appended to (0: the
    file is to be rewritten before a change), and the changes appended. Raises ValueError when
    they are not a state file's (saying which line)."""
    end = data.rfind(b"\n") + 1
    lines = data[:end].splitlines()
    try:
        state = json.loads(lines[0] if lines else data)
    except ValueError:  # one document over several lines, or without a line break: written by hand
        state, end, lines = json.loads(data), 0, [data]
    if not isinstance(state, dict):
        raise ValueError("not a JSON object")
    if state.get("format") not in FORMATS_READ:
        return state, 0, 0  # the caller says what it is not
    for number, line in enumerate(lines[1:], start=2):
        try:
            _replay(state, json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError) as problem:
            raise ValueError(f"line {number}: {type(problem).__name__}: {problem}") from None
    return state, end, len(lines) - 1


def _replay(state: dict, change: dict) -> None:
    """Apply one appended line to plain ``state``."""
    state["next_seq"] = change["next_seq"]
    for key in ("numbers", "porting"):
        for item_id, item in change.get(key, {}).items():
            if item is None:
                state[key].pop(item_id, None)
            else:
                state[key][item_id] = item
    state["audit"].extend(change.get("audit", ()))


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
        #: ids of the numbers and porting requests this draft put or removed, in that order
        self.touched_numbers: dict[str, None] = {}
        self.touched_ports: dict[str, None] = {}

    def add_number(self, record: dict) -> dict:
        record = {**record, "_seq": self.next_seq}
        self.next_seq += 1
        self.numbers[record["id"]] = record
        self.touched_numbers[record["id"]] = None
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
        self.touched_numbers[record["id"]] = None
        self.changed = True

    def remove_number(self, number_id: str) -> dict:
        record = self.numbers.pop(number_id)
        self.owned.pop(ownership_key(record["country"], record["number"]), None)
        self.touched_numbers[number_id] = None
        self.changed = True
        return record

    def put_port(self, port: dict) -> None:
        self.porting[port["id"]] = port
        self.touched_ports[port["id"]] = None
        self.changed = True

    def appended_line(self) -> str:
        """What this draft changed, as the line appended to a state file (``_replay`` reads it)."""
        return _dumps(
            {
                "next_seq": self.next_seq,
                "numbers": {number_id: self.numbers.get(number_id) for number_id in self.touched_numbers},
                "porting": {port_id: self.porting[port_id] for port_id in self.touched_ports},
                "audit": self.audit,
            }
        ) + "\n"

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
        #: bytes of the file's whole lines, and the lines appended after its document, as last read
        #: or written
        self._offset = 0
        self._appended = 0
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
        raw: bytes | None
        try:
            with open(path, "rb") as handle:
                info = os.fstat(handle.fileno())
                raw = handle.read()
            signature: tuple[int, int, int] | None = (info.st_ino, info.st_size, info.st_mtime_ns)
        except FileNotFoundError:
            raw, signature = None, None
        except OSError as problem:
            raise StateFileError(f"cannot read sandbox state {path}: {problem}") from None
        try:
            data, offset, appended = _parse(raw) if raw is not None else (_empty(), 0, 0)
        except (ValueError, KeyError, TypeError, AttributeError) as problem:
            raise StateFileError(f"cannot read sandbox state {path}: {problem}") from None
        if data.get("format") not in FORMATS_READ:
            raise StateFileError(
                f"{path} is not an orbitctl sandbox state file (expected format {FORMAT!r})"
            )
        # a file of the format before is rewritten at the first change
        self._offset, self._appended = (offset, appended) if data["format"] == FORMAT else (0, 0)
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
                        self._save(self.path, state, audit_json, draft)
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

    def _save(self, path: Path, state: AccountState, audit_json: list[str], draft: Draft) -> None:
        """Append what ``draft`` changed, or rewrite the file as one document: one not read yet,
        of the format before or written by hand, with a line cut short by a crash after its last
        (rewritten, not cut in place: a file only ever grows, so its size tells every reader it
        changed), or with as many lines appended as the bound."""
        torn = self._signature is not None and self._signature[1] != self._offset
        bound = max(REWRITE_AFTER, len(state.numbers))
        if self._signature is None or not self._offset or torn or self._appended >= bound:
            self._rewrite(path, state, audit_json)
            return
        line = draft.appended_line().encode("utf-8")
        try:
            with open(path, "ab") as handle:
                handle.write(line)
        except OSError as problem:
            raise StateFileError(f"cannot write sandbox state {path}: {problem}") from None
        self._offset += len(line)
        self._appended += 1
        self._signature = self._stat(path)

    def _rewrite(self, path: Path, state: AccountState, audit_json: list[str]) -> None:
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
        self._offset, self._appended = len(content.encode("utf-8")), 0
        self._signature = self._stat(path)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
