"""The rename hint (plan/renames.py): an entry released while a new entry its numbers already
match is bought suggests `moved: {old: new}`; and every case where it must stay silent."""

from __future__ import annotations

from orbitctl.model import Live
from orbitctl.plan import renames
from orbitctl.plan.targeting import restrict
from tests.plan.test_planner import A, B, C, desired, entry, live, run


def hints(d, *numbers):
    return run(d, *numbers).suggested_moves


def test_a_renamed_entry_is_suggested_as_moved():
    d = desired(entry("support-primary", label="Support", area_code="415"), entry("other", label="O"))
    numbers = [live("n1", A, owner="support-main", label="Support"), live("n2", B, owner="other", label="O")]
    assert hints(d, *numbers) == (("support-main", "support-primary"),)


def test_a_renamed_pool_is_suggested_whatever_its_new_count():
    d = desired(entry("sms-bulk", count=3, label="SMS"))
    numbers = [live("n1", A, owner="sms-pool", label="SMS"), live("n2", B, owner="sms-pool", label="SMS")]
    assert hints(d, *numbers) == (("sms-pool", "sms-bulk"),)


def test_no_hint_when_a_stated_value_differs_or_the_selection_does_not_hold():
    assert hints(desired(entry("new", label="New")), live("n1", owner="old", label="Old")) == ()
    assert hints(desired(entry("new", area_code="212")), live("n1", A, owner="old")) == ()
    assert hints(desired(entry("new", type="mobile")), live("n1", owner="old")) == ()
    assert hints(desired(entry("new", number=B)), live("n1", A, owner="old")) == ()


def test_no_hint_unless_every_number_of_the_old_entry_matches():
    d = desired(entry("new", count=2, label="P"))
    numbers = [live("n1", A, owner="old", label="P"), live("n2", B, owner="old", label="other")]
    assert hints(d, *numbers) == ()


def test_ignored_keys_do_not_count_against_the_match():
    d = desired(entry("new", label="New", ignore=("label",)))
    assert hints(d, live("n1", owner="old", label="Old")) == (("old", "new"),)


def test_no_hint_for_an_entry_that_already_has_numbers():
    """A pool growing while another entry leaves is no rename."""
    d = desired(entry("pool", count=3))
    numbers = [live("n1", A, owner="pool"), live("n2", B, owner="old")]
    assert hints(d, *numbers) == ()


def test_no_hint_for_an_entry_that_adopts_a_number_beside_its_purchases():
    """A pool that adopts a number an earlier apply bought for it already has one: no rename."""
    d = desired(entry("pool", count=2, label="P"))
    p = run(d, live("n1", A, label="P"), live("n2", B, owner="old", label="P"), journal={"n1": "pool"})
    assert sorted(a.kind.value for a in p.actions) == ["adopt", "purchase", "release"]
    assert p.suggested_moves == ()


def test_no_hint_past_max_pairs_candidate_pairs(monkeypatch):
    """One new entry and two dropped names, one of which suits it: two candidate pairs."""
    d = desired(entry("new", label="X"))
    numbers = (live("n1", A, owner="old-a", label="X"), live("n2", B, owner="old-b", label="Y"))
    assert hints(d, *numbers) == (("old-a", "new"),)
    monkeypatch.setattr(renames, "MAX_PAIRS", 2)
    assert hints(d, *numbers) == (("old-a", "new"),)
    monkeypatch.setattr(renames, "MAX_PAIRS", 1)
    assert hints(d, *numbers) == ()


def test_no_hint_for_a_surplus_release():
    d = desired(entry("pool", count=1), entry("new"))
    numbers = [live("n1", A, owner="pool", created="2026-01-01T00:00:00Z"),
               live("n2", B, owner="pool", created="2026-01-02T00:00:00Z")]
    assert hints(d, *numbers) == ()


def test_no_hint_when_moved_or_removed_already_say_what_happens():
    assert hints(desired(entry("new"), moved={"old": "new"}), live("n1", owner="old")) == ()
    assert hints(desired(entry("new"), removed={"old": "orphan"}), live("n1", owner="old")) == ()


def test_no_hint_when_the_pairing_is_ambiguous():
    two_new = desired(entry("new-a", label="X"), entry("new-b", label="X"))
    assert hints(two_new, live("n1", owner="old", label="X")) == ()
    two_old = desired(entry("new", label="X"))
    assert hints(two_old, live("n1", A, owner="old-a", label="X"), live("n2", B, owner="old-b", label="X")) == ()
    # one to one pairs are still found beside an ambiguous group
    mixed = desired(entry("new-a", label="X"), entry("new-b", label="X"), entry("new-c", label="Y"))
    numbers = [live("n1", A, owner="old", label="X"), live("n3", C, owner="old-y", label="Y")]
    assert hints(mixed, *numbers) == (("old-y", "new-c"),)


def test_several_renames_are_each_suggested():
    d = desired(entry("b2", label="B"), entry("a2", label="A"))
    numbers = [live("n1", A, owner="a1", label="A"), live("n2", B, owner="b1", label="B")]
    assert hints(d, *numbers) == (("a1", "a2"), ("b1", "b2"))


def test_a_targeted_plan_keeps_a_hint_only_when_both_names_are_targeted():
    d = desired(entry("new", label="X"), entry("other", label="Y"))
    numbers = (live("n1", A, owner="old", label="X"), live("n2", B, owner="other", label="Z"))
    full = run(d, *numbers)
    assert full.suggested_moves == (("old", "new"),)
    both = restrict(full, d, Live(numbers=numbers), ["old", "new"])
    assert both.suggested_moves == (("old", "new"),)
    assert restrict(full, d, Live(numbers=numbers), ["new"]).suggested_moves == ()
    assert restrict(full, d, Live(numbers=numbers), ["other"]).suggested_moves == ()
