"""Availability and cost at plan time. Pure: the caller searches the inventory.

1. ``searches_needed(plan)``: the distinct selections (by ``Selection.key()``) that purchases and
   replaces need, each with how many numbers it must supply, in the order of the plan's actions.
2. The caller searches the inventory for each selection, giving offers keyed by selection key,
   and says which selections it could not count in full (``partial``: the API shows at most
   ``search_cap`` rows a search and has no cursor).
3. ``price(plan, offers, partial=..., search_cap=...)``: a new Plan whose purchases and replaces
   carry the expected ``monthly_cost`` and whose ``monthly_cost_delta`` counts them (replace: new
   minus old) less what releases save. It raises PlanError, listing every selection that cannot be
   served: nothing available, everything dearer than ``max_monthly_cost`` (naming the cheapest price
   found), too few numbers for a pool, or a pinned number that is not in the inventory. Too few
   numbers found for a selection the searches could not count in full is no error: the plan notes
   it (``Plan.availability``: at least so many are available now) and apply searches again as it
   buys. The members beyond the numbers found are priced at the median price of those found.

``candidates(selection, offers)`` is the one order in which numbers are picked, here and by the
executor: offers satisfying the selection (``matching.unmet_keys``: the rule the planner uses, so a
bought number is never one the next plan replaces) whose capabilities include the selection's and
have no fixed capability (fax) that the selection's stated capabilities leave out, costing at
most ``max_monthly_cost``, cheapest first, then lowest number; a number another entry pins is
never a candidate for a selection that does not pin it. The plan's per-action
cost assumes the i-th action of a selection gets the i-th candidate.

All amounts of a plan are in one currency; a plan that would mix currencies is refused, since its
monthly cost delta could not be summed honestly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence

from orbitctl.errors import PlanError
from orbitctl.model import (
    BUYING_KINDS,
    RELEASING_KINDS,
    Action,
    Availability,
    Offer,
    Plan,
    Selection,
    SelectionKey,
    cost_delta,
)
from orbitctl.plan.matching import unmet_keys

#: Capabilities fixed when a number is provisioned (the API page: "fax/T.38 is fixed at
#: provisioning time"): a number that has one cannot be configured without it, so it is never
#: bought for an entry whose stated capabilities leave it out.
FIXED_CAPABILITIES = frozenset({"fax"})


def mixed_currencies_problem(currencies: Iterable[str]) -> str:
    return (
        f"the plan's monthly costs are in several currencies ({', '.join(sorted(currencies))}): "
        "orbitctl cannot sum them; plan the numbers of each currency in a separate stack"
    )


def describe(selection: Selection) -> str:
    """``country=US type=local area_code=415 capabilities=sms,voice``: for messages."""
    parts = [f"country={selection.country}", f"type={selection.type}"]
    for key in ("number", "area_code", "contains"):
        value = getattr(selection, key)
        if value:
            parts.append(f"{key}={value}")
    if selection.capabilities:
        parts.append(f"capabilities={','.join(sorted(selection.capabilities))}")
    return " ".join(parts)


def searches_needed(plan: Plan) -> list[tuple[Selection, int]]:
    """One (selection, how many numbers) per distinct selection key, in action order."""
    selections: dict[SelectionKey, Selection] = {}
    counts: dict[SelectionKey, int] = {}
    for action in plan.actions:
        if action.kind in BUYING_KINDS and action.selection is not None:
            key = action.selection.key()
            selections.setdefault(key, action.selection)
            counts[key] = counts.get(key, 0) + 1
    return [(selection, counts[key]) for key, selection in selections.items()]


def _fixed_extras(selection: Selection, offer: Offer) -> list[str]:
    """Capabilities ``offer`` has for good that the selection's stated capabilities leave out:
    the PUT setting those capabilities would be refused."""
    if not selection.capabilities:
        return []
    return sorted((set(offer.capabilities) & FIXED_CAPABILITIES) - set(selection.capabilities))


def _misfits(selection: Selection, offer: Offer) -> list[str]:
    """Why ``offer`` does not fit ``selection``, cost aside (empty when it fits)."""
    misfits = unmet_keys(selection, offer.number, offer.country, offer.type)
    lacking = sorted(set(selection.capabilities) - set(offer.capabilities))
    if lacking:
        misfits.append(f"capabilities lack {','.join(lacking)}")
    fixed = _fixed_extras(selection, offer)
    if fixed:
        misfits.append(f"capabilities: it has {','.join(fixed)}, fixed at provisioning, which the entry leaves out")
    return misfits


def _fits(selection: Selection, offer: Offer) -> bool:
    """Everything but the cost: the selection holds and the capabilities are there."""
    return not _misfits(selection, offer)


def _by_price(offers: Iterable[Offer]) -> list[Offer]:
    return sorted(offers, key=lambda offer: (offer.monthly_cost, offer.number))


def pinned_numbers(actions: Iterable[Action]) -> frozenset[str]:
    """The numbers ``actions`` buy by pin: never a candidate for another selection, or the pin's
    entry would find its number owned by another entry."""
    return frozenset(
        action.selection.number
        for action in actions
        if action.kind in BUYING_KINDS and action.selection is not None and action.selection.number
    )


def is_candidate(selection: Selection, offer: Offer, *, reserved: frozenset[str] = frozenset()) -> bool:
    """Whether ``offer`` may be bought for ``selection`` (see ``candidates``)."""
    ceiling = selection.max_monthly_cost
    return (
        _fits(selection, offer)
        and (ceiling is None or offer.monthly_cost <= ceiling)
        and (offer.number not in reserved or offer.number == selection.number)
    )


def candidates(selection: Selection, offers: Sequence[Offer], *, reserved: frozenset[str] = frozenset()) -> list[Offer]:
    """The offers that may be bought for ``selection``, in the order they are picked; numbers in
    ``reserved`` (pinned by other entries) only for the selection that pins them."""
    return _by_price(offer for offer in offers if is_candidate(selection, offer, reserved=reserved))


def _entries(names: list[str]) -> str:
    unique = sorted(set(names))
    quoted = ", ".join(repr(name) for name in unique)
    return f"entry {quoted}" if len(unique) == 1 else f"entries {quoted}"


def _availability_problem(
    selection: Selection, count: int, names: list[str], offers: Sequence[Offer], *, complete: bool = True
) -> str | None:
    """Why ``offers`` cannot supply ``count`` numbers for ``selection``; None when they can, or
    may (too few found by searches that could not see the whole inventory: not ``complete``)."""
    who = _entries(names)
    fitting = _by_price(offer for offer in offers if _fits(selection, offer))
    affordable = candidates(selection, fitting)
    ceiling = selection.max_monthly_cost
    if not fitting:
        pinned = [offer for offer in offers if offer.number == selection.number]
        if pinned:
            return (
                f"{who}: pinned number {selection.number} is in the inventory but does not fit "
                f"the entry ({'; '.join(_misfits(selection, pinned[0]))}): change the entry to "
                "match the number"
            )
        if selection.number is not None:
            return (
                f"{who}: pinned number {selection.number} is neither on the account nor "
                f"available to buy ({describe(selection)}); check the number, or drop number: "
                "to buy any matching one"
            )
        extras = [_fixed_extras(selection, offer) for offer in offers]
        if extras and all(extras):
            fixed = sorted({capability for capabilities in extras for capability in capabilities})
            return (
                f"{who}: every number available for {describe(selection)} has "
                f"{', '.join(fixed)}, which is fixed at provisioning and cannot be turned off: "
                f"add {', '.join(fixed)} to the entry's capabilities, or change the selection"
            )
        return (
            f"{who}: no number available for {describe(selection)}; loosen the selection "
            "(another area_code, no contains, fewer capabilities) or try later"
        )
    if not affordable:
        cheapest = fitting[0]
        return (
            f"{who}: every number available for {describe(selection)} costs more than "
            f"max_monthly_cost {ceiling}; the cheapest is {cheapest.monthly_cost} "
            f"{cheapest.currency} ({cheapest.number}): raise max_monthly_cost or change the "
            "selection"
        )
    if len(affordable) < count and complete:
        within = f" within max_monthly_cost {ceiling}" if ceiling is not None else ""
        return (
            f"{who} need{'s' if len(set(names)) == 1 else ''} {count} numbers for "
            f"{describe(selection)}{within}, but only {len(affordable)} are available: "
            "lower count, loosen the selection or try later"
        )
    return None


def price(
    plan: Plan,
    offers: Mapping[SelectionKey, Sequence[Offer]],
    *,
    partial: Collection[SelectionKey] = frozenset(),
    search_cap: int = 0,
) -> Plan:
    """``plan`` with the expected cost of each purchase and replace and the monthly cost delta.

    ``offers`` holds the inventory search results keyed by ``Selection.key()``; a missing key means
    nothing was found; keys in ``partial`` are selections whose searches could not see the whole
    inventory (each shows at most ``search_cap`` rows). Raises PlanError listing every selection
    that cannot be served."""
    names: dict[SelectionKey, list[str]] = {}
    for action in plan.actions:
        if action.kind in BUYING_KINDS and action.selection is not None:
            names.setdefault(action.selection.key(), []).append(action.name)
    problems = []
    picks: dict[SelectionKey, list[Offer]] = {}
    availability = []
    reserved = pinned_numbers(plan.actions)
    for selection, count in searches_needed(plan):
        key = selection.key()
        found = [offer for offer in offers.get(key, ()) if selection.number or offer.number not in reserved]
        problem = _availability_problem(selection, count, names[key], found, complete=key not in partial)
        if problem:
            problems.append(problem)
            continue
        picks[key] = candidates(selection, found)
        if len(picks[key]) < count:
            availability.append(
                Availability(selection, tuple(dict.fromkeys(names[key])), count, len(picks[key]), search_cap)
            )
    if problems:
        raise PlanError(problems)

    used: dict[SelectionKey, int] = {}
    currencies = {plan.currency} if any(a.kind in RELEASING_KINDS for a in plan.actions) else set()
    actions = []
    for action in plan.actions:
        if action.kind in BUYING_KINDS and action.selection is not None:
            key = action.selection.key()
            chosen = picks[key]
            index = used.get(key, 0)
            used[key] = index + 1
            # beyond the numbers found: the median of their prices
            offer = chosen[index] if index < len(chosen) else chosen[len(chosen) // 2]
            currencies.add(offer.currency)
            action = dataclasses.replace(action, monthly_cost=offer.monthly_cost)
        actions.append(action)
    if len(currencies) > 1:
        raise PlanError([mixed_currencies_problem(currencies)])
    return dataclasses.replace(
        plan,
        actions=tuple(actions),
        monthly_cost_delta=cost_delta(actions),
        currency=next(iter(currencies), plan.currency),
        availability=tuple(availability),
    )
