"""plan/budget.py: the stack's monthly cost now and after a plan, and the budget rule at its
boundary (exactly at the budget allowed, a cent over refused, a stack over budget may come down)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orbitctl.errors import PlanError
from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Budget, Live, LiveNumber, Owner
from orbitctl.plan.budget import CONTRIBUTORS_SHOWN, breaks_budget, costed, stack_cost
from tests.sample_plans import STACK, plan_of, purchase


def held(id: str, name: str, cost: str, *, stack: str = STACK, currency: str = "USD") -> LiveNumber:
    return LiveNumber(
        id=id, number=f"+1415555{id[-4:]}", country="US", type="local", status="active",
        monthly_cost=Decimal(cost), currency=currency, created_at="2026-01-01T00:00:00Z",
        config=freeze({}), owner=Owner(stack, name) if stack else None,
    )


def release(number: LiveNumber) -> Action:
    return Action(kind=ActionKind.RELEASE, name=number.owner.name, id=number.id, number=number.number,
                  monthly_cost=number.monthly_cost)


def account(*numbers: LiveNumber) -> Live:
    return Live(numbers=tuple(numbers))


ON_ACCOUNT = account(held("num_0001", "a", "2.00"), held("num_0002", "b", "3.00"),
                     held("num_0003", "x", "9.00", stack="other"), held("num_0004", "u", "4.00", stack=""))


def test_now_counts_the_stacks_numbers_only_and_after_adds_purchases_and_takes_releases_off():
    plan = plan_of(purchase("c", monthly_cost=Decimal("1.50")), purchase("d", monthly_cost=Decimal("0.25")),
                   release(ON_ACCOUNT.numbers[0]))
    cost = stack_cost(plan, ON_ACCOUNT)
    assert (cost.now, cost.after) == (Decimal("5.00"), Decimal("4.75"))  # 5.00 + 1.75 - 2.00
    costed_plan = costed(plan, ON_ACCOUNT)
    assert (costed_plan.monthly_cost_now, costed_plan.monthly_cost_after) == (Decimal("5.00"), Decimal("4.75"))


def test_a_replace_counts_the_new_number_instead_of_the_old():
    old = ON_ACCOUNT.numbers[1]
    replace = Action(kind=ActionKind.REPLACE, name="b", id=old.id, number=old.number,
                     monthly_cost=Decimal("3.50"), previous_monthly_cost=old.monthly_cost)
    assert stack_cost(plan_of(replace), ON_ACCOUNT).after == Decimal("5.50")


def test_an_orphan_leaves_the_stack_with_its_bill_and_an_adopted_number_joins_it():
    orphan = Action(kind=ActionKind.ORPHAN, name="a", id="num_0001")
    adopt = Action(kind=ActionKind.ADOPT, name="u", id="num_0004")
    assert stack_cost(plan_of(orphan, adopt), ON_ACCOUNT).after == Decimal("7.00")  # 5 - 2 + 4


@pytest.mark.parametrize(("budget", "refused"), [("6.75", False), ("6.76", False), ("6.74", True)])
def test_exactly_at_the_budget_is_allowed_and_a_cent_over_is_refused(budget, refused):
    plan = plan_of(purchase("c", monthly_cost=Decimal("1.50")), purchase("d", monthly_cost=Decimal("0.25")))
    if refused:
        with pytest.raises(PlanError) as caught:
            costed(plan, ON_ACCOUNT, Budget(Decimal(budget)))
        message = str(caught.value)
        assert "5.00 USD now to 6.75 USD" in message
        assert f"over budget.max_monthly_cost {budget} USD" in message
    else:
        assert costed(plan, ON_ACCOUNT, Budget(Decimal(budget))).monthly_cost_after == Decimal("6.75")


def test_a_stack_over_its_budget_may_lower_its_cost_but_not_raise_it():
    over = Budget(Decimal("1.00"))  # the stack holds 5.00 already
    lowered = costed(plan_of(release(ON_ACCOUNT.numbers[0])), ON_ACCOUNT, over)
    assert (lowered.monthly_cost_now, lowered.monthly_cost_after, lowered.budget) == (
        Decimal("5.00"), Decimal("3.00"), Decimal("1.00"))
    assert costed(plan_of(), ON_ACCOUNT, over).monthly_cost_after == Decimal("5.00")  # no change: allowed
    with pytest.raises(PlanError):
        costed(plan_of(purchase("c", monthly_cost=Decimal("0.01"))), ON_ACCOUNT, over)
    # a release and a dearer purchase together raise it: refused
    with pytest.raises(PlanError):
        costed(plan_of(release(ON_ACCOUNT.numbers[0]), purchase("c", monthly_cost=Decimal("2.01"))), ON_ACCOUNT, over)


def test_the_rule_is_over_the_budget_and_higher_than_now():
    assert not breaks_budget(Decimal("5"), Decimal("10"), Decimal("10"))
    assert breaks_budget(Decimal("5"), Decimal("10.01"), Decimal("10"))
    assert not breaks_budget(Decimal("12"), Decimal("11"), Decimal("10"))
    assert not breaks_budget(Decimal("12"), Decimal("12"), Decimal("10"))
    assert breaks_budget(Decimal("12"), Decimal("12.01"), Decimal("10"))


def test_a_refusal_names_the_largest_contributors_largest_first():
    numbers = [held(f"num_{index:04d}", f"e{index}", f"{index}.00") for index in range(1, 6)]
    plan = plan_of(purchase("big", monthly_cost=Decimal("20.00")))
    with pytest.raises(PlanError) as caught:
        costed(plan, account(*numbers), Budget(Decimal("30.00")))
    largest = str(caught.value).split("Largest after the plan: ", 1)[1]
    named = [part.split(" ", 1)[0] for part in largest.split(". ", 1)[0].split("; ")]
    assert named == ["big", "e5", "e4"][:CONTRIBUTORS_SHOWN]
    assert "big 20.00 USD (1 number, +20.00 by this plan)" in largest


def test_amounts_in_two_currencies_cannot_be_held_to_a_budget():
    mixed = account(held("num_0001", "a", "2.00"), held("num_0002", "b", "3.00", currency="EUR"))
    assert costed(plan_of(), mixed).monthly_cost_after is None
    with pytest.raises(PlanError, match="more than one currency"):
        costed(plan_of(), mixed, Budget(Decimal("100")))
