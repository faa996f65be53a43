"""plan/budget.py: the stack's monthly cost now and after a plan, and the budget rule at its
boundary (exactly at the budget allowed, a cent over refused, a stack over budget may come down)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orbitctl.errors import PlanError
from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Budget, Live, LiveNumber, Owner, SourceMark, format_money
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
    assert entries_of(plan_of(replace), ON_ACCOUNT) == [
        ("b", Decimal("3.50"), 1, Decimal("0.50")), ("a", Decimal("2.00"), 1, Decimal("0"))]


def test_an_orphan_leaves_the_stack_with_its_bill_and_an_adopted_number_joins_it():
    orphan = Action(kind=ActionKind.ORPHAN, name="a", id="num_0001")
    adopt = Action(kind=ActionKind.ADOPT, name="u", id="num_0004")
    assert stack_cost(plan_of(orphan, adopt), ON_ACCOUNT).after == Decimal("7.00")  # 5 - 2 + 4
    assert entries_of(plan_of(orphan, adopt), ON_ACCOUNT) == [
        ("u", Decimal("4.00"), 1, Decimal("4.00")), ("b", Decimal("3.00"), 1, Decimal("0"))]


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


def entries_of(plan, live: Live) -> list[tuple[str, Decimal, int, Decimal]]:
    cost = stack_cost(plan, live)
    return [(entry.name, entry.after, entry.numbers, entry.change) for entry in cost.entries]


def test_each_entry_counts_its_numbers_and_what_the_plan_changes_and_an_emptied_entry_is_left_out():
    two = account(held("num_0001", "a", "2.00"), held("num_0002", "a", "0.50"), held("num_0003", "b", "3.00"))
    plan = plan_of(purchase("a", monthly_cost=Decimal("1.00")), release(two.numbers[2]))
    assert entries_of(plan, two) == [("a", Decimal("3.50"), 3, Decimal("1.00"))]
    one_off = plan_of(release(two.numbers[1]))
    assert entries_of(one_off, two) == [
        ("b", Decimal("3.00"), 1, Decimal("0")), ("a", Decimal("2.00"), 1, Decimal("-0.50"))]
    cost = stack_cost(plan, two)
    assert (cost.now, cost.after) == (Decimal("5.50"), Decimal("3.50"))


def test_a_moved_number_counts_for_its_new_entry_and_leaves_the_stacks_total_alone():
    pool = account(held("num_0001", "a", "2.00"), held("num_0002", "a", "0.50"))
    moved = Action(kind=ActionKind.MOVE, name="a2", id="num_0001", previous_name="a")
    cost = stack_cost(plan_of(moved), pool)
    assert (cost.now, cost.after) == (Decimal("2.50"), Decimal("2.50"))
    assert entries_of(plan_of(moved), pool) == [
        ("a2", Decimal("2.00"), 1, Decimal("2.00")), ("a", Decimal("0.50"), 1, Decimal("-2.00"))]
    # the whole entry moved: the old name is no longer listed
    assert entries_of(plan_of(moved), ON_ACCOUNT) == [
        ("b", Decimal("3.00"), 1, Decimal("0")), ("a2", Decimal("2.00"), 1, Decimal("2.00"))]


def test_a_number_pinned_away_from_another_entry_moves_its_cost_with_it():
    retagged = Action(kind=ActionKind.ADOPT, name="b", id="num_0001", previous_name="a")
    assert entries_of(plan_of(retagged), ON_ACCOUNT) == [("b", Decimal("5.00"), 2, Decimal("2.00"))]
    pool = account(held("num_0001", "a", "2.00"), held("num_0002", "a", "0.50"))
    assert entries_of(plan_of(retagged), pool) == [
        ("b", Decimal("2.00"), 1, Decimal("2.00")), ("a", Decimal("0.50"), 1, Decimal("-2.00"))]
    assert stack_cost(plan_of(retagged), ON_ACCOUNT).after == Decimal("5.00")


def test_a_replace_of_another_entrys_number_takes_the_old_cost_off_that_entry():
    old = ON_ACCOUNT.numbers[0]  # "a", 2.00, moved to "b" and replaced
    replace = Action(kind=ActionKind.REPLACE, name="b", id=old.id, previous_name="a",
                     monthly_cost=Decimal("1.25"), previous_monthly_cost=Decimal("9.99"))
    assert entries_of(plan_of(replace), ON_ACCOUNT) == [("b", Decimal("4.25"), 2, Decimal("1.25"))]
    assert stack_cost(plan_of(replace), ON_ACCOUNT).after == Decimal("4.25")  # the live cost, not the plan's


def test_a_replace_of_a_number_not_on_the_account_takes_off_the_cost_the_plan_recorded_or_nothing():
    recorded = Action(kind=ActionKind.REPLACE, name="b", id="num_0404", monthly_cost=Decimal("1.25"),
                      previous_monthly_cost=Decimal("0.75"))
    assert stack_cost(plan_of(recorded), ON_ACCOUNT).after == Decimal("5.50")  # 5.00 + 1.25 - 0.75
    unknown = Action(kind=ActionKind.REPLACE, name="b", id="num_0404", monthly_cost=Decimal("1.25"))
    assert stack_cost(plan_of(unknown), ON_ACCOUNT).after == Decimal("6.25")
    no_id = Action(kind=ActionKind.REPLACE, name="b", monthly_cost=Decimal("1.25"),
                   previous_monthly_cost=Decimal("0.75"))
    assert stack_cost(plan_of(no_id), ON_ACCOUNT).after == Decimal("5.50")


def test_releasing_or_orphaning_a_number_the_stack_does_not_hold_changes_nothing():
    gone = Action(kind=ActionKind.RELEASE, name="a", id="num_0404", monthly_cost=Decimal("2.00"))
    foreign = Action(kind=ActionKind.RELEASE, name="x", id="num_0003", monthly_cost=Decimal("9.00"))
    untagged = Action(kind=ActionKind.ORPHAN, name="u", id="num_0004")
    no_id = Action(kind=ActionKind.RELEASE, name="a", monthly_cost=Decimal("2.00"))
    for action in (gone, foreign, untagged, no_id):
        assert stack_cost(plan_of(action), ON_ACCOUNT).after == Decimal("5.00"), action


def test_actions_without_a_cost_add_nothing():
    unpriced = purchase("c", monthly_cost=None)
    update = Action(kind=ActionKind.UPDATE, name="a", id="num_0001")
    ported = Action(kind=ActionKind.PORT, name="p", number="+14155550199")
    unknown_adopt = Action(kind=ActionKind.ADOPT, name="z", id="num_0404")
    cost = stack_cost(plan_of(unpriced, update, ported, unknown_adopt), ON_ACCOUNT)
    assert (cost.now, cost.after) == (Decimal("5.00"), Decimal("5.00"))
    assert [entry.name for entry in cost.entries] == ["b", "a"]


def test_the_totals_are_in_the_currency_the_stack_is_billed_in():
    euros = account(held("num_0001", "a", "2.00", currency="EUR"))
    assert stack_cost(plan_of(currency="EUR"), euros).currency == "EUR"
    assert stack_cost(plan_of(currency="USD"), euros).currency == "EUR"  # no purchase: the numbers' own
    assert stack_cost(plan_of(currency="GBP"), account()).currency == "GBP"  # nothing at all: the account's
    unpriced = costed(plan_of(purchase("c", monthly_cost=None), currency="USD"), euros)
    assert (unpriced.currency, unpriced.monthly_cost_after) == ("EUR", Decimal("2.00"))
    bought = costed(plan_of(purchase("c", monthly_cost=Decimal("1.00")), currency="EUR"), euros)
    assert (bought.currency, bought.monthly_cost_after) == ("EUR", Decimal("3.00"))


def test_a_purchase_in_another_currency_than_the_stacks_numbers_cannot_be_summed():
    euros = account(held("num_0001", "a", "2.00", currency="EUR"))
    assert stack_cost(plan_of(purchase("c", monthly_cost=Decimal("1.00")), currency="USD"), euros) is None
    adopted = account(held("num_0001", "a", "2.00"), held("num_0004", "u", "4.00", stack="", currency="EUR"))
    assert stack_cost(plan_of(Action(kind=ActionKind.ADOPT, name="u", id="num_0004")), adopted) is None
    assert stack_cost(plan_of(), adopted) is not None  # an untagged number is not the stack's


def test_a_plan_without_a_budget_is_costed_and_carries_no_ceiling():
    plan = costed(plan_of(purchase("c", monthly_cost=Decimal("1.00"))), ON_ACCOUNT)
    assert (plan.monthly_cost_now, plan.monthly_cost_after, plan.budget, plan.currency) == (
        Decimal("5.00"), Decimal("6.00"), None, "USD")
    ceiling = costed(plan_of(), ON_ACCOUNT, Budget(Decimal("50")))
    assert ceiling.budget == Decimal("50")


def test_a_stack_over_its_budget_may_come_down_across_several_entries():
    over = Budget(Decimal("4.00"))  # holds 5.00
    swap = plan_of(release(ON_ACCOUNT.numbers[0]), release(ON_ACCOUNT.numbers[1]),
                   purchase("c", monthly_cost=Decimal("4.50")), purchase("d", monthly_cost=Decimal("0.50")))
    assert costed(swap, ON_ACCOUNT, over).monthly_cost_after == Decimal("5.00")  # unchanged: allowed
    with pytest.raises(PlanError, match=r"5\.00 USD now to 5\.01 USD \(\+0\.01\)"):
        costed(plan_of(*swap.actions, purchase("e", monthly_cost=Decimal("0.01"))), ON_ACCOUNT, over)


def test_a_number_that_costs_nothing_still_counts_for_its_entry():
    free = account(held("num_0001", "a", "0.00"), held("num_0002", "b", "0.00"), held("num_0003", "b", "0.00"))
    assert entries_of(plan_of(), free) == [
        ("a", Decimal("0.00"), 1, Decimal("0")), ("b", Decimal("0.00"), 2, Decimal("0"))]


def test_an_empty_stack_costs_zero_in_money_that_formats():
    empty = costed(plan_of(), account())
    assert format_money(empty.monthly_cost_now) == format_money(empty.monthly_cost_after) == "0.00"
    with pytest.raises(PlanError) as caught:
        costed(plan_of(purchase("c", monthly_cost=Decimal("2.00"))), account(), Budget(Decimal("1.00")))
    assert "stack 'prod' would go over its budget" in str(caught.value)
    assert "from 0.00 USD now to 2.00 USD (+2.00)" in str(caught.value)


def test_the_budget_a_plan_carries_is_the_manifests():
    stale = plan_of(budget=Decimal("9"))
    mixed = account(held("num_0001", "a", "2.00"), held("num_0002", "b", "3.00", currency="EUR"))
    assert costed(stale, mixed).budget is None
    assert costed(stale, ON_ACCOUNT).budget is None
    assert costed(stale, ON_ACCOUNT, Budget(Decimal("7"))).budget == Decimal("7")


def over_budget(*, mark: SourceMark | None = None) -> str:
    numbers = account(held("num_0001", "pool", "1.00"), held("num_0002", "pool", "1.00"),
                      held("num_0003", "solo", "3.00"), held("num_0004", "cut", "2.50"))
    plan = plan_of(purchase("new", monthly_cost=Decimal("0.50")), release(numbers.numbers[0]),
                   purchase("solo", monthly_cost=Decimal("0.25")), purchase("pricey", monthly_cost=Decimal("4.00")))
    with pytest.raises(PlanError) as caught:
        costed(plan, numbers, Budget(Decimal("8.00"), mark=mark))
    return str(caught.value)


def test_a_refusal_says_each_contributors_numbers_and_change_with_its_sign():
    largest = over_budget().split("Largest after the plan: ", 1)[1]
    assert largest.startswith(
        "pricey 4.00 USD (1 number, +4.00 by this plan); solo 3.25 USD (2 numbers, +0.25 by this plan); "
        "cut 2.50 USD (1 number). ")
    numbers = account(*(held(f"num_000{index}", "pool", "1.00") for index in (1, 2, 3)))
    plan = plan_of(release(numbers.numbers[0]), purchase("new", monthly_cost=Decimal("5.00")))
    with pytest.raises(PlanError) as caught:
        costed(plan, numbers, Budget(Decimal("5.00")))
    assert "new 5.00 USD (1 number, +5.00 by this plan); pool 2.00 USD (2 numbers, -1.00 by this plan). " in str(
        caught.value)


def test_a_refusal_says_where_the_budget_was_written():
    marked = over_budget(mark=SourceMark("numbers.yaml", 4, 3))
    assert "over budget.max_monthly_cost 8.00 USD, numbers.yaml:4:3. Largest" in marked
    assert "over budget.max_monthly_cost 8.00 USD. Largest" in over_budget()
