"""Buying a number: pick, purchase, configure (then route to its agent), read back — and never
buy the same thing twice.

- Picks come from fresh inventory searches at apply time, in the planner's pick order
  (``pricing.candidates``: capabilities, cost cap, cheapest, then lowest number), bought in waves:
  when a wave's rows are used up, the inventory is searched again (the numbers bought have left
  it). Workers buying for the same selection share the searches and never pick the same row
  (:class:`OfferBook`). When the searches find nothing more, the purchases still to make fail
  saying how many numbers are missing; those bought stand.
- The purchase asks to provision the entry's capabilities that a purchase sets (sms, voice,
  whatsapp, rcs); the configure PUT after it toggles the rest (``configure.put_body``).
- Every purchase is written to the journal (an intent: stack, entry, number, account) before the
  request is sent, becomes the number's id when the response arrives, and is cleared once the
  read-back shows the ownership tag; what a failure, a signal or a kill leaves there is resolved
  by the next plan against the account (adopted when the number is there untagged).
- A 409 (taken meanwhile) moves on to the next candidate, unless the number is on this account
  without another stack's tag: bought by an interrupted apply of this stack (its intent in the
  journal), it is configured as this purchase; bought by another apply buying on this account at
  the same time, the entry stops buying (``Buyer.halted``), so the two never both fill it.
- A purchase is never retried blindly. After a failure whose outcome is unknown (no response, a
  5xx), the account is read to learn whether the number was bought; only when it is not there is
  the purchase tried again (at most ``MAX_PURCHASE_ATTEMPTS`` times in all). A number found there
  that already carries an ownership tag was bought by another apply: it is taken, like a 409.
- An entry's ``agent_id`` is set once the number carries its tag (``routing.py``); when that
  request fails the number is kept and tagged, and the next plan shows the agent to set.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from orbitctl.account import inventory
from orbitctl.account.api import (
    LIST_PAGE_MAX,
    ConflictError,
    NumberRecord,
    OrbitError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from orbitctl.apply.configure import check_returned, is_held, new_number_body, purchase_capabilities, put_body
from orbitctl.apply.journal import JournalEntry, account_of
from orbitctl.apply.outcome import ActionOutcome, Mismatch, Status
from orbitctl.apply.routing import ROUTING_REQUEST, new_number_routing, send_routing
from orbitctl.model import BUYING_KINDS, Action, Offer, Owner, Selection, SelectionKey, Survey
from orbitctl.plan.pricing import candidates, describe, is_candidate, pinned_numbers

#: Attempts at buying one inventory row when each ends with an unknown outcome and the account
#: then shows the number was not bought.
MAX_PURCHASE_ATTEMPTS = 3

#: A 429 means the purchase was refused, not made: wait as asked and send it again, this many
#: times at most, each wait capped.
MAX_RATE_LIMIT_WAITS = 6
RATE_LIMIT_WAIT_CAP = 30.0


#: A search made this long before (the plan's) still gives a selection's first wave (as many rows
#: as one search shows): a row taken meanwhile is refused (409) and skipped; an apply that waited
#: longer (for a confirmation) searches again.
SURVEY_FRESH_SECONDS = 30.0

#: A wave is prefetched only when the rows a background search may waste (still queued, up to two
#: per worker, or being bought, one per worker) take at most half its page: a search cap of at
#: least this many times the parallelism. Else the prefetch would see little but those rows.
_PREFETCH_PAGE_SHARE = 6


class PurchaseFailed(Exception):
    """No number could be bought; the message says why and what was tried."""


class OutOfStock(PurchaseFailed):
    """The inventory has no number left for the selection (the searches found nothing new)."""


class PurchaseUncertain(PurchaseFailed):
    """The purchase of ``number`` may have happened, and the account could not be read to tell;
    ``id`` is the number's id when the account was seen to hold it."""

    def __init__(self, message: str, *, number: str, id: str | None = None):
        super().__init__(message)
        self.number = number
        self.id = id


