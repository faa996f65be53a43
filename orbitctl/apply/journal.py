"""The purchase journal: a write-ahead record of every purchase, so no apply ever buys twice.

A purchase is billed from the moment it commits, and the number carries no ownership tag until
the PUT after it. Whatever happens in between (a lost response, a failed PUT, a kill, a power
cut), the journal (``journal.json`` in the checkout's ``.orbitctl/``, see ``statedir``) says what
may be on the account untagged:

1. before ``POST /purchase`` is sent, an *intent* is written: stack, entry, the phone number,
   the account (``account_of``) and the time; its ``id`` is "" (the outcome is not known);
2. when the response arrives, the intent becomes the bought number's id;
3. once the number carries its ownership tag, the entry is cleared; a purchase refused (409,
   4xx) clears its intent at once.

Every plan and apply resolves what is left against the account it reads (``pending``, ``prune``):

- the number there, untagged: adopted for its entry (the plan says ADOPT; nothing is bought);
- there with its own ownership tag: done, forgotten;
- there with another ownership tag (another stack, another entry): not ours, forgotten;
- not there: a bought number (id known) has left the account: forgotten. An intent is kept until
  it is ``INTENT_GRACE`` old, because the request was sent and a server may still commit it after
  the client died; if the number shows up meanwhile it is adopted (a surplus the next plan shows
  as a release), never left untagged and invisible. Entries of another account are kept.

Entries are written, changed and removed under a file lock (``journal.lock`` beside it), each
write re-reading the file first, so applies of several stacks of one checkout can share it. A
write appends the changes to the file and fdatasyncs it, or rewrites it whole (a temporary file,
fsynced, renamed over the journal, the folder fsynced): see ``journal_file``.

Changes are committed in groups: those made while a write is under way (by the other workers of
an apply) go to disk together in the next write, in the order they were made. A change returns
once it is on disk; one made with ``wait=False`` (the bought id, the clearing once tagged)
returns at once and reaches the disk with the next write, before any change made after it, and
at the latest by ``flush``. Losing such a change with the process (a kill, a second signal) is
safe: the entry it would change still names the purchase and resolves against the account as
the changed one would (an intent found untagged is adopted, found tagged forgotten), only kept
longer when the number is not there. The journal holds only purchases in flight or not yet
tagged, so it never grows beyond them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from orbitctl.apply.journal_file import JournalFile
from orbitctl.errors import OrbitctlError
from orbitctl.model import Live, LiveNumber, ownership_tag
from orbitctl.statedir import LockFile, state_dir

#: The journal's file name inside the checkout's state folder (``.orbitctl/``).
JOURNAL_FILENAME = "journal.json"
#: The lock every change of the journal takes, beside it.
JOURNAL_LOCK_FILENAME = "journal.lock"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

#: How long an intent whose number is not on the account is kept: a purchase request that was
#: sent may still be committed by the server after the client gave up on it or was killed. The
#: client waits at most its timeout (30 s by default) for an answer; a server finishing a request
#: long after its client left is rare, and 30 such timeouts is a wide margin.
INTENT_GRACE = timedelta(minutes=15)
#: An entry not on the account is forgotten only if it was written this long before the account
#: was read (times are kept to the second): one written meanwhile, by a concurrent apply of
#: another stack, is not yet in that reading.
_OBSERVATION_MARGIN = timedelta(seconds=1)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JournalEntry:
    """A purchase for entry ``name`` of ``stack``: sent or about to be (``id`` ""), or bought and
    not tagged yet (``id`` the number's id)."""

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
        """The id; for a purchase whose outcome is unknown (no id), ``?stack:number`` (two stacks
        of one checkout may race for one number)."""
        return self.id or intent_key(self.stack, self.number)

    @property
    def is_intent(self) -> bool:
        """The purchase was sent (or about to be) and its outcome is not known."""
        return not self.id

    @property
    def written_at(self) -> datetime:
        try:
            return datetime.strptime(self.time, _TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return datetime.min.replace(tzinfo=UTC)  # unreadable: as old as can be

    def find(self, live: Live) -> LiveNumber | None:
        """The entry's number on ``live``: by id, or by number when the id is not known."""
        for number in live.numbers:
            if (number.id == self.id) if self.id else (number.number == self.number):
                return number
        return None

    def adoptable(self, number: LiveNumber) -> bool:
        """Whether ``number`` (found by ``find``) is this purchase, untagged: to adopt."""
        return number.number == self.number and number.owner is None


def intent_key(stack: str, number: str) -> str:
    return f"?{stack}:{number}"


def account_of(client: Any) -> str:
    """Which account a client talks to, as far as the journal can tell: its base URL, without
    any user or password, and the key variable of a stack's ``account:`` (``...#ORBIT_API_KEY_STAGING``)
    when the client was made for one: two accounts of one URL are two accounts. "" when the client
    has no URL (a test double)."""
    url = getattr(client, "base_url", None)
    if not isinstance(url, str) or not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    binding = getattr(client, "account_binding", "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", binding if isinstance(binding, str) else ""))


def default_path() -> Path:
    """``journal.json`` in the state folder of the working directory's checkout."""
    return state_dir() / JOURNAL_FILENAME


class Journal:
    """The journal file of one checkout. Thread-safe, and safe between processes."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else default_path()
        #: held while a group of changes is written (``_holding``); re-entrant, so the main thread
        #: may take it in a signal handler
        self._lock = threading.RLock()
        #: how deep the holder of ``_lock`` is in ``_holding``: a signal handler taking the lock
        #: again (``quiet``) writes nothing while the main thread is at work on the file
        self._depth = 0
        #: the changes made and not yet taken by a write, in the order they were made
        self._queue: list[_Change] = []
        self._queue_lock = threading.RLock()  # re-entrant for a signal handler too
        self._file = JournalFile(self.path, encode=_row, decode=lambda row: JournalEntry(**row))
        #: the file lock every change of the journal (of any process) is made under
        self._file_lock = LockFile(self.path.with_name(JOURNAL_LOCK_FILENAME), what=f"the purchase journal {self.path}")

    # --- reading ---------------------------------------------------------------------------

    def entries(self) -> list[JournalEntry]:
        """The entries on disk, every change made before this call included."""
        with self._holding():
            self._write_queued()
            return list(self._read().values())

    def pending(
        self, stack: str | None = None, live: Live | None = None, account: str | None = None
    ) -> dict[str, str]:
        """``{number id: entry name}`` of the numbers to adopt: of ``stack`` only, when given.
        When ``live`` is given, only those on it, untagged, under the number the journal recorded
        (an intent is found by its number); with ``account``, no intent of another account (a
        number id names one number; a phone number may be held by another account: the sandbox's
        by a real one)."""
        pending = {}
        for entry in self.entries():
            if stack is not None and entry.stack != stack:
                continue
            if entry.is_intent and account is not None and entry.account not in ("", account):
                continue
            if live is None:
                if entry.id:
                    pending[entry.id] = entry.name
                continue
            number = entry.find(live)
            if number is not None and entry.adoptable(number):
                pending[number.id] = entry.name
        return pending

    # --- changing --------------------------------------------------------------------------

    def record(
        self, *, id: str, number: str, name: str, stack: str, reason: str = "", account: str = ""
    ) -> JournalEntry:
        """Remember that number ``id`` was bought on ``account`` for ``stack``/``name`` and is not
        tagged yet; ``id`` "" when the purchase's outcome is unknown (it may have been bought).
        On disk when this returns."""
        return self._add(id=id, number=number, name=name, stack=stack, reason=reason, account=account)[0]

    def intend(
        self, *, number: str, name: str, stack: str, account: str = ""
    ) -> tuple[JournalEntry, JournalEntry | None]:
        """Write, before it is sent, that a purchase of ``number`` for ``stack``/``name`` is about
        to be made on ``account``. On disk when this returns. Returns the intent, and the intent
        it replaces: one an earlier apply left for the same number (None when there was none)."""
        return self._add(id="", number=number, name=name, stack=stack, reason="purchase sent", account=account)

    def _add(self, **fields: str) -> tuple[JournalEntry, JournalEntry | None]:
        entry = JournalEntry(time=_now().strftime(_TIME_FORMAT), **fields)
        replaced: list[JournalEntry | None] = [None]

        def add(entries: dict[str, JournalEntry]) -> bool:
            if entry.id:
                entries.pop(intent_key(entry.stack, entry.number), None)  # the intent it settles
            replaced[0] = entries.get(entry.key)
            entries[entry.key] = entry
            return True

        self._change(add)
        return entry, replaced[0]

    def bought(
        self, intent: JournalEntry, id: str, reason: str = "bought, not configured yet", *, wait: bool = True
    ) -> JournalEntry:
        """The purchase of ``intent`` returned number ``id``: bought, not tagged yet. With
        ``wait=False``, returns before it is on disk (see the module's docstring)."""
        entry = replace(intent, id=id, reason=reason, time=_now().strftime(_TIME_FORMAT))

        def settle(entries: dict[str, JournalEntry]) -> bool:
            entries.pop(intent.key, None)
            entries[entry.key] = entry
            return True

        self._change(settle, wait=wait)
        return entry

    def clear(self, *keys: str, wait: bool = True) -> bool:
        """Forget the entries of number ids ``keys`` (they carry their tag now), or of intents'
        ``JournalEntry.key`` (``intent_key``: the purchase was refused, or its number is tagged
        now). True if any was in the journal. With ``wait=False``, returns False at once, before
        it is on disk (see the module's docstring)."""

        def drop(entries: dict[str, JournalEntry]) -> bool:
            return [entries.pop(key, None) for key in keys] != [None] * len(keys)

        return self._change(drop, wait=wait)

    def prune(
        self, live: Live, account: str | None = None, *, observed_at: datetime | None = None
    ) -> list[JournalEntry]:
        """Forget the entries ``live`` settles (see the module's rules): ``live`` is the account
        ``account`` as read from ``observed_at`` on (None: entries written since count as read);
        ``account`` None stands for any entry's account. Returns those forgotten."""
        now = _now()

        def settled(entry: JournalEntry) -> bool:
            number = entry.find(live)
            if number is not None:
                return entry.tag in number.raw_tags or number.owner is not None
            if account is not None and entry.account not in ("", account):
                return False  # bought on another account: not on this one
            written = entry.written_at
            if observed_at is not None and written > observed_at - _OBSERVATION_MARGIN:
                return False  # written while the account was being read
            return not entry.is_intent or written <= now - INTENT_GRACE

        gone: list[JournalEntry] = []

        def forget(entries: dict[str, JournalEntry]) -> bool:
            gone[:] = [entry for entry in entries.values() if settled(entry)]
            for entry in gone:
                del entries[entry.key]
            return bool(gone)

        self._change(forget)
        return gone

    def flush(self) -> None:
        """Return once every change made before this call is on disk (or failed to get there),
        the file rewritten as one document (see ``journal_file``)."""
        with self._holding():
            self._write_queued()
            with contextlib.suppress(OSError, OrbitctlError), self._locked():  # if not, it is rewritten later
                self._read()
                self._file.rewrite()

    @contextlib.contextmanager
    def quiet(self, timeout: float = 10.0) -> Iterator[None]:
        """Wait (up to ``timeout`` seconds) for a write under way to reach the disk, write the
        changes still queued, and keep others from starting: for a process about to exit at once."""
        taken = self._lock.acquire(timeout=timeout)
        try:
            if taken and not self._depth:  # not inside a write of this thread's, interrupted
                with contextlib.suppress(Exception):  # those changes are safe to lose
                    self._write_queued()
            yield
        finally:
            if taken:
                self._lock.release()

    # --- the file --------------------------------------------------------------------------

    def _change(self, mutate: Callable[[dict[str, JournalEntry]], bool], *, wait: bool = True) -> bool:
        """Queue ``mutate`` for the next write (which reads the file, applies every change queued,
        and writes it back if any says it changed something). Returns what ``mutate`` returned,
        once it is on disk; with ``wait`` False, False at once."""
        change = _Change(mutate)
        with self._queue_lock:
            self._queue.append(change)
        if not wait:
            return False
        while not change.done.is_set():
            with self._holding():  # one write at a time: this one's, or one that takes it along
                if not change.done.is_set():
                    self._write_queued()
        if change.error is not None:
            raise change.error
        return change.changed

    def _write_queued(self) -> None:
        """Write every change queued, as one (under the journal's lock)."""
        with self._queue_lock:
            group, self._queue = self._queue, []
        if not group:
            return
        try:
            with self._locked():
                entries = self._read()
                changed = [change.mutate(entries) for change in group]
                if any(changed):
                    self._write(entries)
        except Exception as problem:  # none of them is on disk
            for change in group:
                change.error = problem
                change.done.set()
            return
        except BaseException:  # KeyboardInterrupt in the main thread: the others' changes wait on
            with self._queue_lock:
                self._queue[:0] = group
            raise
        for change, result in zip(group, changed, strict=True):
            change.changed = result
            change.done.set()

    @contextlib.contextmanager
    def _holding(self) -> Iterator[None]:
        """Hold the journal's lock to work on the file."""
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return self._file_lock.held()

    def _read(self) -> dict[str, JournalEntry]:
        try:
            return self._file.load()
        except OSError as problem:
            raise OrbitctlError(f"{self.path}: cannot read the purchase journal: {problem.strerror}") from None
        except (ValueError, KeyError, TypeError) as problem:
            raise OrbitctlError(
                f"{self.path}: the purchase journal is not valid ({problem}); it lists purchases "
                "made or under way whose numbers may carry no tag yet: fix the file, or move it "
                "away after checking that every number it names carries its orbitctl__ tag"
            ) from None

    def _write(self, entries: dict[str, JournalEntry]) -> None:
        self._file.save(entries)


def _row(entry: JournalEntry) -> dict[str, Any]:
    """The entry as a JSON object: its fields, all strings (``dataclasses.asdict`` copies deep, at
    several times the cost, for each entry written)."""
    return dict(vars(entry))


@dataclass(eq=False)
class _Change:
    """A change of the journal's entries, queued for the next write: ``mutate`` changes them in
    place and says whether it changed anything; ``done`` is set once it is on disk (``changed``
    what ``mutate`` said) or failed to get there (``error``)."""

    mutate: Callable[[dict[str, JournalEntry]], bool]
    done: threading.Event = field(default_factory=threading.Event)
    changed: bool = False
    error: Exception | None = None
