"""A stack's monthly cost before and after a plan, and its ``budget:``. Pure.

``costed(plan, live, budget)`` gives the plan its ``monthly_cost_now`` and ``monthly_cost_after``
and refuses (PlanError) a plan that breaks the budget. What counts, per entry of the stack:

- now: the numbers carrying the stack's ownership tag, at the monthly cost the account lists;
- after: now, plus each purchase, plus a replace's new number less its old one, less each
  release; plus each number adopted into the stack (pinned, or bought by an earlier apply and not
  tagged: billed already, but the stack's from now on), less each number orphaned (it leaves the
  stack with its bill). A move only changes the entry a number counts for.
- A number in regulatory hold counts like any other: Orbit bills a number from its purchase.
  An action with no cost (a port-in, which costs nothing until the number is on the account, when
  it counts like the rest) adds nothing.
- One currency: the stack's numbers and what the plan buys are billed in the account's currency.
  When they are not all in one, the totals are not known (None), and a stack with a budget cannot
  be planned (PlanError: the sums would mean nothing).

The budget rule: a plan is refused when the cost after it is over ``budget.max_monthly_cost`` and
higher than now (exactly at the budget is allowed). A plan that leaves a stack over its budget
without raising its cost (one that lowers it, or changes only configuration) is allowed, so that a
stack over budget can always be brought down; the renderings say it is over.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from orbitctl.errors import PlanError
from orbitctl.model import BUYING_KINDS, ActionKind, Budget, Live, LiveNumber, Plan, format_money

#: How many entries a refusal names as the largest contributors.
CONTRIBUTORS_SHOWN = 3

_ZERO = Decimal("0")
#: Actions after which the number is no longer the stack's (a replace's old number aside).
_LEAVING = frozenset({ActionKind.RELEASE, ActionKind.ORPHAN})


@dataclass(frozen=True)
class EntryCost:
    """What one entry of the stack costs a month after the plan, and how the plan changes it."""

    name: str
    after: Decimal
    numbers: int
    change: Decimal


@dataclass(frozen=True)
class StackCost:
    now: Decimal
    after: Decimal
    currency: str
    #: per entry, largest after the plan first (then by name)
    entries: tuple[EntryCost, ...]


class _Ledger:
    """Monthly cost and numbers per entry name, now and as the plan's actions change them."""

    def __init__(self) -> None:
        self.now: dict[str, Decimal] = {}
        self.after: dict[str, Decimal] = {}
        self.numbers: dict[str, int] = {}
        self.currencies: set[str] = set()

    def hold(self, number: LiveNumber, name: str) -> None:
        self.now[name] = self.now.get(name, _ZERO) + number.monthly_cost
        self.add(name, number.monthly_cost, 1)
        self.currencies.add(number.currency)

    def add(self, name: str, amount: Decimal, numbers: int) -> None:
        self.after[name] = self.after.get(name, _ZERO) + amount
        self.numbers[name] = self.numbers.get(name, 0) + numbers

    def shift(self, number: LiveNumber, old: str, new: str) -> None:
        self.add(old, -number.monthly_cost, -1)
        self.add(new, number.monthly_cost, 1)