class OfferBook:
    """The inventory rows each selection may buy, shared by all purchase workers.

    The rows come in waves: a survey of the inventory (``inventory.survey``) for as many as are
    still to buy, that stops as soon as it has found enough to keep every worker busy (one search,
    mostly); the first wave is the plan's own survey instead, while fresh
    (``SURVEY_FRESH_SECONDS``), cut to what one search shows. When a wave runs low (fewer rows left
    than two per worker, and more to buy), the next one is surveyed in the background, leaving out
    the rows claimed or still queued, so the workers rarely wait for a search (only where a search
    shows enough rows for that to be worth it: ``_PREFETCH_PAGE_SHARE``); a prefetched wave with
    nothing left to claim is surveyed again on the spot. A row handed out is claimed for good in
    this apply, so two workers never try the same number (also when several entries share a
    selection, or two selections match the same number), whether it was then bought, taken by
    someone else or refused. A wave from a survey that could not see the whole inventory holds only
    its cheapest rows (dearer ones, such as golden numbers, come in a later wave only if nothing
    cheaper turns up). When a survey made on the spot finds nothing new and rows handed out were
    still being bought when it began (``settled`` not yet called for them), it waits for those
    purchases and surveys again: rows under way fill a capped search and hide the rest, also from a
    survey they settle during. When one that began with none under way finds nothing new, the
    selection is out of stock: every later ``take`` for it returns None without searching.
    """

    def __init__(
        self,
        client: Any,
        *,
        wanted: Mapping[SelectionKey, int] | None = None,
        reserved: frozenset[str] = frozenset(),
        parallelism: int = 1,
        surveys: Mapping[SelectionKey, Survey] | None = None,
    ):
        self._client = client
        #: searches made before (the plan's), each a selection's first wave while fresh
        self._surveys = dict(surveys or {})
        self._wanted = dict(wanted or {})
        self._reserved = reserved
        self._parallelism = parallelism
        self._lock = threading.Lock()
        self._key_locks: dict[SelectionKey, threading.Lock] = {}
        self._queues: dict[SelectionKey, deque[Offer]] = {}
        self._claimed: set[str] = set()
        self._handed: Counter[SelectionKey] = Counter()
        self._out_of_stock: set[SelectionKey] = set()
        #: the next wave of a selection, being surveyed in the background
        self._next: dict[SelectionKey, Future[list[Offer]]] = {}
        #: rows handed out whose purchase has not ended yet, by selection
        self._under_way: Counter[SelectionKey] = Counter()
        self._settled = threading.Condition(self._lock)

    @classmethod
    def for_actions(
        cls,
        client: Any,
        actions: Iterable[Action],
        *,
        parallelism: int = 1,
        surveys: Mapping[SelectionKey, Survey] | None = None,
    ) -> OfferBook:
        """A book for the purchases and replaces among ``actions``; numbers they pin are kept for
        their pins. ``surveys`` (the plan's) are the first waves while fresh."""
        actions = tuple(actions)
        return cls(
            client,
            wanted=buys_by_selection(actions),
            reserved=pinned_numbers(actions),
            parallelism=parallelism,
            surveys=surveys,
        )

    def _key_lock(self, key: SelectionKey) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _claim_next(self, key: SelectionKey) -> Offer | None:
        with self._lock:
            queue = self._queues.get(key, ())
            while queue:
                offer = queue.popleft()
                if offer.number not in self._claimed:
                    self._claimed.add(offer.number)
                    self._handed[key] += 1
                    self._under_way[key] += 1
                    return offer
        return None

    def settled(self, selection: Selection) -> None:
        """The purchase of a row ``take`` handed out for ``selection`` has ended (either way)."""
        with self._settled:
            self._under_way[selection.key()] -= 1
            self._settled.notify_all()

    def take(self, selection: Selection) -> Offer | None:
        """The next row to try for ``selection``, or None when the inventory has nothing more.

        Raises OrbitError when the search fails."""
        key = selection.key()
        with self._key_lock(key):
            offer = self._claim_next(key)
            if offer is None and key not in self._out_of_stock:
                prefetched = self._next.pop(key, None)
                with contextlib.suppress(OrbitError):  # a failed prefetch: survey on the spot
                    self._queues[key] = deque(prefetched.result() if prefetched is not None else ())
                offer = self._claim_next(key)
                while offer is None:
                    with self._lock:
                        claimed = frozenset(self._claimed)
                        # rows being bought when the survey begins may hide the rest from it, also
                        # when their purchases end before it does (no row is handed out meanwhile:
                        # this holds the selection's lock)
                        hidden = self._under_way[key] > 0
                    self._queues[key] = deque(self._wave(selection, exclude=claimed))
                    offer = self._claim_next(key)
                    if offer is None:
                        if not hidden:
                            self._out_of_stock.add(key)
                            break
                        self._wait_for_purchases(key)
            if offer is not None:
                self._prefetch(selection)
            return offer

    def _wait_for_purchases(self, key: SelectionKey) -> None:
        """Wait until no row handed out for ``key`` is still being bought."""
        with self._settled:
            self._settled.wait_for(lambda: self._under_way[key] <= 0)

    def _wave(self, selection: Selection, *, exclude: frozenset[str]) -> list[Offer]:
        """The rows of ``selection``'s next wave, in the order to try them, none in ``exclude``.

        Raises OrbitError when a search fails."""
        key = selection.key()
        with self._lock:
            still = max(1, self._wanted.get(key, 1) - self._handed[key])
            earlier = self._surveys.pop(key, None)
        fresh = earlier is not None and time.monotonic() - earlier.ended_at <= SURVEY_FRESH_SECONDS
        if earlier is not None and fresh:
            found = replace(earlier, offers=tuple(offer for offer in earlier.offers if offer.number not in exclude))
        else:
            found = inventory.survey(
                self._client,
                selection,
                wanted=still,
                enough=self._parallelism,  # a wave that keeps every worker busy; later ones search again
                keep=lambda offer: is_candidate(selection, offer, reserved=self._reserved),
                exclude=exclude,
                parallelism=self._parallelism,
            )
        wave = candidates(selection, found.offers, reserved=self._reserved)
        if wave and not found.complete:
            # more may lie beyond what the searches showed: buy the cheapest of this wave (as the
            # plan priced them), then search again, rather than its dearer numbers
            wave = [offer for offer in wave if offer.monthly_cost == wave[0].monthly_cost]
        if fresh:
            # as many rows as a search of its own shows: the others would age while this wave is
            # bought (a row someone took meanwhile is refused, then looked up on the account)
            wave = wave[: inventory.search_cap()]
        return wave

    def _prefetch(self, selection: Selection) -> None:
        """Start surveying ``selection``'s next wave in the background when its queue runs low and
        more is to be bought (called under the selection's lock)."""
        if _PREFETCH_PAGE_SHARE * self._parallelism > inventory.search_cap():
            return
        key = selection.key()
        with self._lock:
            queue = self._queues.get(key, deque())
            still = self._wanted.get(key, 1) - self._handed[key]
            if key in self._next or len(queue) >= min(still, 2 * self._parallelism):
                return
            exclude = frozenset(self._claimed).union(offer.number for offer in queue)
        future: Future[list[Offer]] = Future()

        def survey() -> None:
            try:
                future.set_result(self._wave(selection, exclude=exclude))
            except BaseException as problem:  # handed to the worker that takes the wave
                future.set_exception(problem)

        self._next[key] = future
        threading.Thread(target=survey, name="orbitctl-inventory", daemon=True).start()


