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


NOTHING_CHANGED = "Nothing was changed."


def test_a_gate_error_says_every_problem_one_a_line_then_the_advice():
    refused = GateError(["first", "second"], advice=NOTHING_CHANGED)
    assert str(refused) == f"first\nsecond\n{NOTHING_CHANGED}"
    assert refused.problems == ["first", "second"]
    bare = GateError(["only"])
    assert (str(bare), bare.problems) == ("only", ["only"])


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


@pytest.mark.parametrize("count, more", [(1, ""), (5, ""), (6, " and 1 more"), (8, " and 3 more")])
def test_the_allow_release_refusal_names_the_first_five_numbers_and_counts_the_rest(count, more):
    actions = [release(number(f"num_{i:04d}"), f"e{i}") for i in range(count)]
    with pytest.raises(GateError) as refused:
        check_release_gates(plan(*actions, managed=4), allow_release=False)
    listed = ", ".join(f"release e{i} (+1415555{i:04d})" for i in range(min(count, 5)))
    assert refused.value.problems == [
        f"the plan releases {count} number(s) ({listed}{more}); a release cannot be undone (the number "
        "may go to another customer): pass --allow-release to allow it"
    ]
    assert str(refused.value).endswith(f"\n{NOTHING_CHANGED}")


def test_the_allow_release_refusal_names_a_replace_and_a_number_known_by_its_id_only():
    replacing = Action(
        kind=ActionKind.REPLACE, name="main", id="num_1", number="+14155550001", selection=Selection("US")
    )
    by_id = Action(kind=ActionKind.RELEASE, name="old", id="num_2")
    with pytest.raises(GateError) as refused:
        check_release_gates(plan(replacing, by_id), allow_release=False)
    assert refused.value.problems[0].startswith(
        "the plan releases 2 number(s) (replace main (+14155550001), release old (num_2));"
    )


def test_both_release_gates_are_reported_at_once():
    actions = [release(number(f"num_{i:04d}")) for i in range(4)]
    with pytest.raises(GateError) as refused:
        check_release_gates(plan(*actions, managed=8), allow_release=False)
    assert len(refused.value.problems) == 2
    assert refused.value.problems[1] == (
        "the plan releases 4 of the 8 numbers stack 'prod' manages (50%), more than --max-release-percent "
        "25%: check the manifest, then pass --force (or raise --max-release-percent) to allow it"
    )
    assert str(refused.value).endswith(f"\n{NOTHING_CHANGED}")


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


def test_prevent_release_names_every_number_it_keeps():
    kept = Lifecycle(prevent_release=True)
    entries = {name: DesiredEntry(name=name, selection=Selection("US"), config={}, lifecycle=kept) for name in "ab"}
    actions = (release(number("num_0001"), "a"), release(number("num_0002"), "other"), release(number("num_0003"), "b"))
    with pytest.raises(GateError) as refused:
        check_prevent_release(plan(*actions), desired(**entries))
    assert refused.value.problems == [
        f"{name}: lifecycle.prevent_release forbids releasing its number {e164}; remove prevent_release from "
        "the entry first"
        for name, e164 in (("a", "+14155550001"), ("b", "+14155550003"))
    ]
    assert str(refused.value).endswith(f"\n{NOTHING_CHANGED}")


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


STALE = "the saved plan p.json is stale: "
MAKE_A_NEW_PLAN = f"{NOTHING_CHANGED} Make a new plan (orbitctl plan ... --out p.json) and review it."


def test_every_staleness_problem_of_a_saved_plan_is_reported_at_once():
    """A purchase (no number to check) or a problem found never stops the checks of the actions
    after it."""
    buy = Action(kind=ActionKind.PURCHASE, name="pool", selection=Selection("US"))
    gone_1, gone_2 = number("num_0001"), number("num_0002")
    other_stack, unmanaged = number("num_0003", owner=Owner("staging", "old")), number("num_0004", owner=None)
    changed = number("num_0005")
    saved = plan(
        buy, release(gone_1), release(gone_2), release(other_stack), release(unmanaged), release(changed), buy
    )
    live = Live((other_stack, unmanaged, replace(changed, config={"label": "edited"})))
    with pytest.raises(GateError) as refused:
        check_saved_plan(saved, desired=desired(), live=live, fresh=saved, source="p.json")
    assert refused.value.problems == [
        STALE + "old: number +14155550001 is no longer on the account",
        STALE + "old: number +14155550002 is no longer on the account",
        STALE + "old: the plan releases +14155550003 (num_0003), but the account says it belongs to "
        "'staging'/'old', not 'prod'/'old'",
        STALE + "old: the plan releases +14155550004 (num_0004), but the account says it belongs to "
        "no stack (unmanaged), not 'prod'/'old'",
        STALE + "old: number +14155550005 changed on the account since the plan was made",
    ]
    assert str(refused.value).endswith(f"\n{MAKE_A_NEW_PLAN}")


def test_a_saved_plan_for_another_stack_is_stale():
    live_number = number("num_0001")
    saved = plan(release(live_number))
    staging = Desired(stack="staging", entries={}, fingerprint="f1")
    with pytest.raises(GateError) as refused:
        check_saved_plan(
            saved, desired=staging, live=Live((live_number,)), fresh=replace(saved, stack="staging"), source="p.json"
        )
    assert refused.value.problems == [STALE + "the plan is for stack 'prod', the manifest is for 'staging'"]


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

    with pytest.raises(GateError) as refused:
        check_saved_plan(saved, desired=desired(), live=Live(()), fresh=plan(), source="p.json")
    assert str(refused.value).endswith(f"\n{MAKE_A_NEW_PLAN}")


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
