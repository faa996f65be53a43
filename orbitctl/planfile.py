"""Saved plans (``plan --out FILE``, ``apply FILE``): a Plan as a JSON file, and back.

The file holds everything ``apply`` needs to carry out exactly that plan and to refuse it when
stale: every action in full (selection, configuration, ownership tag, changes, the fingerprint of
the live number it touches), the manifest's fingerprint and paths, the stack. It never holds the
API key or anything else from the environment, but it does hold the configuration verbatim
(webhook URLs with their tokens, channel_config secrets): it is written readable by its owner
only (mode 0600), and should be kept like any credential-bearing build artefact.

A ``checksum`` (sha256 of the rest of the document) catches a file damaged or edited by
accident after it was saved; anyone can recompute it, so what guards against a deliberate edit is
``apply``'s comparison with a fresh plan (``apply/compare.py``). ``load_plan`` raises
``OrbitctlError`` naming the file and what is wrong for a missing or unreadable file, invalid
JSON, another format version, a wrong checksum or a malformed structure; it never lets a
traceback through.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orbitctl import __version__
from orbitctl.atomicfile import write_atomically
from orbitctl.errors import OrbitctlError
from orbitctl.frozen import freeze, thaw
from orbitctl.model import (
    DEFAULT_ACCOUNT,
    AccountRef,
    Action,
    ActionKind,
    Availability,
    Change,
    Plan,
    PortIn,
    PortProgress,
    Selection,
)
from orbitctl.values import escape_surrogates

#: What a saved plan file says it is, and the version of its layout.
FILE_KIND = "orbitctl-plan"
FORMAT_VERSION = 1

_AGAIN = "make a new plan with 'orbitctl plan --out FILE'"


# --- saving -----------------------------------------------------------------------------------


def plan_to_document(plan: Plan) -> dict[str, Any]:
    """The saved-plan document (without its checksum)."""
    return {
        "kind": FILE_KIND,
        "format_version": FORMAT_VERSION,
        "orbitctl_version": __version__,
        "stack": plan.stack,
        "desired_fingerprint": plan.desired_fingerprint,
        "manifest_paths": list(plan.manifest_paths),
        "targets": list(plan.targets),
        "suggested_moves": [list(pair) for pair in plan.suggested_moves],
        "unchanged": plan.unchanged,
        "monthly_cost_delta": str(plan.monthly_cost_delta),
        "currency": plan.currency,
        "managed": plan.managed,
        "unmanaged": plan.unmanaged,
        "foreign": plan.foreign,
        "actions": [_action_to_document(action) for action in plan.actions],
        "availability": [
            {
                "selection": _selection_to_document(note.selection),
                "names": list(note.names),
                "needed": note.needed,
                "found": note.found,
                "search_cap": note.search_cap,
            }
            for note in plan.availability
        ],
        "monthly_cost_now": _optional_money(plan.monthly_cost_now),
        "monthly_cost_after": _optional_money(plan.monthly_cost_after),
        "budget": _optional_money(plan.budget),
        # the defaults as null: a file names no variable it does not need to
        "account": None if plan.account.is_default else {
            "api_key_env": plan.account.api_key_env, "api_url_env": plan.account.api_url_env,
        },
        "waiting": [asdict(progress) for progress in plan.waiting],
    }


def _action_to_document(action: Action) -> dict[str, Any]:
    return {
        "kind": action.kind.value,
        "name": action.name,
        "id": action.id,
        "number": action.number,
        "changes": [
            {"key": change.key, "before": _plain(change.before), "after": _plain(change.after)}
            for change in action.changes
        ],
        "selection": None if action.selection is None else _selection_to_document(action.selection),
        "config": _plain(action.config),
        "tag": action.tag,
        "previous_name": action.previous_name,
        "reason": action.reason,
        "monthly_cost": _optional_money(action.monthly_cost),
        "live_fingerprint": action.live_fingerprint,
        "previous_monthly_cost": _optional_money(action.previous_monthly_cost),
        "port_in": None if action.port_in is None else asdict(action.port_in),  # the PIN's variable, never the PIN
    }


def _selection_to_document(selection: Selection) -> dict[str, Any]:
    return {
        "country": selection.country,
        "type": selection.type,
        "number": selection.number,
        "area_code": selection.area_code,
        "contains": selection.contains,
        "max_monthly_cost": _optional_money(selection.max_monthly_cost),
        "capabilities": list(selection.capabilities),
    }


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """:func:`orbitctl.frozen.thaw`, with a fast path for the common types (large plans)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (dict, MappingProxyType)):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return thaw(value)