def buys_by_selection(actions: Iterable[Action]) -> Counter[SelectionKey]:
    """How many numbers ``actions`` buy with each selection (by ``Selection.key()``)."""
    return Counter(
        action.selection.key() for action in actions if action.selection is not None and action.kind in BUYING_KINDS
    )


def out_of_stock_message(selection: Selection, missing: Mapping[str, int], wanted: int) -> str:
    """What to say of the purchases for ``selection`` that found no number: ``missing`` counts
    them by entry; ``wanted`` is how many the apply was to buy with that selection."""
    message = f"no available number matches {describe(selection)}: the inventory has run out"
    if wanted > 1:
        entries = ", ".join(f"{name!r} {count}" for name, count in missing.items())
        message += (
            f" (searched again after each wave of purchases); {sum(missing.values())} of the {wanted} "
            f"numbers to buy with it are missing ({entries}), and those bought stay on the account, "
            "managed. Lower count, or loosen"
        )
    else:
        message += ". Loosen"
    return message + (
        " the selection (another area_code, no contains, fewer capabilities, a higher max_monthly_cost), "
        "or apply again later"
    )


def find_on_account(client: Any, number: str, country: str | None = None) -> NumberRecord | None:
    """The account's record of ``number`` (listing only ``country`` when given), or None if the
    account does not hold it."""
    for record in client.iter_numbers(page_size=LIST_PAGE_MAX, country=country):
        if record.number == number:
            return record
    return None


