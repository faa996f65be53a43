"""--target (plan/targeting.py): the full plan restricted to some entries, on plain objects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orbitctl.errors import PlanError
from orbitctl.model import Live, Owner
from orbitctl.plan.targeting import restrict
from tests.plan.test_planner import (
    MOVE,
    ORPHAN,
    PURCHASE,
    RELEASE,
    UPDATE,
    desired,
    entry,
    live,
    run,
)


def targeted(d, numbers, *targets):
    full = run(d, *numbers)
    return full, restrict(full, d, Live(numbers=tuple(numbers)), targets)


def kinds(p):
    return sorted((a.kind.value, a.name, a.id or "") for a in p.actions)


# An account where every entry has something to do, and one number that needs nothing.
D = desired(
    entry("a", label="A"),
    entry("b", label="B"),
    entry("pool", count=3, label="P"),
    entry("calm", label="C"),
)
NUMBERS = [
    live("n_a", "+14155550100", owner="a", label="old"),
    live("n_b", "+14155550101", owner="b", label="old"),
    live("n_p1", "+14155550102", owner="pool", label="P"),
    live("n_calm", "+14155550103", owner="calm", label="C"),
    live("n_gone", "+14155550104", owner="gone", cost="2.00"),
    live("n_other", "+14155550105", owner=Owner("ci", "a")),
]


def test_only_the_targeted_entries_actions_are_kept():
    full, p = targeted(D, NUMBERS, "a")
    assert len(full.actions) == 5
    assert kinds(p) == [("update", "a", "n_a")]
    assert p.targets == ("a",)
    _, both = targeted(D, NUMBERS, "b", "a", "b")
    assert kinds(both) == [("update", "a", "n_a"), ("update", "b", "n_b")]
    assert both.targets == ("b", "a")  # in the order given, once each


def test_unchanged_counts_only_the_targeted_entries_untouched_numbers():
    """n_a is updated, so targeting a counts nothing unchanged: not n_a, and not the numbers of
    the entries not targeted (n_p1, n_calm)."""
    _, p = targeted(D, NUMBERS, "a")
    assert p.unchanged == 0
    _, calm_and_a = targeted(D, NUMBERS, "calm", "a")
    assert calm_and_a.unchanged == 1


def test_a_pool_is_targeted_whole_and_unchanged_counts_only_targeted_numbers():
    _, p = targeted(D, NUMBERS, "pool")
    assert [a.kind for a in p.actions] == [PURCHASE, PURCHASE]
    assert p.unchanged == 1  # n_p1; n_calm is not targeted
    _, calm = targeted(D, NUMBERS, "calm")
    assert calm.actions == () and calm.unchanged == 1
    _, shrink = targeted(desired(entry("pool", count=1)), [
        live("p1", "+14155550102", owner="pool", created="2026-01-01T00:00:00Z"),
        live("p2", "+14155550103", owner="pool", created="2026-01-02T00:00:00Z"),
        live("p3", "+14155550104", owner="pool", created="2026-01-03T00:00:00Z"),
    ], "pool")
    assert kinds(shrink) == [("release", "pool", "p2"), ("release", "pool", "p3")]


def test_a_name_that_left_the_manifest_can_be_targeted_for_its_release():
    _, p = targeted(D, NUMBERS, "gone")
    assert kinds(p) == [("release", "gone", "n_gone")]
    assert p.monthly_cost_delta == Decimal("-2.00")
    _, not_it = targeted(D, NUMBERS, "a")
    assert RELEASE not in {a.kind for a in not_it.actions} and not_it.monthly_cost_delta == 0


@pytest.mark.parametrize("target", ["old", "new"])
def test_a_move_is_taken_by_either_of_its_names(target):
    d = desired(entry("new"), entry("x", label="X"), moved={"old": "new"})
    numbers = [live("n1", owner="old"), live("n2", "+14155550101", owner="x")]
    _, p = targeted(d, numbers, target)
    assert [(a.kind, a.previous_name, a.name) for a in p.actions] == [(MOVE, "old", "new")]


def test_a_move_is_not_taken_by_a_target_other_than_its_names():
    d = desired(entry("new"), entry("x", label="X"), moved={"old": "new"})
    numbers = [live("n1", owner="old"), live("n2", "+14155550101", owner="x")]
    _, p = targeted(d, numbers, "x")
    assert [(a.kind, a.name) for a in p.actions] == [(UPDATE, "x")]


def test_a_removed_name_is_targeted_for_its_orphaning():
    d = desired(entry("a", label="A"), removed={"legacy": "orphan"})
    _, p = targeted(d, [live("n1", owner="legacy"), live("n2", "+14155550101", owner="a")], "legacy")
    assert [a.kind for a in p.actions] == [ORPHAN]


def test_an_unknown_target_names_the_closest_known_names():
    with pytest.raises(PlanError) as caught:
        targeted(D, NUMBERS, "pol", "a", "zzz-nothing-like-it")
    assert caught.value.problems == [
        "--target 'pol': no entry of that name in the manifests of stack 'prod', and no number of the "
        "stack on the account carries it (did you mean 'pool'?)",
        "--target 'zzz-nothing-like-it': no entry of that name in the manifests of stack 'prod', and no "
        "number of the stack on the account carries it",
    ]



def test_an_unknown_target_names_at_most_three_close_names():
    d = desired(*(entry(f"pool-{i}") for i in range(1, 6)))
    with pytest.raises(PlanError) as caught:
        targeted(d, [], "pool")
    [problem] = caught.value.problems
    assert problem.endswith("(did you mean 'pool-5' or 'pool-4' or 'pool-3'?)")


def test_another_stacks_entry_is_not_a_target():
    d = desired(entry("b", label="B"))
    with pytest.raises(PlanError, match="--target 'a'"):
        targeted(d, [live("n_other", owner=Owner("ci", "a"))], "a")


def test_targets_touch_nothing_else_with_many_entries():
    """Every action kept is the target's, and every action of the target is kept."""
    entries = [entry(f"e{i}", label="new") for i in range(6)]
    numbers = [live(f"n{i}", f"+1415555010{i}", owner=f"e{i}", label="old") for i in range(6)]
    full, p = targeted(desired(*entries), numbers, "e2", "e4")
    assert [a.id for a in p.actions] == ["n2", "n4"]
    assert all(a.kind is UPDATE for a in p.actions)
    assert {a.id for a in full.actions} - {a.id for a in p.actions} == {"n0", "n1", "n3", "n5"}