def _optional_money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _checksum(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def save_plan(plan: Plan, path: str | os.PathLike) -> None:
    """Write ``plan`` to ``path`` atomically (a temporary file beside it, then a rename), mode 0600.

    Raises ``OrbitctlError`` when the file cannot be written."""
    document = plan_to_document(plan)
    document["checksum"] = _checksum(document)
    write_atomically(path, _layout(document), what="the plan file")


def save_plans(plans: Sequence[Plan], path: str | os.PathLike) -> None:
    """Write the plans of several stacks to one file, as ``save_plan`` writes one (which this
    does for a single plan): ``{"kind", "format_version", "orbitctl_version", "stacks": [one
    saved plan a stack, without its checksum], "checksum"}``."""
    if len(plans) == 1:
        save_plan(plans[0], path)
        return
    document: dict[str, Any] = {
        "kind": FILE_KIND,
        "format_version": FORMAT_VERSION,
        "orbitctl_version": __version__,
        "stacks": [plan_to_document(plan) for plan in plans],
    }
    document["checksum"] = _checksum(document)
    stacks = ",\n".join(_layout(stack).rstrip("\n") for stack in document["stacks"])
    head = {key: value for key, value in document.items() if key != "stacks"}
    text = _layout(head).rstrip("\n")
    text = text[: -len("\n}")] + f',\n  "stacks": [\n{stacks}\n  ]\n}}\n'
    write_atomically(path, text, what="the plan file")


def _layout(document: Mapping[str, Any]) -> str:
    """The document as JSON with one top-level key a line and one action a line: readable and
    diffable, and fast to write for large plans (``indent`` would use the slow pure-Python encoder)."""
    lines = []
    for key, value in document.items():
        if key == "actions" and value:
            items = ",\n".join("    " + json.dumps(action, ensure_ascii=False) for action in value)
            lines.append(f'  "actions": [\n{items}\n  ]')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return escape_surrogates("{\n" + ",\n".join(lines) + "\n}\n")


# --- loading ----------------------------------------------------------------------------------


class _Invalid(Exception):
    """A structural problem at ``where`` (a JSON path like ``actions[2].kind``)."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}" if where else problem)


def load_plan(path: str | os.PathLike) -> Plan:
    """Read a plan saved by :func:`save_plan`; raises ``OrbitctlError`` saying what is wrong (a
    file of several stacks' plans too: read those with :func:`load_plans`)."""
    plans = load_plans(path)
    if len(plans) > 1:
        stacks = ", ".join(plan.stack for plan in plans)
        raise OrbitctlError(f"plan file {path} holds the plans of {len(plans)} stacks ({stacks}), not one")
    return plans[0]


def load_plans(path: str | os.PathLike) -> list[Plan]:
    """The plans of a file saved by :func:`save_plan` (one) or :func:`save_plans` (one a stack);
    raises ``OrbitctlError`` saying what is wrong."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrbitctlError(f"plan file {source} does not exist; {_AGAIN}") from None
    except IsADirectoryError:
        raise OrbitctlError(f"plan file {source} is a directory, not a saved plan") from None
    except UnicodeDecodeError:
        raise OrbitctlError(f"plan file {source} is not a saved orbitctl plan (not UTF-8 text)") from None
    except OSError as problem:
        raise OrbitctlError(f"cannot read the plan file {source}: {problem.strerror or problem}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as problem:
        raise OrbitctlError(
            f"plan file {source} is not valid JSON (line {problem.lineno}, column {problem.colno}: "
            f"{problem.msg}); it is not a saved orbitctl plan, or it was damaged; {_AGAIN}"
        ) from None
    except (ValueError, RecursionError) as problem:
        raise OrbitctlError(f"plan file {source} is not a saved orbitctl plan ({problem}); {_AGAIN}") from None
    if not isinstance(document, dict) or document.get("kind") != FILE_KIND:
        raise OrbitctlError(f"plan file {source} is not a saved orbitctl plan (no \"kind\": \"{FILE_KIND}\"); {_AGAIN}")
    version = document.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise OrbitctlError(
            f"plan file {source} has format version {json.dumps(version)}, saved by orbitctl "
            f"{document.get('orbitctl_version', '(unknown)')}; this orbitctl ({__version__}) reads "
            f"version {FORMAT_VERSION}; {_AGAIN}"
        )
    try:
        recorded = document.pop("checksum", None)
        if recorded != _checksum(document):
            raise OrbitctlError(
                f"plan file {source} was changed after it was saved (its checksum does not match); "
                f"apply refuses an edited plan; {_AGAIN}"
            )
        if "stacks" not in document:
            return [_plan_from_document(document)]
        read = _Reader(document, "")
        stacks = read.array("stacks")
        read.done({"kind", "format_version", "orbitctl_version"})
        if len(stacks) < 2:
            raise _Invalid("stacks", "expected the plans of two stacks or more")
        return [_plan_from_document(dict(_Reader(item, f"stacks[{index}]").value), f"stacks[{index}]")
                for index, item in enumerate(stacks)]
    except _Invalid as problem:
        raise OrbitctlError(f"plan file {source} is not a valid saved plan: {problem}; {_AGAIN}") from None
    except (RecursionError, ValueError) as problem:
        raise OrbitctlError(f"plan file {source} is not a valid saved plan ({problem}); {_AGAIN}") from None


def _plan_from_document(document: dict[str, Any], where: str = "") -> Plan:
    read = _Reader(document, where)
    actions = read.array("actions")
    plan = Plan(
        stack=read.text("stack"),
        actions=tuple(_action_from_document(item, f"actions[{index}]") for index, item in enumerate(actions)),
        unchanged=read.count("unchanged"),
        monthly_cost_delta=read.decimal("monthly_cost_delta"),
        currency=read.text("currency"),
        desired_fingerprint=read.text("desired_fingerprint", empty=True),
        managed=read.count("managed"),
        unmanaged=read.count("unmanaged"),
        foreign=read.count("foreign"),
        manifest_paths=tuple(read.strings("manifest_paths")),
        # plans saved before pools could outgrow one search have no "availability"
        availability=tuple(
            _availability_from_document(item, f"availability[{index}]")
            for index, item in enumerate(read.array("availability") if "availability" in document else ())
        ),
        # absent from the files of orbitctl before --target: a plan of every entry
        targets=tuple(read.strings("targets")) if "targets" in document else (),
        suggested_moves=read.pairs("suggested_moves") if "suggested_moves" in document else (),
        # absent from the files of orbitctl before budgets and accounts: not known, the defaults
        monthly_cost_now=read.optional_decimal("monthly_cost_now") if "monthly_cost_now" in document else None,
        monthly_cost_after=read.optional_decimal("monthly_cost_after") if "monthly_cost_after" in document else None,
        budget=read.optional_decimal("budget") if "budget" in document else None,
        account=_account_from_document(read.optional("account", dict), f"{where}.account".lstrip("."))
        if "account" in document else DEFAULT_ACCOUNT,
        # absent from the files of orbitctl before porting
        waiting=tuple(
            _progress_from_document(item, f"waiting[{index}]")
            for index, item in enumerate(read.array("waiting") if "waiting" in document else ())
        ),
    )
    read.done({"kind", "format_version", "orbitctl_version"})
    return plan


def _account_from_document(item: dict | None, where: str) -> AccountRef:
    if item is None:
        return DEFAULT_ACCOUNT
    read = _Reader(item, where)
    account = AccountRef(api_key_env=read.text("api_key_env"), api_url_env=read.text("api_url_env"))
    read.done()
    return account


def _progress_from_document(item: Any, where: str) -> PortProgress:
    read = _Reader(item, where)
    progress = PortProgress(
        number=read.text("number"),
        port_id=read.optional_text("port_id"),
        status=read.text("status"),
        submitted=read.optional_text("submitted"),
        estimated_completion=read.optional_text("estimated_completion"),
        note=read.text("note", empty=True),
        name=read.text("name"),
    )
    read.done()
    return progress


def _port_in_from_document(item: dict, where: str) -> PortIn:
    read = _Reader(item, where)
    port_in = PortIn(
        current_carrier=read.text("current_carrier"),
        authorization_name=read.text("authorization_name"),
        account_number=read.optional_text("account_number"),
        pin_env=read.optional_text("pin_env"),
    )
    read.done()
    return port_in


def _availability_from_document(item: Any, where: str) -> Availability:
    read = _Reader(item, where)
    note = Availability(
        selection=_selection_from_document(read.mapping("selection"), f"{where}.selection"),
        names=tuple(read.strings("names")),
        needed=read.count("needed"),
        found=read.count("found"),
        search_cap=read.count("search_cap"),
    )
    read.done()
    return note


def _action_from_document(item: Any, where: str) -> Action:
    read = _Reader(item, where)
    kind_text = read.text("kind")
    try:
        kind = ActionKind(kind_text)
    except ValueError:
        allowed = ", ".join(kind.value for kind in ActionKind)
        raise _Invalid(f"{where}.kind", f"{kind_text!r} is not an action (one of {allowed})") from None
    changes = []
    for index, raw in enumerate(read.array("changes")):
        change = _Reader(raw, f"{where}.changes[{index}]")
        changes.append(Change(change.text("key"), freeze(change.raw("before")), freeze(change.raw("after"))))
        change.done()
    selection_doc = read.optional("selection", dict)
    # absent from the files of orbitctl before porting
    port_in_doc = read.optional("port_in", dict) if "port_in" in item else None
    action = Action(
        kind=kind,
        name=read.text("name"),
        id=read.optional_text("id"),
        number=read.optional_text("number"),
        changes=tuple(changes),
        selection=None if selection_doc is None else _selection_from_document(selection_doc, f"{where}.selection"),
        config=freeze(read.mapping("config")),
        tag=read.optional_text("tag"),
        previous_name=read.optional_text("previous_name"),
        reason=read.optional_text("reason"),
        monthly_cost=read.optional_decimal("monthly_cost"),
        live_fingerprint=read.optional_text("live_fingerprint"),
        previous_monthly_cost=read.optional_decimal("previous_monthly_cost"),
        port_in=None if port_in_doc is None else _port_in_from_document(port_in_doc, f"{where}.port_in"),
    )
    read.done()
    return action


def _selection_from_document(item: dict, where: str) -> Selection:
    read = _Reader(item, where)
    selection = Selection(
        country=read.text("country"),
        type=read.text("type"),
        number=read.optional_text("number"),
        area_code=read.optional_text("area_code"),
        contains=read.optional_text("contains"),
        max_monthly_cost=read.optional_decimal("max_monthly_cost"),
        capabilities=tuple(read.strings("capabilities")),
    )
    read.done()
    return selection


class _Reader:
    """Typed access to one JSON object of the file; every problem names its path."""

    def __init__(self, value: Any, where: str):
        if not isinstance(value, dict):
            raise _Invalid(where, f"expected an object, found {_json_type(value)}")
        self.value = value
        self.where = where
        self.seen: set[str] = set()

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def raw(self, key: str) -> Any:
        if key not in self.value:
            raise _Invalid(self._path(key), "missing")
        self.seen.add(key)
        return self.value[key]

    def _typed(self, key: str, kind: type | tuple, label: str, *, nullable: bool = False) -> Any:
        value = self.raw(key)
        if value is None and nullable:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise _Invalid(self._path(key), f"expected {label}, found {_json_type(value)}")
        return value

    def text(self, key: str, *, empty: bool = False) -> str:
        value = self._typed(key, str, "a string")
        if not value and not empty:
            raise _Invalid(self._path(key), "expected a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        return self._typed(key, str, "a string or null", nullable=True)

    def count(self, key: str) -> int:
        value = self._typed(key, int, "a whole number")
        if value < 0:
            raise _Invalid(self._path(key), f"expected a count (0 or more), found {value}")
        return value

    def array(self, key: str) -> list:
        return self._typed(key, list, "a list")

    def strings(self, key: str) -> list[str]:
        values = self.array(key)
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise _Invalid(f"{self._path(key)}[{index}]", f"expected a string, found {_json_type(value)}")
        return values

    def pairs(self, key: str) -> tuple[tuple[str, str], ...]:
        values = self.array(key)
        for index, value in enumerate(values):
            if not (isinstance(value, list) and len(value) == 2 and all(isinstance(item, str) for item in value)):
                raise _Invalid(f"{self._path(key)}[{index}]", f"expected a pair of strings, found {_json_type(value)}")
        return tuple((old, new) for old, new in values)

    def mapping(self, key: str) -> dict:
        return self._typed(key, dict, "an object")

    def optional(self, key: str, kind: type) -> Any:
        return self._typed(key, kind, "an object or null", nullable=True)

    def decimal(self, key: str) -> Decimal:
        text = self._typed(key, str, "a decimal string")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise _Invalid(self._path(key), f"expected a decimal string, found {text!r}") from None
        if not value.is_finite():
            raise _Invalid(self._path(key), f"expected a finite decimal, found {text!r}")
        return value

    def optional_decimal(self, key: str) -> Decimal | None:
        if self.raw(key) is None:
            return None
        return self.decimal(key)

    def done(self, also_allowed: Collection[str] = frozenset()) -> None:
        unknown = sorted(set(self.value) - self.seen - set(also_allowed))
        if unknown:
            raise _Invalid(self._path(unknown[0]), "unknown key")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