def _owner(client: Any, record: NumberRecord) -> Owner | None:
    """The owner the number's ownership tag names (its detail is read), or None when untagged."""
    tags = client.get_number(record.id).get("tags") or ()
    return next((owner for owner in map(Owner.from_tag, tags) if owner is not None), None)


def _outcome_unknown(problem: OrbitError) -> bool:
    return isinstance(problem, (TransportError, ServerError)) or getattr(problem, "outcome_unknown", False)


@dataclass(frozen=True)
class Buyer:
    """Who buys, for whom, and where it is written down: the journal (every purchase is written
    there before it is sent), the stack and entry, and the entries of this apply that stopped
    buying because another apply is buying on the account at the same time (``halted``, shared
    by every worker)."""

    journal: Any
    stack: str
    name: str
    account: str = ""
    halted: set[str] = field(default_factory=set)


def buy(
    client: Any, book: OfferBook, selection: Selection, buyer: Buyer, *, compliance_profile_id: str | None = None
) -> tuple[NumberRecord, Offer, JournalEntry]:
    """Buy one number for ``selection``: the record the API (or the account) gave, the row, and
    the journal's intent of that purchase.

    Raises PurchaseFailed when nothing could be bought."""
    conflicts: list[str] = []
    while True:
        if buyer.name in buyer.halted:
            raise PurchaseFailed(
                f"stopped buying for '{buyer.name}': another apply is buying numbers on this account at the "
                "same time; plan again once it is done (the next plan releases any surplus)"
            )
        try:
            offer = book.take(selection)
        except OrbitError as problem:
            raise PurchaseFailed(f"could not search the inventory for {describe(selection)}: {problem}") from None
        if offer is None:
            taken = f" ({len(conflicts)} taken meanwhile: {', '.join(conflicts[:3])})" if conflicts else ""
            raise OutOfStock(f"no available number matches {describe(selection)}{taken}")
        try:
            bought = _buy_offer(
                client,
                offer,
                buyer,
                capabilities=purchase_capabilities(selection),
                compliance_profile_id=compliance_profile_id,
            )
        finally:
            book.settled(selection)
        if bought is not None:
            record, intent = bought
            return record, offer, intent
        conflicts.append(offer.number)  # taken meanwhile: the next candidate


def _intend(buyer: Buyer, number: str) -> tuple[JournalEntry, JournalEntry | None]:
    """Write the intent of buying ``number`` before the request goes out; also the intent an
    earlier, interrupted apply left for the same number, if any. PurchaseFailed (nothing sent)
    when the journal cannot be written."""
    try:
        return buyer.journal.intend(number=number, name=buyer.name, stack=buyer.stack, account=buyer.account)
    except OSError as problem:
        raise PurchaseFailed(
            f"not buying {number}: the purchase journal {buyer.journal.path} cannot be written "
            f"({problem.strerror or problem}), and no purchase is sent before it is recorded there"
        ) from None


def _forget(buyer: Buyer, intent: JournalEntry) -> None:
    """The purchase was refused: nothing was bought (if the journal keeps it, it is resolved later)."""
    with contextlib.suppress(OSError):
        buyer.journal.clear(intent.key)


def _after_conflict(client: Any, offer: Offer, buyer: Buyer, *, sent_before: bool) -> NumberRecord | None:
    """A 409: someone bought ``offer``'s number after the search showed it. On another account
    (or by another stack on this one): None, try the next candidate. On this account untagged,
    when a purchase of it was sent before for this stack (by an interrupted apply, its intent in
    the journal, or by an earlier attempt of this one whose outcome was unknown): that purchase,
    ours to configure. Otherwise another apply of this account is buying at the same time: stop
    buying for the entry (PurchaseFailed), so that two applies never both fill it."""
    try:
        record = find_on_account(client, offer.number, offer.country)
        owner = _owner(client, record) if record is not None else None
    except OrbitError:
        return None  # cannot tell: like any 409, not bought here
    if record is None or (owner is not None and owner.stack != buyer.stack):
        return None
    if owner is None and sent_before:
        return record
    buyer.halted.add(buyer.name)
    whose = f"entry '{owner.name}' of this stack" if owner is not None else "no ownership tag yet"
    raise PurchaseFailed(
        f"{offer.number} was bought on this account by another apply at the same time ({whose}): stopped "
        f"buying for '{buyer.name}'; plan again once the other apply is done (the next plan releases any surplus)"
    )


