"""The pure diff: ``plan(desired, live) -> Plan``. No I/O, no clock, no environment.

The rules are SPEC.md sections 2 and 3. Where the spec is silent, this module decides:

Ownership
- A live number belongs to entry N of this stack when it carries ``orbitctl__<stack>__N``. Numbers
  with no ownership tag are unmanaged and never touched unless an entry pins them (``number:``),
  which adopts them; numbers of another stack are never touched, and pinning one is an error.
- ``journal`` maps live number ids to entry names for numbers an earlier apply bought but could
  not tag. Such a number, when it is still untagged and the entry is in the manifest (or ``moved``
  sends its name to one that is), counts as a member of that entry and is adopted (ADOPT, reason
  says so) instead of buying another. A journal
  entry whose number carries an ownership tag by now, is gone, or names an entry no longer in the
  manifest is ignored (the number stays as the account says). A pin wins over the journal.
- A pinned number owned by this stack under a name that left the manifest (and is in neither
  ``moved`` nor ``removed``) is adopted into the pinning entry: ADOPT with ``previous_name``, the
  ownership tag rewritten. Pinning a number that another entry of the manifest owns, that
  ``moved`` sends to a different entry, or that ``removed`` orphans, or pinning one number from
  two entries, is a conflicting claim: an error.
- The account counts on the Plan (managed/unmanaged/foreign) follow the tags as observed: a
  journal number is counted as unmanaged until it is tagged.

Members and replacement
- An entry's members are the numbers tagged for it, plus journal numbers, pinned adoptions and
  numbers ``moved`` to it. They are ranked: numbers that satisfy the selection first, then oldest
  (``created_at``, whole seconds; then the account's listing order, which is purchase order;
  then id). The first ``count`` are kept (a single entry keeps one); the rest are released, so a
  pool shrinks newest first and a surplus that no longer fits goes before a good one. A number
  moved to an entry that already has enough numbers is simply a surplus member.
- A kept number that no longer satisfies the selection (``matching.unmet_keys``) is replaced; the
  reason names every selection key that fails. ``max_monthly_cost`` never forces a replace. So
  is one whose capabilities differ from the entry's in one that only a purchase provisions
  (whatsapp, rcs: ``diff.unprovisioned``), which no request can add or remove: the new number
  is bought with them. This is the rule of every selection key (the capabilities are part of the
  entry's selection, and an entry that does not pin a number asks for any number that fits),
  and like every replace it needs ``--allow-release``; a pinned number that cannot be replaced
  is an error instead, and ``ignore_changes: [capabilities]`` leaves a live number as it is.
- A pinned number that is on the account but contradicts the entry's other selection keys (say
  ``type``) is an error: it can be neither adopted as stated nor bought again.
- A kept number that satisfies the selection gets: UPDATE with the changed keys (``diff.py``), or
  nothing (counted unchanged) when tagged for the entry; ADOPT when it came from a pin or the
  journal; MOVE when it came from ``moved``. ADOPT and MOVE are listed even with no key to change,
  since the ownership tag itself is written.
- Missing members are purchased, one action each, with the entry's whole stated configuration
  (``ignore_changes`` does not apply to a purchase, as in Terraform).

Porting
- ``ports`` maps pinned numbers to what is known of the porting request orbitctl submitted for
  each (``PortProgress``). A pinned number on the account is adopted as any pin is: the port is
  done, or the number came another way. A pinned number not on the account whose request is still
  open (pending, in progress, completed but not arrived yet, unconfirmed, or any status not known
  to have failed) is waiting: nothing is planned for it and it is no change, with or without
  ``port_in`` (a number being ported in is never bought). Otherwise an entry with ``port_in`` gets
  a PORT action instead of a purchase: no request yet, or the last one failed (its reason says so,
  and a new request is submitted). While a pinned number is ported in or waited for, numbers the
  entry already holds (it pinned another number before) are left as they are, counted unchanged.

Leaving the manifest
- Numbers of this stack whose name is not an entry: ``moved`` -> MOVE to the new entry,
  ``removed`` -> ORPHAN (only the ownership tag is removed), else RELEASE. A name both in ``moved``
  or ``removed`` and among the entries, a ``moved`` target that is not an entry, or a name in both
  ``moved`` and ``removed``, is an error. ``prevent_release`` guards the entries of the manifest:
  an entry that leaves the manifest takes its lifecycle with it (as Terraform's prevent_destroy).

Errors: every problem found (foreign pins, conflicting claims, prevent_release violations, tag
limit overflows) is collected and raised at once as one PlanError.

Costs: RELEASE carries the live number's ``monthly_cost``; REPLACE carries the released number's
in ``previous_monthly_cost``. The plan's ``monthly_cost_delta`` here counts what releases save;
``pricing.price`` adds what purchases and replaces cost once the inventory is searched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from orbitctl.errors import PlanError
from orbitctl.model import (
    ACTION_KINDS,
    DEFAULT_CURRENCY,
    MAX_API_TAGS,
    Action,
    ActionKind,
    Desired,
    DesiredEntry,
    Live,
    LiveNumber,
    Plan,
    PortProgress,
    cost_delta,
    ownership_tag,
)
from orbitctl.plan.diff import config_changes, unprovisioned, user_tags_after
from orbitctl.plan.matching import unmet_keys
from orbitctl.plan.pricing import mixed_currencies_problem
from orbitctl.plan.renames import suggested_moves

_NO_JOURNAL: Mapping[str, str] = MappingProxyType({})
_NO_PORTS: Mapping[str, PortProgress] = MappingProxyType({})

# How a live number came to be an entry's member.
_TAGGED = "tagged"  # carries the entry's ownership tag
_JOURNAL = "journal"  # bought for the entry by an earlier apply, not yet tagged
_PINNED = "pinned"  # unmanaged, pinned by the entry
_RETAGGED = "retagged"  # this stack's, under a name that left the manifest; pinned by the entry
_MOVED = "moved"  # this stack's, under a name that ``moved`` sends to the entry

_KIND_ORDER = {kind: index for index, kind in enumerate(ACTION_KINDS)}


def _age(live: LiveNumber) -> tuple[str, int, str]:
    """Oldest first: ``created_at`` (whole seconds, so ties are common), then the account's
    listing order (purchase order), then id."""
    return (live.created_at, live.position, live.id)


def _sort_key(action: Action) -> tuple[int, str, str, str]:
    return (_KIND_ORDER[action.kind], action.name, action.number or "", action.id or "")


class _Planner:
    """One planning run: the indexes, the actions and the problems found so far."""

    def __init__(self, desired: Desired, live: Live, journal: Mapping[str, str], ports: Mapping[str, PortProgress]):
        self.desired = desired
        self.stack = desired.stack
        self.entries = desired.entries
        self.journal = journal
        self.ports = ports
        self.actions: list[Action] = []
        self.waiting: list[PortProgress] = []
        self.problems: list[str] = []
        self.unchanged = 0
        self.managed = self.unmanaged = self.foreign = 0
        #: this stack's live numbers by entry name
        self.owned: dict[str, list[LiveNumber]] = {}
        #: members that reach an entry other than by its tag: name -> [(live, how, previous_name)]
        self.extra: dict[str, list[tuple[LiveNumber, str, str | None]]] = {}
        #: ids of live numbers taken away from their tag group (pinned or moved elsewhere)
        self.claimed: set[str] = set()
        self.pins: dict[str, str] = {}  # pinned E.164 -> entry name
        self.pinned_live: dict[str, LiveNumber] = {}
        self.journaled: list[LiveNumber] = []
        #: currencies of the live numbers that releases and replaces give up
        self.currencies: set[str] = set()
        self._index(live)

    # --- indexing --------------------------------------------------------------------------

    def _index(self, live: Live) -> None:
        for name, entry in self.entries.items():
            pin = entry.selection.number
            if pin is None:
                continue
            if pin in self.pins:
                self.problems.append(
                    f"entries {self.pins[pin]!r} and {name!r} both pin {pin}: a number can belong to one entry only"
                )
            else:
                self.pins[pin] = name
        stack, pins, journal = self.stack, self.pins, self.journal
        for number in live.numbers:
            owner = number.owner
            if owner is None:
                self.unmanaged += 1
                if number.id in journal:
                    self.journaled.append(number)
            elif owner.stack != stack:
                self.foreign += 1
            else:
                self.managed += 1
                group = self.owned.get(owner.name)
                if group is None:
                    self.owned[owner.name] = [number]
                else:
                    group.append(number)
            if pins and number.number in pins:
                self.pinned_live[number.number] = number

    def _claim(self, name: str, live: LiveNumber, how: str, previous_name: str | None = None) -> None:
        self.extra.setdefault(name, []).append((live, how, previous_name))
        self.claimed.add(live.id)

    # --- claims beyond the tags: pins, journal, moved --------------------------------------

    def resolve_pins(self) -> None:
        moved, removed = self.desired.moved, self.desired.removed
        for pin, name in self.pins.items():
            live = self.pinned_live.get(pin)
            if live is None:
                continue  # not on the account: bought
            owner = live.owner
            if owner is None:
                self._claim(name, live, _PINNED)
            elif owner.stack != self.stack:
                self.problems.append(
                    f"entry {name!r} pins {pin}, which belongs to stack {owner.stack!r} "
                    f"(entry {owner.name!r} there): orbitctl never touches another stack's "
                    "numbers; release or orphan it from that stack first"
                )
            elif owner.name == name:
                continue
            elif owner.name in self.entries:
                self.problems.append(
                    f"entry {name!r} pins {pin}, which is the number of entry {owner.name!r}: "
                    "conflicting claims; pin it in one entry only"
                )
            elif owner.name in moved:
                if moved[owner.name] != name:
                    self.problems.append(
                        f"entry {name!r} pins {pin}, but moved: sends its entry {owner.name!r} "
                        f"to {moved[owner.name]!r}: conflicting claims"
                    )
            elif owner.name in removed:
                self.problems.append(
                    f"entry {name!r} pins {pin}, but removed: orphans its entry "
                    f"{owner.name!r}: conflicting claims; drop one of them"
                )
            else:
                self._claim(name, live, _RETAGGED, owner.name)

    def resolve_journal(self) -> None:
        moved = self.desired.moved
        for live in self.journaled:
            name = self.journal[live.id]
            name = moved.get(name, name)  # bought for an entry renamed since
            if live.id not in self.claimed and name in self.entries:
                self._claim(name, live, _JOURNAL)

    def resolve_moved(self) -> None:
        removed = self.desired.removed
        for old, new in self.desired.moved.items():
            if old in self.entries:
                self.problems.append(
                    f"moved: {old} -> {new}, but {old!r} is still an entry of the manifest: "
                    "remove the entry or the moved: line"
                )
            elif new not in self.entries:
                self.problems.append(f"moved: {old} -> {new}, but {new!r} is not an entry of the manifest")
            elif old in removed:
                self.problems.append(f"{old!r} is both in moved: and in removed: conflicting claims; keep one")
            else:
                for live in self.owned.get(old, ()):
                    self._claim(new, live, _MOVED, old)

    # --- names that left the manifest ------------------------------------------------------

    def resolve_removed(self) -> None:
        for name in self.desired.removed:
            if name in self.entries:
                self.problems.append(
                    f"removed: {name}, but {name!r} is still an entry of the manifest: "
                    "remove the entry or the removed: line"
                )

    def leave(self) -> None:
        moved, removed = self.desired.moved, self.desired.removed
        for name in sorted(self.owned):
            if name in self.entries or name in moved:
                continue
            if name in removed:
                kind, reason = ActionKind.ORPHAN, f"removed: {name}: orphan (the number stays)"
            else:
                kind, reason = ActionKind.RELEASE, f"entry {name!r} is no longer in the manifest"
            for live in self.owned[name]:
                if live.id in self.claimed:
                    continue
                if kind is ActionKind.RELEASE:
                    self.actions.append(self._release(name, live, reason))
                else:
                    self.actions.append(
                        Action(
                            kind=kind,
                            name=name,
                            id=live.id,
                            number=live.number,
                            reason=reason,
                            live_fingerprint=live.fingerprint,
                        )
                    )

    # --- entries ---------------------------------------------------------------------------

    def entry(self, entry: DesiredEntry) -> None:
        name = entry.name
        # numbers tagged for an entry of the manifest are never claimed by another entry
        members: list[tuple[LiveNumber, str, str | None]] = [(live, _TAGGED, None) for live in self.owned.get(name, ())]
        members.extend(self.extra.get(name, ()))
        selection = entry.selection
        pin = selection.number
        if pin is not None and pin not in self.pinned_live and self._ported(entry):
            # the entry's other numbers (it pinned another before) stay as they are until the
            # ported number arrives; then it is adopted and they are surplus
            self.unchanged += len(members)
            return
        ranked = []
        for member in members:
            live = member[0]
            unmet = unmet_keys(selection, live.number, live.country, live.type) + unprovisioned(entry, live)
            # the pinned number itself first, then numbers that satisfy, then the oldest
            rank = (pin is not None and live.number != pin, bool(unmet), _age(live))
            ranked.append((rank, member, unmet))
        if len(ranked) > 1:
            ranked.sort(key=lambda item: item[0])
        count = entry.count
        for _, (live, how, previous_name), unmet in ranked[:count]:
            self._keep(entry, live, how, previous_name, unmet)
        for _, (live, _how, previous_name), _ in ranked[count:]:
            self._surplus(entry, live, previous_name)
        for _ in range(count - len(ranked)):
            self.actions.append(
                Action(
                    kind=ActionKind.PURCHASE,
                    name=name,
                    number=selection.number,
                    selection=selection,
                    config=entry.config,
                    tag=ownership_tag(self.stack, name),
                    reason=self._purchase_reason(entry),
                )
            )

    def _ported(self, entry: DesiredEntry) -> bool:
        """For a pinned number not on the account: wait for its open porting request, or port it
        in (``port_in``). False when it is to be bought."""
        pin = entry.selection.number
        assert pin is not None
        progress = self.ports.get(pin)
        if progress is not None and not progress.failed:
            self.waiting.append(replace(progress, name=entry.name))
            return True
        if entry.port_in is None:
            return False
        reason = f"pinned {pin} is not on the account"
        if progress is not None:
            reason += f" (porting request {progress.port_id} ended {progress.status}: a new request is submitted)"
        self.actions.append(
            Action(kind=ActionKind.PORT, name=entry.name, number=pin, port_in=entry.port_in, reason=reason)
        )
        return True

    def _purchase_reason(self, entry: DesiredEntry) -> str:
        if entry.selection.number is not None:
            return f"pinned {entry.selection.number} is not on the account"
        return "new entry" if entry.count == 1 else f"pool {entry.name!r} wants {entry.count}"

    def _keep(
        self, entry: DesiredEntry, live: LiveNumber, how: str, previous_name: str | None, unmet: list[str]
    ) -> None:
        name = entry.name
        tag = ownership_tag(self.stack, name)
        if unmet:
            if entry.selection.number is not None and live.number == entry.selection.number:
                self.problems.append(
                    f"entry {name!r} pins {live.number}, which is on the account but does not "
                    f"match the entry's selection ({'; '.join(unmet)}): fix the entry to match it"
                )
                return
            unmet_reason = "selection no longer holds: " + "; ".join(unmet)
            if entry.lifecycle.prevent_release:
                self._prevent_release_problem(name, live, "replace", unmet_reason)
            self.actions.append(
                Action(
                    kind=ActionKind.REPLACE,
                    name=name,
                    id=live.id,
                    number=live.number,
                    selection=entry.selection,
                    config=entry.config,
                    tag=tag,
                    previous_name=previous_name,
                    reason=unmet_reason,
                    live_fingerprint=live.fingerprint,
                    previous_monthly_cost=live.monthly_cost,
                )
            )
            self.currencies.add(live.currency)
            return
        changes = config_changes(entry, live)
        if how == _TAGGED:
            if not changes:
                self.unchanged += 1
                return
            kind, reason = ActionKind.UPDATE, None
        elif how == _MOVED:
            kind, reason = ActionKind.MOVE, f"moved: {previous_name} -> {name}"
        elif how == _JOURNAL:
            kind, reason = ActionKind.ADOPT, "bought by an earlier apply that could not configure it"
        elif how == _PINNED:
            kind, reason = ActionKind.ADOPT, f"pinned by entry {name!r}"
        else:  # _RETAGGED
            kind, reason = ActionKind.ADOPT, f"pinned by entry {name!r}; was entry {previous_name!r}"
        self._check_tag_limit(entry, live)
        self.actions.append(
            Action(
                kind=kind,
                name=name,
                id=live.id,
                number=live.number,
                changes=changes,
                tag=tag,
                previous_name=previous_name,
                reason=reason,
                live_fingerprint=live.fingerprint,
            )
        )

    def _surplus(self, entry: DesiredEntry, live: LiveNumber, previous_name: str | None) -> None:
        if entry.count == 1 and not entry.is_pool:
            reason = f"entry {entry.name!r} is a single number; another number is kept for it"
        else:
            reason = f"pool {entry.name!r} has more members than count {entry.count}"
        if entry.lifecycle.prevent_release:
            self._prevent_release_problem(entry.name, live, "release", reason)
        self.actions.append(self._release(entry.name, live, reason, previous_name))

    def _release(self, name: str, live: LiveNumber, reason: str, previous_name: str | None = None) -> Action:
        self.currencies.add(live.currency)
        return Action(
            kind=ActionKind.RELEASE,
            name=name,
            id=live.id,
            number=live.number,
            previous_name=previous_name,
            reason=reason,
            monthly_cost=live.monthly_cost,
            live_fingerprint=live.fingerprint,
        )

    def _prevent_release_problem(self, name: str, live: LiveNumber, verb: str, reason: str) -> None:
        self.problems.append(
            f"entry {name!r} has lifecycle.prevent_release, but this plan would {verb} "
            f"{live.number} ({live.id}): {reason}; change the manifest so it keeps the number, "
            "or remove prevent_release"
        )

    def _check_tag_limit(self, entry: DesiredEntry, live: LiveNumber) -> None:
        tags = user_tags_after(entry, live)
        if tags is not None and len(set(tags)) + 1 > MAX_API_TAGS:
            self.problems.append(
                f"entry {entry.name!r}: {live.number} ({live.id}) would carry "
                f"{len(set(tags)) + 1} tags with the ownership tag, and the API allows "
                f"{MAX_API_TAGS}: state tags: for the entry with at most {MAX_API_TAGS - 1}"
            )

    # --- the whole run ---------------------------------------------------------------------

    def run(self) -> Plan:
        self.resolve_pins()
        self.resolve_journal()
        self.resolve_moved()
        self.resolve_removed()
        self.leave()
        for entry in self.entries.values():
            self.entry(entry)
        if self.problems:
            raise PlanError(self.problems)
        if len(self.currencies) > 1:
            raise PlanError([mixed_currencies_problem(self.currencies)])
        actions = tuple(sorted(self.actions, key=_sort_key))
        return Plan(
            stack=self.stack,
            actions=actions,
            unchanged=self.unchanged,
            monthly_cost_delta=cost_delta(actions),
            currency=next(iter(self.currencies), DEFAULT_CURRENCY),
            desired_fingerprint=self.desired.fingerprint,
            managed=self.managed,
            unmanaged=self.unmanaged,
            foreign=self.foreign,
            suggested_moves=suggested_moves(self.desired, self.owned, actions),
            waiting=tuple(sorted(self.waiting, key=lambda progress: progress.name)),
        )


def plan(
    desired: Desired,
    live: Live,
    *,
    journal: Mapping[str, str] = _NO_JOURNAL,
    ports: Mapping[str, PortProgress] = _NO_PORTS,
) -> Plan:
    """Diff ``desired`` against ``live``: the actions that make the account match the manifest.

    ``journal`` maps live number ids to the entry an earlier apply bought them for; ``ports``
    pinned numbers to the porting request orbitctl submitted for each (see the module's
    Porting). Raises PlanError listing every problem at once. ``suggested_moves`` holds the
    rename hints (``renames.py``)."""
    return _Planner(desired, live, journal, ports).run()
