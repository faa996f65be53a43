"""``--target NAME``: a plan limited to some entries, for exceptional cases (as Terraform's
``-target``). Pure: the full plan is made first (so every problem of the manifest against the
account still stops it), then :func:`restrict` keeps the targeted entries' actions.

What a target covers:
- an entry of the manifest: every action on its numbers (a pool's purchases, updates and surplus
  releases alike: a pool is targeted whole, its members being interchangeable);
- a ``moved: {old: new}`` rename: targeting ``old`` or ``new`` takes the move (and ``new``'s other
  actions); a pin that takes a number from a name that left the manifest is taken with either;
- a name that left the manifest but still owns numbers of the stack: their release (or their
  orphaning under ``removed:``).
A name that is none of these is an error naming the closest known names.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence

from orbitctl.errors import PlanError
from orbitctl.model import Action, Desired, Live, Plan, cost_delta


def known_names(desired: Desired, live: Live) -> set[str]:
    """The names a target may be: entries, ``moved``/``removed`` names, and names of this
    stack's numbers on the account."""
    owned = {n.owner.name for n in live.numbers if n.owner is not None and n.owner.stack == desired.stack}
    return {*desired.entries, *desired.moved, *desired.removed, *owned}


def checked_targets(targets: Iterable[str], desired: Desired, live: Live) -> tuple[str, ...]:
    """``targets`` without repeats, in the order given; PlanError for every unknown one."""
    names = known_names(desired, live)
    unique = tuple(dict.fromkeys(targets))
    problems = []
    for target in unique:
        if target not in names:
            close = difflib.get_close_matches(target, sorted(names), n=3)
            hint = f" (did you mean {' or '.join(repr(name) for name in close)}?)" if close else ""
            problems.append(
                f"--target {target!r}: no entry of that name in the manifests of stack "
                f"{desired.stack!r}, and no number of the stack on the account carries it{hint}"
            )
    if problems:
        raise PlanError(problems)
    return unique


def is_targeted(action: Action, targets: frozenset[str]) -> bool:
    return action.name in targets or (action.previous_name is not None and action.previous_name in targets)


def restrict(plan: Plan, desired: Desired, live: Live, targets: Sequence[str]) -> Plan:
    """``plan`` (made from ``desired`` and ``live``) with only the actions of ``targets``.

    ``unchanged`` counts the targeted entries' numbers that need nothing; the account counts
    (managed, unmanaged, foreign) still describe the whole account; a rename hint stays when both
    its names are targeted."""
    chosen = checked_targets(targets, desired, live)
    wanted = frozenset(chosen)
    actions = tuple(action for action in plan.actions if is_targeted(action, wanted))
    touched = {action.id for action in plan.actions if action.id is not None}
    unchanged = sum(
        1
        for number in live.numbers
        if number.owner is not None
        and number.owner.stack == desired.stack
        and number.owner.name in wanted
        and number.owner.name in desired.entries
        and number.id not in touched
    )
    names = {action.name for action in actions}
    moves = tuple(pair for pair in plan.suggested_moves if set(pair) <= names)
    return dataclasses.replace(
        plan,
        actions=actions,
        unchanged=unchanged,
        monthly_cost_delta=cost_delta(actions),
        targets=chosen,
        suggested_moves=moves,
        waiting=tuple(progress for progress in plan.waiting if progress.name in wanted),
    )