def _buy_offer(
    client: Any, offer: Offer, buyer: Buyer, *, capabilities: list[str], compliance_profile_id: str | None
) -> tuple[NumberRecord, JournalEntry] | None:
    """Buy ``offer``'s number, its intent journaled first: its record and the intent, or None when
    someone else took it meanwhile. A 429 is waited out; a purchase whose outcome is unknown is
    looked up on the account and, when not there, tried again (``MAX_PURCHASE_ATTEMPTS`` in all).

    Raises PurchaseFailed (PurchaseUncertain when the account could not be read to tell)."""
    inventory_id = offer.inventory_id if offer.placeholder else None
    intent, earlier = _intend(buyer, offer.number)
    sent_before = earlier is not None
    attempt = waits = 0
    while True:
        attempt += 1
        try:
            record = client.purchase(
                offer.number,
                country_code=offer.country,
                capabilities=capabilities,
                compliance_profile_id=compliance_profile_id or None,
                inventory_id=inventory_id,
            )
            return record, intent
        except ConflictError:
            try:
                record = _after_conflict(client, offer, buyer, sent_before=sent_before)
            except PurchaseFailed:
                _forget(buyer, intent)
                raise
            if record is not None:
                return record, intent
            _forget(buyer, intent)
            return None
        except RateLimitedError as problem:
            if waits == MAX_RATE_LIMIT_WAITS:
                _forget(buyer, intent)
                raise PurchaseFailed(f"purchase of {offer.number} refused: {problem}") from None
            time.sleep(min(RATE_LIMIT_WAIT_CAP, problem.retry_after or 2.0**waits))
            waits += 1
            attempt -= 1  # refused, not attempted
        except OrbitError as problem:
            if not _outcome_unknown(problem):
                _forget(buyer, intent)
                raise PurchaseFailed(f"purchase of {offer.number} refused: {problem}") from None
            record = None
            try:
                record = find_on_account(client, offer.number, offer.country)
                if record is not None and _owner(client, record) is not None:
                    return None  # another apply bought and tagged it: not this purchase
            except OrbitError as lookup_problem:
                raise PurchaseUncertain(
                    f"the purchase of {offer.number} may or may not have happened ({problem}), and "
                    f"the account could not be read to tell ({lookup_problem})",
                    number=offer.number,
                    id=record.id if record is not None else None,
                ) from None
            if record is not None:
                return record, intent
            if attempt == MAX_PURCHASE_ATTEMPTS:
                # the intent stays: a server may still commit the last attempt (journal.INTENT_GRACE)
                raise PurchaseFailed(
                    f"the purchase of {offer.number} failed {attempt} times ({problem}); the "
                    "account shows it was not bought"
                ) from None
            # Not on the account: the purchase did not happen (or not yet), so trying again is safe;
            # a 409 then, with the number on the account untagged, is that attempt committed late.
            sent_before = True


def _decimal(value: Any, fallback: Decimal | None) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else (fallback or Decimal("0"))
    except InvalidOperation:
        return fallback or Decimal("0")


def _untagged(
    journal: Any, client: Any, action: Action, stack: str, *, id: str, number: str, what: str
) -> tuple[str, bool]:
    """Journal ``number``, bought (or maybe bought: ``id`` "") for ``action`` and not tagged.
    Returns the message saying ``what`` happened and how the number will be adopted, and whether
    the journal holds it."""
    held = "" if id else f"if the account holds {number}, "
    pin = f"pin it with `number: \"{number}\"` in entry '{action.name}'"
    try:
        journal.record(id=id, number=number, name=action.name, stack=stack, reason=what, account=account_of(client))
    except OSError as problem:
        unwritable = f"{journal.path}: {problem.strerror or problem}"
        return (
            f"{what}; it could not be recorded in the journal ({unwritable}): {held}{pin} so that apply adopts it",
            False,
        )
    adopts = f"{held}the next `orbitctl apply` from this checkout adopts it instead of buying another (or {pin})"
    return f"{what}; it is recorded in {journal.path}, and {adopts}", True


