"""Safety gates: checks a plan must pass before apply changes anything.

A release cannot be undone (the number may go to another customer), so releases need to be asked
for, large ones need ``--force``, ``prevent_release`` always wins, and a saved plan is re-checked
against the account and the manifest before any of it runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from orbitctl.apply.compare import first_difference
from orbitctl.errors import OrbitctlError
from orbitctl.model import RELEASING_KINDS, Action, Desired, Live, Plan

#: Default of ``--max-release-percent``.
DEFAULT_MAX_RELEASE_PERCENT = 25
#: The percentage gate applies to stacks with at least this many managed numbers.
RELEASE_PERCENT_MIN_STACK = 8


class GateError(OrbitctlError):
    """Apply refused before changing anything; ``problems`` lists every reason, one line each."""

    def __init__(self, problems: list[str], *, advice: str = ""):
        text = "\n".join(problems)
        super().__init__(f"{text}\n{advice}" if advice else text)
        self.problems = list(problems)


def releasing_actions(plan: Plan) -> list[Action]:
    return [action for action in plan.actions if action.kind in RELEASING_KINDS]


def _describe(action: Action) -> str:
    number = action.number or action.id or "?"
    return f"{action.kind.value} {action.name} ({number})"


def check_release_gates(
    plan: Plan,
    *,
    allow_release: bool,
    max_release_percent: int = DEFAULT_MAX_RELEASE_PERCENT,
    force: bool = False,
) -> None:
    """``--allow-release`` for any release or replace; ``--max-release-percent`` of the stack's
    managed numbers (stacks of ``RELEASE_PERCENT_MIN_STACK`` or more) unless ``force``."""
    releasing = releasing_actions(plan)
    if not releasing:
        return
    problems = []
    if not allow_release:
        listed = ", ".join(_describe(action) for action in releasing[:5])
        more = f" and {len(releasing) - 5} more" if len(releasing) > 5 else ""
        problems.append(
            f"the plan releases {len(releasing)} number(s) ({listed}{more}); a release cannot be "
            "undone (the number may go to another customer): pass --allow-release to allow it"
        )
    if not force and plan.managed >= RELEASE_PERCENT_MIN_STACK:
        percent = 100 * len(releasing) / plan.managed
        if percent > max_release_percent:
            problems.append(
                f"the plan releases {len(releasing)} of the {plan.managed} numbers stack "
                f"'{plan.stack}' manages ({percent:.0f}%), more than --max-release-percent "
                f"{max_release_percent}%: check the manifest, then pass --force (or raise "
                "--max-release-percent) to allow it"
            )
    if problems:
        raise GateError(problems, advice="Nothing was changed.")


def check_prevent_release(plan: Plan, desired: Desired) -> None:
    """A plan (saved before the manifest said so, say) may not release a number whose entry has
    ``lifecycle.prevent_release``."""
    problems = []
    for action in releasing_actions(plan):
        entry = desired.entries.get(action.name)
        if entry is not None and entry.lifecycle.prevent_release:
            problems.append(
                f"{action.name}: lifecycle.prevent_release forbids releasing its number "
                f"{action.number or action.id}; remove prevent_release from the entry first"
            )
    if problems:
        raise GateError(problems, advice="Nothing was changed.")


def check_saved_plan(
    saved: Plan, *, desired: Desired, live: Live, fresh: Plan, source: str, journaled: Mapping[str, str] | None = None
) -> None:
    """Refuse a saved plan that no longer fits: the manifest changed, a number it touches changed
    or left, a number it releases is not (or no longer) this stack's, or ``fresh``, a plan of the
    same manifests made now, differs from it in any action or value (``compare.first_difference``:
    the purchases were made meanwhile, say, or the file was edited and its checksum recomputed).

    ``journaled`` maps ids of numbers the journal says were bought for this stack (untagged) to
    their entry: such a number may be released as that entry's surplus."""
    journaled = journaled or {}
    problems = []
    if saved.desired_fingerprint and desired.fingerprint != saved.desired_fingerprint:
        problems.append("the manifest changed since the plan was made")
    if desired.stack != saved.stack:
        problems.append(f"the plan is for stack '{saved.stack}', the manifest is for '{desired.stack}'")
    by_id = {number.id: number for number in live.numbers}
    for action in saved.actions:
        if action.id is None:
            continue
        number = by_id.get(action.id)
        if number is None:
            problems.append(f"{action.name}: number {action.number or action.id} is no longer on the account")
            continue
        if action.kind in RELEASING_KINDS:
            owner = number.owner
            ours = journaled.get(number.id) == action.name if owner is None else (
                owner.stack == saved.stack and owner.name == (action.previous_name or action.name)
            )
            if not ours:
                said = f"'{owner.stack}'/'{owner.name}'" if owner else "no stack (unmanaged)"
                problems.append(
                    f"{action.name}: the plan releases {number.number} ({number.id}), but the "
                    f"account says it belongs to {said}, not '{saved.stack}'/'{action.name}'"
                )
                continue
        if action.live_fingerprint and action.live_fingerprint != number.fingerprint:
            problems.append(f"{action.name}: number {number.number} changed on the account since the plan was made")
    advice = f"Nothing was changed. Make a new plan (orbitctl plan ... --out {source}) and review it."
    if problems:
        raise GateError([f"the saved plan {source} is stale: {problem}" for problem in problems], advice=advice)
    difference = first_difference(saved, fresh)
    if difference:
        raise GateError(
            [f"the saved plan {source} is stale or was edited: a plan made now would differ: {difference}"],
            advice=advice,
        )
