"""The porting requests orbitctl submitted, remembered: the API offers no list of them.

``.orbitctl/ports.json`` of the checkout, beside the apply lock and the purchase journal, holds
one record per request: the numbers and the entries they were ported for, the carrier and the
authorisation sent (never the PIN), the account (``journal.account_of``), and what Orbit answered
(its id, status, submission time and estimated completion).

A record is written *before* the request is sent, with no id and the status ``PORT_UNCONFIRMED``;
Orbit's answer confirms it (:meth:`PortBook.confirm`), and a refusal that certainly changed
nothing removes it (:meth:`PortBook.abandon`). So an apply stopped at any instant, or a request
whose answer was lost, leaves the record unconfirmed: the plan shows that number as waiting and
never submits it again by itself (a second request for the same numbers must not be sent on a
guess); ``orbitctl port forget NUMBER`` lets it go once the user knows Orbit has no such request.

The plan reads the records with :func:`read_progress`; a record is let go by :meth:`PortBook.prune`
once every number of it is on the account it was ported to (or a newer request covers it). The
file is small JSON, rewritten atomically on every change.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orbitctl.account.api import DEFAULT_PARALLELISM, OrbitError, PortingRequest
from orbitctl.atomicfile import write_atomically
from orbitctl.errors import OrbitctlError
from orbitctl.model import PORT_UNCONFIRMED, Live, PortIn, PortProgress
from orbitctl.statedir import exclusive, state_dir

#: The file's name inside the checkout's state folder (``.orbitctl/``).
PORTS_FILENAME = "ports.json"
#: The lock every change of the file holds, beside it.
PORTS_LOCK_FILENAME = "ports.lock"
FORMAT_VERSION = "1"


@dataclass(frozen=True)
class PortRecord:
    """One porting request orbitctl submitted (or was submitting) for ``stack`` on ``account``."""

    key: str
    stack: str
    account: str
    #: the numbers, each with the entry it was ported for
    names: Mapping[str, str]
    current_carrier: str
    authorization_name: str
    account_number: str | None
    recorded_at: str
    #: Orbit's id; None until Orbit's answer came (``status`` is then PORT_UNCONFIRMED)
    port_id: str | None = None
    status: str = PORT_UNCONFIRMED
    created_at: str | None = None
    estimated_completion: str | None = None
    numbers: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "numbers", tuple(self.names))

    def as_progress(self, number: str, note: str = "") -> PortProgress:
        return PortProgress(
            number=number,
            port_id=self.port_id,
            status=self.status,
            submitted=self.created_at or self.recorded_at,
            estimated_completion=self.estimated_completion,
            note=note,
            name=self.names.get(number, ""),
        )


def default_path() -> Path:
    """``ports.json`` in the state folder of the working directory's checkout."""
    return state_dir() / PORTS_FILENAME


