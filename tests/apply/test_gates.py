"""The safety gates on plain objects: release permission, the percentage, prevent_release, and the
saved-plan checks."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from orbitctl.apply.gates import GateError, check_prevent_release, check_release_gates, check_saved_plan
from orbitctl.model import (
    Action,
    ActionKind,
    Desired,
    DesiredEntry,
    Lifecycle,
    Live,
    LiveNumber,
    Owner,
    Plan,
    Selection,
)

STACK = "prod"


OLD_OWNER = Owner(STACK, "old")


def number(number_id: str, owner: Owner | None = OLD_OWNER) -> LiveNumber:
    return LiveNumber(
        id=number_id, number=f"+1415555{number_id[-4:]}", country="US", type="local", status="active",
        monthly_cost=Decimal("1"), currency="USD", created_at="", config={}, owner=owner,
    )


def release(live: LiveNumber, name: str = "old") -> Action:
    return Action(kind=ActionKind.RELEASE, name=name, id=live.id, number=live.number, live_fingerprint=live.fingerprint)


def plan(*actions: Action, managed: int = 4, fingerprint: str = "f1") -> Plan:
    return Plan(stack=STACK, actions=actions, unchanged=0, managed=managed, desired_fingerprint=fingerprint)


def desired(fingerprint: str = "f1", **entries: DesiredEntry) -> Desired:
    return Desired(stack=STACK, entries=entries, fingerprint=fingerprint)


# --- releases ---------------------------------------------------------------------------------


def test_a_release_needs_allow_release():
    with pytest.raises(GateError, match="--allow-release") as refused:
        check_release_gates(plan(release(number("num_0001"))), allow_release=False)
    assert "Nothing was changed" in str(refused.value)
    check_release_gates(plan(release(number("num_0001"))), allow_release=True)


def test_a_replace_needs_allow_release_too():
    replacing = Action(
        kind=ActionKind.REPLACE, name="old", id="num_1", number="+14155550001", selection=Selection("US")
    )
    with pytest.raises(GateError, match="--allow-release"):
        check_release_gates(plan(replacing), allow_release=False)


def test_no_release_needs_no_flag():
    check_release_gates(plan(Action(kind=ActionKind.PURCHASE, name="a")), allow_release=False)


@pytest.mark.parametrize(
    "managed, releases, limit, refused",
    [
        (8, 2, 25, False),  # 25% is not more than 25%
        (8, 3, 25, True),  # 37.5%
        (7, 7, 25, False),  # small stacks are not held to the percentage
        (20, 6, 30, False),
        (20, 7, 30, True),
        (10, 1, 0, True),
    ],
)
def test_the_release_percentage_applies_to_stacks_of_eight_or_more(managed, releases, limit, refused):
    actions = [release(number(f"num_{i:04d}")) for i in range(releases)]
    the_plan = plan(*actions, managed=managed)
    if refused:
        with pytest.raises(GateError, match="--max-release-percent"):
            check_release_gates(the_plan, allow_release=True, max_release_percent=limit)
        check_release_gates(the_plan, allow_release=True, max_release_percent=limit, force=True)
    else:
        check_release_gates(the_plan, allow_release=True, max_release_percent=limit)


# --- prevent_release --------------------------------------------------------------------------


def test_prevent_release_refuses_a_saved_plan_releasing_that_entry():
    entry = DesiredEntry(name="old", selection=Selection("US"), config={}, lifecycle=Lifecycle(prevent_release=True))
    with pytest.raises(GateError, match="prevent_release"):
        check_prevent_release(plan(release(number("num_0001"))), desired(old=entry))
    check_prevent_release(plan(release(number("num_0001"))), desired())


# --- saved plans ------------------------------------------------------------------------------


def test_a_fresh_saved_plan_passes():
    live_number = number("num_0001")
    saved = plan(release(live_number))
    check_saved_plan(saved, desired=desired(), live=Live((live_number,)), fresh=saved, source="p.json")


def test_a_changed_manifest_makes_the_plan_stale():
    live_number = number("num_0001")
    saved = plan(release(live_number))
    with pytest.raises(GateError, match=r"p\.json is stale: the manifest changed"):
        check_saved_plan(saved, desired=desired("f2"), live=Live((live_number,)), fresh=saved, source="p.json")


def test_a_changed_live_number_makes_the_plan_stale():
    live_number = number("num_0001")
    saved = plan(release(live_number))
    changed = replace(live_number, config={"label": "edited"})
    with pytest.raises(GateError, match="changed on the account"):
        check_saved_plan(saved, desired=desired(), live=Live((changed,)), fresh=saved, source="p.json")


def test_a_vanished_number_makes_the_plan_stale():
    saved = plan(release(number("num_0001")))
    with pytest.raises(GateError, match="no longer on the account"):
        check_saved_plan(saved, desired=desired(), live=Live(()), fresh=saved, source="p.json")


@pytest.mark.parametrize("owner", [None, Owner("other", "old"), Owner(STACK, "someone-else")])
def test_a_saved_plan_never_releases_a_number_this_stack_does_not_own(owner):
    # even when the plan file's fingerprint was made to match (edited by hand)
    foreign = number("num_0001", owner=owner)
    saved = plan(release(foreign))
    with pytest.raises(GateError, match="the account says it belongs to"):
        check_saved_plan(saved, desired=desired(), live=Live((foreign,)), fresh=plan(), source="p.json")


def test_a_plan_whose_purchases_were_made_meanwhile_is_stale():
    buy = Action(kind=ActionKind.PURCHASE, name="pool", selection=Selection("US"))
    saved = plan(buy, buy)
    stale = r"p\.json is stale or was edited: a plan made now would differ: purchase pool: in the saved plan, not"
    for fresh in (plan(), plan(buy)):  # both made meanwhile, or one of the two
        with pytest.raises(GateError, match=stale):
            check_saved_plan(saved, desired=desired(), live=Live(()), fresh=fresh, source="p.json")


def test_a_saved_plan_may_release_a_surplus_moved_in_from_another_name():
    moved_in = number("num_0001", owner=Owner(STACK, "old-name"))
    action = Action(
        kind=ActionKind.RELEASE,
        name="pool",
        id=moved_in.id,
        number=moved_in.number,
        previous_name="old-name",
        live_fingerprint=moved_in.fingerprint,
    )
    saved = plan(action)
    check_saved_plan(saved, desired=desired(), live=Live((moved_in,)), fresh=saved, source="p.json")


def test_a_saved_plan_may_release_a_journaled_surplus_of_its_entry_only():
    bought = number("num_0001", owner=None)
    saved = plan(release(bought, "pool"))
    live = Live((bought,))
    check_saved_plan(saved, desired=desired(), live=live, fresh=saved, source="p.json", journaled={bought.id: "pool"})
    with pytest.raises(GateError, match="no stack"):
        check_saved_plan(
            saved, desired=desired(), live=live, fresh=saved, source="p.json", journaled={bought.id: "other"}
        )
