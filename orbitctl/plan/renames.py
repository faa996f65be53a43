"""The rename hint: a plan that releases the numbers of an entry that left the manifest while it
buys numbers for a new entry they would suit looks like an entry renamed without ``moved:``,
which would keep the numbers (SPEC section 2). Pure, like the planner that calls it.

A pair ``(old, new)`` is suggested when:
- every number of ``old`` is released because ``old`` left the manifest (not a surplus, not
  ``removed:``, not already ``moved:``);
- ``new`` is an entry of the manifest with purchases and no number yet on the account;
- each of ``old``'s numbers satisfies ``new``'s selection and already has every configuration value
  ``new`` states (so the move would change nothing but the ownership tag);
- the pairing is one to one: ``old`` suits no other new entry and ``new`` no other old name
  (with two look-alike candidates, a guess could keep the wrong number).
Past ``MAX_PAIRS`` candidate pairs (a mass edit) no hint is computed: it stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from orbitctl.model import Action, ActionKind, Desired, LiveNumber
from orbitctl.plan.diff import config_changes
from orbitctl.plan.matching import unmet_keys

#: Candidate (old, new) pairs beyond which no hint is looked for.
MAX_PAIRS = 10_000


def suggested_moves(
    desired: Desired, owned: Mapping[str, Sequence[LiveNumber]], actions: Iterable[Action]
) -> tuple[tuple[str, str], ...]:
    """``(old, new)`` pairs to suggest as ``moved: {old: new}``, sorted by ``old``. ``owned``: this
    stack's live numbers by the entry name their ownership tag gives."""
    released: dict[str, set[str | None]] = {}
    bought: set[str] = set()
    others: set[str] = set()  # entries with an action other than a purchase
    for action in actions:
        if action.kind is ActionKind.RELEASE and action.name not in desired.entries:
            released.setdefault(action.name, set()).add(action.id)
        elif action.kind is ActionKind.PURCHASE:
            bought.add(action.name)
        else:
            others.add(action.name)
    if not released or not bought:
        return ()
    fresh = sorted(name for name in bought if name not in others and name not in owned)
    gone = sorted(name for name, ids in released.items() if ids == {n.id for n in owned.get(name, ())})
    if not fresh or not gone or len(fresh) * len(gone) > MAX_PAIRS:
        return ()
    candidates = {old: [new for new in fresh if _suits(desired, new, owned[old])] for old in gone}
    suitors: dict[str, list[str]] = {}
    for old, news in candidates.items():
        for new in news:
            suitors.setdefault(new, []).append(old)
    return tuple((old, news[0]) for old, news in candidates.items() if len(news) == 1 and len(suitors[news[0]]) == 1)


def _suits(desired: Desired, name: str, numbers: Sequence[LiveNumber]) -> bool:
    """Whether every one of ``numbers`` could be entry ``name``'s as it is."""
    entry = desired.entries[name]
    selection = entry.selection
    return all(
        not unmet_keys(selection, number.number, number.country, number.type) and not config_changes(entry, number)
        for number in numbers
    )