def purchase_and_configure(
    action: Action,
    *,
    client: Any,
    book: OfferBook,
    journal: Any,
    stack: str,
    halted: set[str] | None = None,
) -> ActionOutcome:
    """The buy-configure-read-back sequence for a purchase, or the new number of a replace.

    The purchase is in the journal from before it is sent (an intent) until the read-back shows
    its ownership tag, so that no way out (an error, a bug, a signal, a kill) loses track of it.
    ``halted`` (shared by the apply's workers) names the entries that stopped buying because
    another apply buys on the account at the same time."""
    selection = action.selection
    assert selection is not None, f"{action.kind.value} {action.name} carries no selection"
    compliance = action.config.get("compliance_profile_id")
    buyer = Buyer(journal, stack, action.name, account_of(client), halted if halted is not None else set())
    try:
        record, offer, intent = buy(client, book, selection, buyer, compliance_profile_id=compliance)
    except PurchaseUncertain as problem:
        message, kept = _untagged(
            journal, client, action, stack, id=problem.id or "", number=problem.number, what=str(problem)
        )
        return ActionOutcome(action, Status.FAILED, message, journaled=kept, number=problem.number, id=problem.id)
    except OutOfStock as problem:
        return ActionOutcome(action, Status.FAILED, str(problem), out_of_stock=True)
    except PurchaseFailed as problem:
        return ActionOutcome(action, Status.FAILED, str(problem))

    bought: dict[str, Any] = {"id": record.id, "number": record.number}

    def journaled(reason: str, mismatches: tuple[Mismatch, ...] = ()) -> ActionOutcome:
        what = f"bought {record.number} ({record.id}) for '{action.name}' but could not configure it: {reason}"
        message, kept = _untagged(journal, client, action, stack, id=record.id, number=record.number, what=what)
        return ActionOutcome(action, Status.FAILED, message, journaled=kept, mismatches=mismatches, **bought)

    # Not waited for: until it is on disk (or if it cannot be written) the intent stays, resolved
    # by the number the same way, and configuring may still tag it.
    journal.bought(intent, record.id, wait=False)
    try:
        held = is_held(record.fields)
        bought.update(
            cost_added=_decimal(record.get("monthly_cost"), offer.monthly_cost),
            currency=record.get("currency") or offer.currency,
            held=held,
        )
        body = new_number_body(action, held=held)
        returned = client.configure(record.id, **put_body(body))
        mismatches = check_returned(client, record.id, body, returned)
    except OrbitError as problem:
        return journaled(str(problem))
    except Exception as problem:  # a bug must not lose track of a bought number
        return journaled(f"unexpected error: {type(problem).__name__}: {problem}")

    held = bought["held"] = held or is_held(returned.fields)
    if any(mismatch.key == "tags" for mismatch in mismatches):
        return journaled("the API did not take its tags", mismatches)
    # It carries its ownership tag. Not waited for: until this is on disk (or if it cannot be
    # written), the next plan forgets the entry: the journal keeps no number that carries its tag.
    journal.clear(record.id, intent.key, wait=False)
    routing = new_number_routing(action)
    if routing:
        try:
            mismatches += send_routing(client, number_id=record.id, phone_number=record.number, wanted=routing)
        except OrbitError as problem:
            return ActionOutcome(
                action,
                Status.FAILED,
                f"bought and configured {record.number}, but {ROUTING_REQUEST} failed: {problem}; the "
                "next apply sets its agent",
                mismatches=mismatches,
                **bought,
            )
    if mismatches:
        listed = "; ".join(str(mismatch) for mismatch in mismatches)
        return ActionOutcome(
            action,
            Status.FAILED,
            f"bought {record.number}, but the API did not take: {listed}",
            mismatches=mismatches,
            **bought,
        )
    message = f"bought {record.number}" + (
        " (in regulatory hold: it activates once the carrier approves it)" if held else ""
    )
    return ActionOutcome(action, Status.OK, message, **bought)
