"""Merged, checked manifests -> :class:`orbitctl.model.Desired` (plain frozen data)."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import phonenumbers

from orbitctl.frozen import freeze
from orbitctl.manifest.merge import Merged, Placed
from orbitctl.manifest.variables import referenced_variable
from orbitctl.model import (
    CONFIG_KEYS,
    DEFAULT_ACCOUNT,
    SET_VALUED_KEYS,
    AccountRef,
    Budget,
    Desired,
    DesiredEntry,
    Lifecycle,
    PortIn,
    Selection,
    fingerprint,
)


def build_desired(merged: Merged) -> Desired:
    """The Desired of manifests that passed every check."""
    defaults = {key: placed.value for key, placed in merged.defaults.items()}
    entries = {name: _entry(name, placed, defaults) for name, placed in merged.entries.items()}
    moved = {old: placed.value for old, placed in merged.moved.items()}
    removed = {name: placed.value for name, placed in merged.removed.items()}
    stack = merged.stack.value if merged.stack else ""
    account = _account(merged.account)
    budget = _budget(merged.budget)
    content: dict[str, Any] = {
        "stack": stack,
        "entries": {name: _content(entry) for name, entry in entries.items()},
        "moved": moved,
        "removed": removed,
    }
    if merged.account is not None:  # stated only when stated: the fingerprints of other manifests stay
        content["account"] = [account.api_key_env, account.api_url_env]
    if budget is not None:
        content["budget"] = budget.max_monthly_cost
    return Desired(
        stack=stack,
        entries=MappingProxyType(entries),
        moved=MappingProxyType(moved),
        removed=MappingProxyType(removed),
        fingerprint=fingerprint(content),
        account=account,
        budget=budget,
    )


def _account(placed: Placed | None) -> AccountRef:
    if placed is None:
        return DEFAULT_ACCOUNT
    return AccountRef(
        api_key_env=placed.value.get("api_key_env", DEFAULT_ACCOUNT.api_key_env),
        api_url_env=placed.value.get("api_url_env", DEFAULT_ACCOUNT.api_url_env),
        mark=placed.document.source_mark(placed.path),
    )


def _budget(placed: Placed | None) -> Budget | None:
    if placed is None:
        return None
    return Budget(Decimal(placed.value["max_monthly_cost"]), mark=placed.document.source_mark(placed.path))


def _entry(name: str, placed: Placed, defaults: dict[str, Any]) -> DesiredEntry:
    stated = {**defaults, **placed.value}  # the entry's own keys win
    number = stated.get("number")
    country = stated.get("country") or phonenumbers.region_code_for_number(phonenumbers.parse(stated["number"], None))
    assert country is not None, "manifest.semantic refuses a pin whose number has no country"
    cost = stated.get("max_monthly_cost")
    capabilities = tuple(stated.get("capabilities", ()))
    lifecycle = stated.get("lifecycle", {})
    return DesiredEntry(
        name=name,
        selection=Selection(
            country=country,
            type=stated.get("type", "local"),
            number=number,
            area_code=stated.get("area_code"),
            contains=stated.get("contains"),
            max_monthly_cost=Decimal(cost) if cost is not None else None,
            capabilities=capabilities,
        ),
        config=MappingProxyType({key: freeze(stated[key]) for key in CONFIG_KEYS if key in stated}),
        count=stated.get("count", 1),
        is_pool="count" in stated,
        lifecycle=Lifecycle(
            prevent_release=lifecycle.get("prevent_release", False),
            ignore_changes=frozenset(lifecycle.get("ignore_changes", ())),
        ),
        mark=placed.document.source_mark(placed.path),
        port_in=_port_in(stated.get("port_in")),
    )


def _port_in(stated: dict[str, Any] | None) -> PortIn | None:
    if stated is None:
        return None
    pin = stated.get("pin")
    return PortIn(
        current_carrier=stated["current_carrier"],
        authorization_name=stated["authorization_name"],
        account_number=stated.get("account_number"),
        pin_env=referenced_variable(pin) if pin is not None else None,
    )


def _content(entry: DesiredEntry) -> dict:
    """What the fingerprint covers: everything but where it was written; sets sorted."""
    selection = entry.selection
    content: dict[str, Any] = {
        "selection": {
            "country": selection.country,
            "type": selection.type,
            "number": selection.number,
            "area_code": selection.area_code,
            "contains": selection.contains,
            "max_monthly_cost": selection.max_monthly_cost,
            "capabilities": sorted(selection.capabilities),
        },
        "config": {
            key: sorted(value) if key in SET_VALUED_KEYS else value for key, value in entry.config.items()
        },
        "count": entry.count,
        "is_pool": entry.is_pool,
        "lifecycle": {
            "prevent_release": entry.lifecycle.prevent_release,
            "ignore_changes": sorted(entry.lifecycle.ignore_changes),
        },
    }
    if entry.port_in is not None:
        content["port_in"] = asdict(entry.port_in)  # the PIN's variable, never the PIN
    return content
