"""The plan as one JSON document (``plan --output json``), described by
``schemas/plan.schema.json``.

The document is SPEC section 3's, plus what scripts and drift jobs want: ``orbitctl_version``, a
``drift`` object (driftctl-style counts and the share of the account under management),
``targets`` when ``--target`` limited the plan, ``suggested_moved`` (``{old: new}``, to paste as
``moved:``) when a release and a purchase look like a rename, an ``availability`` list when the
inventory searches could not count what the plan buys, a ``waiting`` list of the numbers being
ported in (each with its porting request's ``port_id``, ``status``, ``submitted`` and
``estimated_completion``; no change, and counted in ``summary.waiting``), and, per
action, ``reason``, ``previous_name``, ``selection``, ``monthly_cost`` (purchase, replace: of the
new number; release: of the number let go), ``previous_monthly_cost`` (replace) and ``port_in``
(port: ``current_carrier``, ``authorization_name``, ``account_number`` and ``pin_env``, the
variable the PIN is read from; never the PIN) where set. Values are
masked as in the text output (``orbitctl.values``); a change whose values masking touched carries
``"sensitive": true``. Money is a decimal string, never a float.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import orbitctl
from orbitctl import __version__
from orbitctl.model import ACTION_KINDS, BUYING_KINDS, Action, ActionKind, Plan, PortProgress, Selection
from orbitctl.values import displayed_changes, escape_surrogates, format_money, masked_change

FORMAT_VERSION = "1"

#: The JSON Schema of the document, packaged with orbitctl.
PLAN_SCHEMA_PATH = Path(orbitctl.__file__).parent / "schemas" / "plan.schema.json"

#: Kinds that bring a number not on the account yet: not counted in ``drift.changed``.
_NEW_NUMBER_KINDS = frozenset({ActionKind.PURCHASE, ActionKind.PORT})

#: Digits after the point of ``drift.managed_share``.
SHARE_PLACES = Decimal("0.0001")


def plan_to_dict(plan: Plan, *, totals: bool | None = None) -> dict[str, Any]:
    """The JSON document of ``plan`` as plain dicts, lists, strings and numbers; with ``totals``
    (default: when the stack has a budget) ``stack_monthly_cost``: ``now``, ``after``, ``budget``."""
    summary: dict[str, int] = {kind.value: plan.count(kind) for kind in ACTION_KINDS}
    summary["unchanged"] = plan.unchanged
    summary["waiting"] = len(plan.waiting)
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "orbitctl_version": __version__,
        "stack": plan.stack,
        "summary": summary,
        "monthly_cost_delta": _money(plan.monthly_cost_delta),
        "currency": plan.currency,
        "drift": drift_summary(plan),
        "actions": [action_to_dict(action) for action in plan.actions],
    }
    if (plan.budget is not None) if totals is None else totals:
        document["stack_monthly_cost"] = {
            "now": _optional_money(plan.monthly_cost_now),
            "after": _optional_money(plan.monthly_cost_after),
            "budget": _optional_money(plan.budget),
        }
    if plan.waiting:
        document["waiting"] = [progress_to_dict(progress) for progress in plan.waiting]
    if plan.availability:
        document["availability"] = [
            {
                "names": list(note.names),
                "selection": selection_to_dict(note.selection),
                "needed": note.needed,
                "found": note.found,
                "search_cap": note.search_cap,
            }
            for note in plan.availability
        ]
    if plan.targets:
        document["targets"] = list(plan.targets)
    if plan.suggested_moves:
        document["suggested_moved"] = dict(plan.suggested_moves)
    return document


def _optional_money(amount: Decimal | None) -> str | None:
    return None if amount is None else _money(amount)


def render_plan_json(plan: Plan) -> str:
    """The JSON document of ``plan``, indented, keys in a stable order (no trailing newline)."""
    return escape_surrogates(json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False))


def drift_summary(plan: Plan) -> dict[str, Any]:
    """driftctl-style counts of the account when planned.

    ``managed``: numbers owned by this stack; ``unmanaged``: numbers with no ownership tag;
    ``foreign``: numbers owned by other stacks; ``total`` their sum; ``changed``: actions that touch
    a number already on the account (every action but a purchase or a port); ``managed_share``: managed /
    total as a decimal string with four places (``"0.8333"``), ``null`` for an empty account.
    """
    total = plan.managed + plan.unmanaged + plan.foreign
    share = None
    if total:
        share = str((Decimal(plan.managed) / Decimal(total)).quantize(SHARE_PLACES, ROUND_HALF_EVEN))
    return {
        "managed": plan.managed,
        "unmanaged": plan.unmanaged,
        "foreign": plan.foreign,
        "total": total,
        "changed": sum(1 for action in plan.actions if action.kind not in _NEW_NUMBER_KINDS),
        "managed_share": share,
    }


def action_to_dict(action: Action) -> dict[str, Any]:
    """One action: ``action``, ``name``, ``id``, ``number``, ``changes`` always; the rest when set."""
    changes: dict[str, Any] = {}
    for change in displayed_changes(action):
        before, after, sensitive = masked_change(change)
        entry: dict[str, Any] = {"before": before, "after": after}
        if sensitive:
            entry["sensitive"] = True
        changes[change.key] = entry
    document: dict[str, Any] = {
        "action": action.kind.value,
        "name": action.name,
        "id": action.id,
        "number": action.number,
        "changes": changes,
    }
    if action.previous_name is not None:
        document["previous_name"] = action.previous_name
    if action.reason is not None:
        document["reason"] = action.reason
    if action.selection is not None and action.kind in BUYING_KINDS:
        document["selection"] = selection_to_dict(action.selection)
    if action.monthly_cost is not None:
        document["monthly_cost"] = _money(action.monthly_cost)
    if action.previous_monthly_cost is not None:
        document["previous_monthly_cost"] = _money(action.previous_monthly_cost)
    if action.port_in is not None:
        document["port_in"] = asdict(action.port_in)  # the PIN only as the name of its variable
    return document


def progress_to_dict(progress: PortProgress) -> dict[str, Any]:
    """A number the plan waits for: its entry, and where its porting request stands."""
    document: dict[str, Any] = {
        "name": progress.name,
        "number": progress.number,
        "port_id": progress.port_id,
        "status": progress.status,
        "submitted": progress.submitted,
        "estimated_completion": progress.estimated_completion,
    }
    if progress.note:
        document["note"] = progress.note
    return document


def selection_to_dict(selection: Selection) -> dict[str, Any]:
    """What a purchase searches for; keys left unset are left out."""
    document: dict[str, Any] = {"country": selection.country, "type": selection.type}
    for key in ("number", "area_code", "contains"):
        value = getattr(selection, key)
        if value is not None:
            document[key] = value
    if selection.max_monthly_cost is not None:
        document["max_monthly_cost"] = _money(selection.max_monthly_cost)
    if selection.capabilities:
        document["capabilities"] = list(selection.capabilities)
    return document


def _money(amount: Decimal) -> str:
    """``"1.50"``, ``"-0.75"``: at least two decimals, no sign when positive (SPEC section 3)."""
    return ("-" if amount < 0 else "") + format_money(abs(amount))