def stack_cost(plan: Plan, live: Live) -> StackCost | None:
    """The stack's monthly cost now and after ``plan`` (made from ``live``), per entry; None when
    its amounts are in more than one currency."""
    stack = plan.stack
    ledger = _Ledger()
    by_id = {number.id: number for number in live.numbers}
    for number in live.numbers:
        if number.owner is not None and number.owner.stack == stack:
            ledger.hold(number, number.owner.name)
    for action in plan.actions:
        held: LiveNumber | None = by_id.get(action.id) if action.id else None
        owner = held.owner.name if held is not None and held.owner and held.owner.stack == stack else None
        if action.kind in BUYING_KINDS and action.monthly_cost is not None:
            ledger.currencies.add(plan.currency)
            if action.kind is ActionKind.PURCHASE:
                ledger.add(action.name, action.monthly_cost, 1)
            else:  # replace: the new number instead of the old
                old = held.monthly_cost if held is not None else action.previous_monthly_cost or _ZERO
                ledger.add(owner or action.name, -old, -1)
                ledger.add(action.name, action.monthly_cost, 1)
        elif action.kind in _LEAVING and held is not None and owner is not None:
            ledger.add(owner, -held.monthly_cost, -1)
        elif action.kind in (ActionKind.ADOPT, ActionKind.MOVE) and held is not None:
            if owner is not None:
                ledger.shift(held, owner, action.name)
            elif action.kind is ActionKind.ADOPT:
                ledger.add(action.name, held.monthly_cost, 1)
                ledger.currencies.add(held.currency)
    if len(ledger.currencies) > 1:
        return None
    currency = next(iter(ledger.currencies), plan.currency)
    entries = [
        EntryCost(name, after, ledger.numbers[name], after - ledger.now.get(name, _ZERO))
        for name, after in ledger.after.items()
    ]
    entries.sort(key=lambda entry: (-entry.after, entry.name))
    return StackCost(
        now=sum(ledger.now.values(), _ZERO),
        after=sum(ledger.after.values(), _ZERO),
        currency=currency,
        entries=tuple(entry for entry in entries if entry.numbers > 0 or entry.after != 0),
    )


def breaks_budget(now: Decimal, after: Decimal, budget: Decimal) -> bool:
    """The budget rule: over the budget after the plan, and higher than now."""
    return after > budget and after > now


def costed(plan: Plan, live: Live, budget: Budget | None = None) -> Plan:
    """``plan`` with the stack's monthly cost now and after it (and the budget, when there is
    one); PlanError when it breaks the budget, or the budget cannot be checked."""
    cost = stack_cost(plan, live)
    ceiling = budget.max_monthly_cost if budget is not None else None
    if cost is None:
        if ceiling is not None:
            raise PlanError([
                f"stack {plan.stack!r}: its budget cannot be checked: its numbers and the plan's purchases are "
                "billed in more than one currency, which orbitctl cannot sum; plan the numbers of each currency "
                "in a stack of its own, or remove budget:"
            ])
        return dataclasses.replace(plan, budget=ceiling)
    if budget is not None and breaks_budget(cost.now, cost.after, budget.max_monthly_cost):
        raise PlanError([refusal(plan.stack, cost, budget)])
    # the stack's amounts are in one currency; when an action is priced it is the plan's too
    return dataclasses.replace(
        plan, monthly_cost_now=cost.now, monthly_cost_after=cost.after, budget=ceiling, currency=cost.currency
    )


def refusal(stack: str, cost: StackCost, budget: Budget) -> str:
    """The message of a plan refused for its budget: the figures, and the largest entries."""
    currency = cost.currency
    change = cost.after - cost.now
    where = f", {budget.mark}" if budget.mark is not None else ""
    largest = "; ".join(_contributor(entry, currency) for entry in cost.entries[:CONTRIBUTORS_SHOWN])
    return (
        f"stack {stack!r} would go over its budget: the plan takes its monthly cost from "
        f"{format_money(cost.now)} {currency} now to {format_money(cost.after)} {currency} "
        f"({'+' if change >= 0 else '-'}{format_money(abs(change))}), over budget.max_monthly_cost "
        f"{format_money(budget.max_monthly_cost)} {currency}{where}. Largest after the plan: {largest}. "
        "Buy fewer or cheaper numbers (count, max_monthly_cost), release some, or raise the budget "
        "(allowed: a plan that ends at or under the budget, or one that does not raise the cost)"
    )


def _contributor(entry: EntryCost, currency: str) -> str:
    numbers = f"{entry.numbers} number{'' if entry.numbers == 1 else 's'}"
    change = ""
    if entry.change:
        change = f", {'+' if entry.change > 0 else '-'}{format_money(abs(entry.change))} by this plan"
    return f"{entry.name} {format_money(entry.after)} {currency} ({numbers}{change})"
