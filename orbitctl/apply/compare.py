"""A saved plan against a fresh plan of the same manifests and account: the first difference.

``apply PLANFILE`` carries a saved plan out only when a plan made now would do exactly the same:
the same actions (kind, entry, number, id, former name), each with the same selection,
configuration, ownership tag, changes (every key, before and after), reason, fingerprint of
the live number it touches, and for a port where it ports from (carrier, authorisation, account
number and the PIN's variable: the PIN itself is in neither plan, apply reads it then). The
checksum of the file catches accidents; this comparison catches edits (a checksum anyone can
recompute) and an account that moved on.

Actions are paired by kind and entry name, in plan order (a pool's actions share a name, and
purchases have no number unless pinned: the i-th purchase of an entry pairs with the i-th).

Not compared, because a fresh plan legitimately differs there and apply sends none of it:
the expected costs (``monthly_cost``, ``previous_monthly_cost``, the plan's cost delta), which
come from an inventory search made again, and the account counts (managed, unmanaged, foreign,
unchanged). Apply then carries out the fresh plan, so these too come from the account as it is
now, never from the file.

Values in the messages are masked like every rendering (``orbitctl.values``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from orbitctl.model import Action, Plan, PortIn, Selection
from orbitctl.values import format_value, mask_at

_ABSENT = object()

#: Scalar fields of an action, in the order they are compared, and how a message names each.
_FIELDS = (
    ("id", "id"),
    ("number", "number"),
    ("previous_name", "former name"),
    ("tag", "ownership tag"),
    ("reason", "reason"),
    ("live_fingerprint", "fingerprint of the live number"),
)

_SELECTION_FIELDS = ("country", "type", "number", "area_code", "contains", "max_monthly_cost", "capabilities")

#: Fields of a port action's ``port_in``, and how a message names each.
_PORT_IN_FIELDS = (
    ("current_carrier", "carrier"),
    ("authorization_name", "authorization name"),
    ("account_number", "carrier account number"),
    ("pin_env", "PIN variable"),
)


def first_difference(saved: Plan, fresh: Plan) -> str | None:
    """What the saved plan does that a fresh plan would not (or the reverse), naming the action,
    the key and both values; None when they do the same."""
    if saved.stack != fresh.stack:
        return f"the saved plan is for stack {saved.stack!r}, a fresh plan for {fresh.stack!r}"
    fresh_groups = _groups(fresh.actions)
    for (kind, name), saved_group in _groups(saved.actions).items():
        fresh_group = fresh_groups.pop((kind, name), [])
        for position, action in enumerate(saved_group):
            if position >= len(fresh_group):
                return f"{_title(action)}: in the saved plan, not in a fresh plan"
            difference = _action_difference(action, fresh_group[position])
            if difference:
                return f"{_title(action)}: {difference}"
        if len(fresh_group) > len(saved_group):
            return f"{_title(fresh_group[len(saved_group)])}: in a fresh plan, not in the saved plan"
    for fresh_group in fresh_groups.values():
        return f"{_title(fresh_group[0])}: in a fresh plan, not in the saved plan"
    return None


def _groups(actions: Iterable[Action]) -> dict[tuple, list[Action]]:
    groups: dict[tuple, list[Action]] = {}
    for action in actions:
        groups.setdefault((action.kind, action.name), []).append(action)
    return groups


def _title(action: Action) -> str:
    where = action.number or action.id
    return f"{action.kind.value} {action.name}" + (f" ({where})" if where else "")


def _action_difference(saved: Action, fresh: Action) -> str | None:
    for field, label in _FIELDS:
        if getattr(saved, field) != getattr(fresh, field):
            return _values(label, getattr(saved, field), getattr(fresh, field))
    difference = _selection_difference(saved.selection, fresh.selection)
    if difference:
        return difference
    difference = _port_in_difference(saved.port_in, fresh.port_in)
    if difference:
        return difference
    difference = _mapping_difference("config", saved.config, fresh.config)
    if difference:
        return difference
    return _changes_difference(saved, fresh)


def _selection_difference(saved: Selection | None, fresh: Selection | None) -> str | None:
    if saved is None or fresh is None:
        if saved is fresh:
            return None
        return "selection: " + ("the saved plan has none" if saved is None else "a fresh plan has none")
    for field in _SELECTION_FIELDS:
        if getattr(saved, field) != getattr(fresh, field):
            return _values(f"selection {field}", getattr(saved, field), getattr(fresh, field))
    return None


def _port_in_difference(saved: PortIn | None, fresh: PortIn | None) -> str | None:
    if saved is None or fresh is None:
        if saved is fresh:
            return None
        return "port_in: " + ("the saved plan has none" if saved is None else "a fresh plan has none")
    for field, label in _PORT_IN_FIELDS:
        if getattr(saved, field) != getattr(fresh, field):
            return _values(f"port_in {label}", getattr(saved, field), getattr(fresh, field))
    return None


def _mapping_difference(what: str, saved: Mapping[str, Any], fresh: Mapping[str, Any]) -> str | None:
    for key in [*saved, *(key for key in fresh if key not in saved)]:
        old, new = saved.get(key, _ABSENT), fresh.get(key, _ABSENT)
        if old != new:
            return _values(f"{what} {key}", old, new, secret_path=(key,))
    return None


def _changes_difference(saved: Action, fresh: Action) -> str | None:
    before = {change.key: change for change in saved.changes}
    after = {change.key: change for change in fresh.changes}
    for key in [*before, *(key for key in after if key not in before)]:
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            return f"change of {key}: " + (
                "a fresh plan changes it, the saved plan does not" if old is None
                else "the saved plan changes it, a fresh plan does not"
            )
        for side in ("before", "after"):
            if getattr(old, side) != getattr(new, side):
                return _values(f"change of {key} ({side})", getattr(old, side), getattr(new, side), secret_path=(key,))
    return None


def _values(label: str, saved: Any, fresh: Any, *, secret_path: tuple = ()) -> str:
    """``label: the saved plan has X, a fresh plan Y``, each value masked."""
    shown = [_shown(value, secret_path) for value in (saved, fresh)]
    if shown[0] == shown[1]:
        shown = ["one (sensitive) value", "another"]
    return f"{label}: the saved plan has {shown[0]}, a fresh plan {shown[1]}"


def _shown(value: Any, secret_path: tuple) -> str:
    """``none`` for a field or key that is not there; a configuration value ``null`` (stated to
    clear the key) is ``null``."""
    if value is _ABSENT or (value is None and not secret_path):
        return "none"
    return format_value(mask_at(secret_path, value) if secret_path else value)