def stamp(moment: datetime) -> str:
    """``2026-03-08T12:00:00Z``: a time as the API writes it (in UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else stamp(moment)


class PortBook:
    """The ports file of one checkout. Thread-safe, and safe between processes (the applies of two
    stacks of one checkout share it): every change re-reads the file under a lock."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.Lock()

    # --- reading ---------------------------------------------------------------------------

    def records(self, account: str | None = None) -> list[PortRecord]:
        """The records (of ``account`` only, when given), in the order they were begun (the file
        keeps that order)."""
        with self._lock:
            records = list(self._read().values())
        return [record for record in records if account is None or record.account == account]

    # --- changing --------------------------------------------------------------------------

    def begin(self, *, stack: str, account: str, names: Mapping[str, str], port_in: PortIn) -> PortRecord:
        """Record, before it is sent, that a request to port ``names`` (number -> entry) is being
        submitted; written to disk before this returns."""
        record = PortRecord(
            key=uuid.uuid4().hex,
            stack=stack,
            account=account,
            names=dict(names),
            current_carrier=port_in.current_carrier,
            authorization_name=port_in.authorization_name,
            account_number=port_in.account_number,
            recorded_at=stamp(datetime.now(UTC)),
        )

        def add(records: dict[str, PortRecord]) -> bool:
            records[record.key] = record
            return True

        self._change(add)
        return record

    def confirm(self, record: PortRecord, request: PortingRequest) -> None:
        """Orbit accepted the request ``begin`` recorded as ``record``: keep its id and status."""
        confirmed = replace(
            record,
            port_id=request.id,
            status=request.status,
            created_at=_stamp_or_none(request.created_at),
            estimated_completion=_stamp_or_none(request.estimated_completion),
        )

        def settle(records: dict[str, PortRecord]) -> bool:
            records[record.key] = confirmed  # also if forgotten meanwhile: Orbit has it
            return True

        self._change(settle)

    def abandon(self, key: str) -> None:
        """Orbit refused the request begun as ``key``, so it holds nothing of it: forget it."""
        self._change(lambda records: records.pop(key, None) is not None)

    def forget(self, numbers: Iterable[str]) -> list[str]:
        """Let go of ``numbers`` in every record (a record left with none is dropped); the numbers
        that were remembered."""
        wanted = set(numbers)
        found: list[str] = []

        def drop(records: dict[str, PortRecord]) -> bool:
            for key, record in list(records.items()):
                hit = [number for number in record.numbers if number in wanted]
                if not hit:
                    continue
                found.extend(number for number in hit if number not in found)
                kept = {number: name for number, name in record.names.items() if number not in wanted}
                if kept:
                    records[key] = replace(record, names=kept)
                else:
                    del records[key]
            return bool(found)

        self._change(drop)
        return found

    def prune(self, live: Live, account: str) -> list[PortRecord]:
        """Let go of the records of ``account`` (``live`` is that account) whose every number is on
        it, or is in a newer record of it. Returns those let go."""
        on_account = {number.number for number in live.numbers}
        gone: list[PortRecord] = []

        def settled(records: dict[str, PortRecord]) -> bool:
            newer: set[str] = set()
            for record in reversed(list(records.values())):  # newest first
                if record.account != account:
                    continue
                if all(number in on_account or number in newer for number in record.numbers):
                    gone.append(record)
                newer.update(record.numbers)
            for record in gone:
                del records[record.key]
            return bool(gone)

        self._change(settled)
        return gone

    # --- the file --------------------------------------------------------------------------

    def _change(self, mutate: Callable[[dict[str, PortRecord]], bool]) -> None:
        """Read the file under both locks, apply ``mutate``, write the file back if it says it
        changed something."""
        lock = self.path.with_name(PORTS_LOCK_FILENAME)
        with self._lock, exclusive(lock, what=f"the porting requests {self.path}"):
            records = self._read()
            if mutate(records):
                self._write(records)

    def _read(self) -> dict[str, PortRecord]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as problem:
            raise OrbitctlError(f"{self.path}: cannot read the porting requests: {problem.strerror}") from None
        try:
            document = json.loads(text)
            records = [_record(row) for row in document["requests"]]
        except (ValueError, KeyError, TypeError, AttributeError) as problem:
            raise OrbitctlError(
                f"{self.path}: the file of porting requests orbitctl submitted is not valid ({problem}): "
                "fix it, or move it away after checking with 'orbitctl port status ID' that none of "
                "its requests is still open (orbitctl would otherwise port their numbers again)"
            ) from None
        return {record.key: record for record in records}

    def _write(self, records: Mapping[str, PortRecord]) -> None:
        rows = []
        for record in records.values():
            row = asdict(record)
            del row["numbers"]  # the keys of names
            rows.append(row)
        document = {"format_version": FORMAT_VERSION, "requests": rows}
        write_atomically(self.path, json.dumps(document, indent=2) + "\n", what="the porting requests")


def _record(row: Any) -> PortRecord:
    fields = dict(row)
    if not isinstance(fields.get("names"), dict):
        raise TypeError("'names' is not a mapping of numbers to entries")
    return PortRecord(**fields)


# --- what the plan is told --------------------------------------------------------------------


def read_progress(
    client: Any, records: Sequence[PortRecord], live: Live, *, parallelism: int = DEFAULT_PARALLELISM
) -> dict[str, PortProgress]:
    """What is known of the latest request for each number of ``records`` that is not on
    ``live``: its status read back from Orbit (GET /porting/{id}), or as recorded when it cannot
    be read (the note says why) or was never confirmed."""
    on_account = {number.number for number in live.numbers}
    latest: dict[str, PortRecord] = {}
    for record in records:  # oldest first: a later request of a number wins
        for number in record.numbers:
            if number not in on_account:
                latest[number] = record
    confirmed = {record.key: record for record in latest.values() if record.port_id}

    def read(record: PortRecord) -> tuple[str, PortRecord, str]:
        assert record.port_id is not None
        try:
            request = client.get_port(record.port_id)
        except OrbitError as problem:
            return record.key, record, f"Orbit's status could not be read ({problem}); as recorded when submitted"
        read_back = replace(
            record,
            status=request.status,
            created_at=_stamp_or_none(request.created_at) or record.created_at,
            estimated_completion=_stamp_or_none(request.estimated_completion) or record.estimated_completion,
        )
        return record.key, read_back, ""

    current: dict[str, tuple[PortRecord, str]] = {}
    if confirmed:
        with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(confirmed)))) as pool:
            for key, record, note in pool.map(read, confirmed.values()):
                current[key] = (record, note)
    result = {}
    for number, record in latest.items():
        if record.port_id is None:
            result[number] = record.as_progress(number, unconfirmed_note(number))
        else:
            read_back, note = current[record.key]
            result[number] = read_back.as_progress(number, note)
    return result


def unconfirmed_note(number: str) -> str:
    """What the plan says of a request for ``number`` whose answer never came."""
    return (
        "an apply was stopped, or lost its connection, while submitting this request, so orbitctl "
        "cannot tell whether Orbit has it, and never submits it again by itself; if Orbit has no "
        f"such request, let it go with: orbitctl port forget {number}"
    )
