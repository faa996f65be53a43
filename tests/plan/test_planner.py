"""The pure planner (and its helpers diff.py, matching.py) on plain objects: one case per rule."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

import pytest

from orbitctl.errors import PlanError
from orbitctl.frozen import freeze
from orbitctl.model import (
    DEFAULT_CURRENCY,
    ActionKind,
    Change,
    Desired,
    DesiredEntry,
    Lifecycle,
    Live,
    LiveNumber,
    Owner,
    Selection,
)
from orbitctl.plan.matching import in_area_code, national_significant_number, unmet_keys
from orbitctl.plan.planner import plan

STACK = "prod"
A, B, C = "+14155550100", "+14155550101", "+14155550102"
D, E, F = "+14155550103", "+14155550104", "+14155550105"

PURCHASE, ADOPT, UPDATE, REPLACE, RELEASE, ORPHAN, MOVE = (
    ActionKind.PURCHASE,
    ActionKind.ADOPT,
    ActionKind.UPDATE,
    ActionKind.REPLACE,
    ActionKind.RELEASE,
    ActionKind.ORPHAN,
    ActionKind.MOVE,
)


# --- small constructors -----------------------------------------------------------------------


def entry(
    name,
    *,
    country="US",
    type="local",
    number=None,
    area_code=None,
    contains=None,
    max_cost=None,
    capabilities=(),
    count=None,
    prevent_release=False,
    ignore=(),
    **config,
):
    if capabilities:
        config["capabilities"] = tuple(capabilities)
    selection = Selection(
        country=country,
        type=type,
        number=number,
        area_code=area_code,
        contains=contains,
        max_monthly_cost=Decimal(max_cost) if max_cost else None,
        capabilities=tuple(capabilities),
    )
    return DesiredEntry(
        name=name,
        selection=selection,
        config=freeze(config),
        count=count or 1,
        is_pool=count is not None,
        lifecycle=Lifecycle(prevent_release=prevent_release, ignore_changes=frozenset(ignore)),
    )


def desired(*entries, moved=None, removed=None, stack=STACK):
    return Desired(
        stack=stack,
        entries={e.name: e for e in entries},
        moved=moved or {},
        removed=removed or {},
        fingerprint="desired-fp",
    )


def live(
    id,
    number=A,
    *,
    owner=None,
    country="US",
    type="local",
    status="active",
    cost="1.00",
    currency="USD",
    created="2026-01-01T00:00:00Z",
    position=0,
    **config,
):
    """``owner``: an entry name of STACK, an Owner, or None (unmanaged); ``position``: the place
    in the account's listing."""
    if isinstance(owner, str):
        owner = Owner(STACK, owner)
    return LiveNumber(
        id=id,
        number=number,
        country=country,
        type=type,
        status=status,
        monthly_cost=Decimal(cost),
        currency=currency,
        created_at=created,
        config=freeze(config),
        owner=owner,
        position=position,
    )


def run(d, *numbers, journal=None):
    return plan(d, Live(numbers=tuple(numbers)), journal=journal or {})


def summary(p):
    """(kind, name, id) of every action, in plan order."""
    return [(a.kind, a.name, a.id) for a in p.actions]


def only(p):
    assert len(p.actions) == 1, summary(p)
    return p.actions[0]


def problems(d, *numbers, journal=None):
    with pytest.raises(PlanError) as caught:
        run(d, *numbers, journal=journal)
    return caught.value.problems


# --- ownership --------------------------------------------------------------------------------


def test_unmanaged_and_foreign_numbers_are_left_alone_and_counted():
    p = run(
        desired(),
        live("n1", A),
        live("n2", B, owner=Owner("staging", "x")),
        live("n3", C, owner="gone", label="x"),
    )
    assert summary(p) == [(RELEASE, "gone", "n3")]
    assert (p.managed, p.unmanaged, p.foreign) == (1, 1, 1)


def test_every_unmanaged_and_every_foreign_number_is_counted():
    p = run(
        desired(entry("main")),
        live("n1", A, owner="main"),
        live("u1", B),
        live("u2", C),
        live("f1", D, owner=Owner("staging", "main")),
        live("f2", E, owner=Owner("ci", "x")),
        live("f3", F, owner=Owner("staging", "y")),
    )
    assert p.actions == ()
    assert (p.managed, p.unmanaged, p.foreign) == (1, 2, 3)


def test_pin_of_an_unmanaged_number_adopts_it_with_the_differing_keys_only():
    n = live("n1", A, label="Old", status="active")
    p = run(desired(entry("main", number=A, label="Main", status="active")), n)
    action = only(p)
    assert action.kind is ADOPT and action.id == "n1" and action.number == A
    assert action.changes == (Change("label", "Old", "Main"),)
    assert action.tag == "orbitctl__prod__main"
    assert action.live_fingerprint == n.fingerprint
    assert p.unchanged == 0


def test_pin_of_an_unmanaged_number_adopts_it_even_with_nothing_to_change():
    action = only(run(desired(entry("main", number=A, label="Main")), live("n1", A, label="Main")))
    assert (action.kind, action.changes, action.reason) == (ADOPT, (), "pinned by entry 'main'")


def test_pin_of_another_stacks_number_is_an_error_naming_that_stack():
    found = problems(
        desired(entry("main", number=A)), live("n1", A, owner=Owner("staging", "main"))
    )
    assert found == [
        f"entry 'main' pins {A}, which belongs to stack 'staging' (entry 'main' there): orbitctl never "
        "touches another stack's numbers; release or orphan it from that stack first"
    ]


def test_pin_of_this_stacks_number_under_a_dropped_name_adopts_it_into_the_pinning_entry():
    p = run(desired(entry("new", number=A, label="L")), live("n1", A, owner="old", label="L"))
    action = only(p)
    assert (action.kind, action.name, action.previous_name) == (ADOPT, "new", "old")
    assert action.tag == "orbitctl__prod__new" and action.changes == ()


def test_pin_of_a_number_another_entry_still_owns_is_a_conflict():
    found = problems(
        desired(entry("a", number=A), entry("b")), live("n1", A, owner="b")
    )
    assert found == [
        f"entry 'a' pins {A}, which is the number of entry 'b': conflicting claims; pin it in one entry only"
    ]


def test_two_entries_pinning_one_number_is_a_conflict():
    found = problems(desired(entry("a", number=A), entry("b", number=A)))
    assert found == [f"entries 'a' and 'b' both pin {A}: a number can belong to one entry only"]


def test_pin_of_a_number_that_moved_sends_to_the_same_entry_is_a_move():
    action = only(run(desired(entry("new", number=A), moved={"old": "new"}), live("n1", A, owner="old")))
    assert (action.kind, action.name, action.previous_name) == (MOVE, "new", "old")


def test_pin_of_a_number_that_moved_sends_elsewhere_is_a_conflict():
    found = problems(
        desired(entry("a", number=A), entry("b"), moved={"old": "b"}), live("n1", A, owner="old")
    )
    assert any("moved: sends its entry 'old' to 'b'" in f for f in found)


def test_pin_of_a_number_that_removed_orphans_is_a_conflict():
    found = problems(desired(entry("a", number=A), removed={"old": "orphan"}), live("n1", A, owner="old"))
    assert any("removed: orphans" in f for f in found)


def test_pinned_number_not_on_the_account_is_purchased_exactly():
    action = only(run(desired(entry("main", number=A, label="L"))))
    assert (action.kind, action.number, action.selection.number) == (PURCHASE, A, A)
    assert action.reason == f"pinned {A} is not on the account"


def test_pinned_number_on_the_account_contradicting_the_selection_is_an_error():
    found = problems(desired(entry("main", number=A, type="local")), live("n1", A, type="toll_free"))
    assert found == [
        f"entry 'main' pins {A}, which is on the account but does not match the entry's "
        "selection (type is toll_free, wanted local): fix the entry to match it"
    ]


def test_pin_changed_to_a_number_not_on_the_account_replaces_the_old_one():
    action = only(run(desired(entry("main", number=B)), live("n1", A, owner="main")))
    assert action.kind is REPLACE and action.id == "n1" and action.selection.number == B
    assert action.reason == f"selection no longer holds: number is {A}, wanted {B}"


def test_pin_changed_to_an_unmanaged_number_adopts_it_and_releases_the_old_one():
    p = run(
        desired(entry("main", number=B)),
        live("n1", A, owner="main", created="2020"),
        live("n2", B, created="2026"),
    )
    assert summary(p) == [(ADOPT, "main", "n2"), (RELEASE, "main", "n1")]


def test_pinned_number_already_tagged_for_its_entry_is_unchanged():
    p = run(desired(entry("main", number=A, label="L")), live("n1", A, owner="main", label="L"))
    assert p.actions == () and p.unchanged == 1


def test_a_pin_after_entries_without_one_is_still_adopted():
    p = run(desired(entry("first"), entry("second"), entry("pinned", number=A)), live("n1", A))
    assert summary(p) == [(PURCHASE, "first", None), (PURCHASE, "second", None), (ADOPT, "pinned", "n1")]


@pytest.mark.parametrize("first_pin", ["not on the account", "already the entry's"])
def test_every_pin_is_resolved_whatever_the_pin_before_it(first_pin):
    """An earlier pin that needs nothing resolved never makes a later pin's number be bought
    again (or, under a dropped name, released) instead of adopted."""
    numbers = [live("n1", A), live("n2", C, owner="dropped")]
    if first_pin == "already the entry's":
        numbers.append(live("n0", B, owner="first"))
    p = run(desired(entry("first", number=B), entry("adopted", number=A), entry("retagged", number=C)), *numbers)
    expected = [(ADOPT, "adopted", "n1"), (ADOPT, "retagged", "n2")]
    if first_pin == "not on the account":
        expected.insert(0, (PURCHASE, "first", None))
    assert summary(p) == expected
    assert p.actions[-1].previous_name == "dropped"
    assert p.unchanged == (1 if first_pin == "already the entry's" else 0)


def test_a_pinned_number_that_contradicts_the_selection_is_an_error_even_beside_an_older_member():
    """The pinned number is ranked first: never replaced by the entry's older number and then
    released as a surplus."""
    found = problems(
        desired(entry("main", number=B, area_code="212")),
        live("n1", A, owner="main", created="2020-01-01T00:00:00Z"),
        live("n2", B, type="toll_free", created="2026-01-01T00:00:00Z"),
    )
    assert found == [
        f"entry 'main' pins {B}, which is on the account but does not match the entry's selection "
        f"(type is toll_free, wanted local; area_code: {B} is not in area code 212): fix the entry to match it"
    ]


# --- journal ----------------------------------------------------------------------------------


def test_journal_number_is_adopted_for_its_entry_instead_of_buying_another():
    p = run(desired(entry("main", label="L")), live("n1", A, label=""), journal={"n1": "main"})
    action = only(p)
    assert action.kind is ADOPT and action.id == "n1"
    assert action.changes == (Change("label", "", "L"),)
    assert action.reason == "bought by an earlier apply that could not configure it"


def test_journal_number_fills_a_pool_slot():
    p = run(desired(entry("pool", count=2)), live("n1", A), journal={"n1": "pool"})
    assert summary(p) == [(PURCHASE, "pool", None), (ADOPT, "pool", "n1")]


@pytest.mark.parametrize(
    "number, journal",
    [
        (live("n1", A), {"n1": "gone"}),  # entry no longer in the manifest
        (live("n1", A, owner=Owner("other", "main")), {"n1": "main"}),  # tagged by now
        (live("n1", A), {"n9": "main"}),  # another id
    ],
)
def test_journal_is_ignored_when_the_number_is_tagged_or_the_entry_gone(number, journal):
    p = run(desired(entry("main", number=B)), number, journal=journal)
    assert summary(p) == [(PURCHASE, "main", None)]


def test_journal_number_follows_its_entry_through_moved():
    # bought for "notifications", not tagged, then the entry was renamed: adopt, never buy again
    p = run(
        desired(entry("sms-pool", count=1), moved={"notifications": "sms-pool"}),
        live("n1", A),
        journal={"n1": "notifications"},
    )
    assert summary(p) == [(ADOPT, "sms-pool", "n1")]


def test_pin_wins_over_the_journal():
    p = run(
        desired(entry("a", number=A), entry("b", number=B)),
        live("n1", A),
        live("n2", B, owner="b"),
        journal={"n1": "b"},
    )
    assert summary(p) == [(ADOPT, "a", "n1")]


# --- single entries ---------------------------------------------------------------------------


def test_new_entry_is_purchased_with_its_whole_stated_config_and_tag():
    e = entry("main", area_code="415", capabilities=["sms"], label="L", tags=["x"], ignore=["label"])
    action = only(run(desired(e)))
    assert action.kind is PURCHASE and action.id is None and action.number is None
    assert action.selection == e.selection
    assert dict(action.config) == {"label": "L", "tags": ("x",), "capabilities": ("sms",)}
    assert action.tag == "orbitctl__prod__main" and action.live_fingerprint is None


def test_a_purchase_says_why_it_is_bought():
    p = run(desired(entry("single"), entry("pool", count=3), entry("one", count=1), entry("pinned", number=A)))
    assert {action.name: action.reason for action in p.actions} == {
        "single": "new entry",
        "pool": "pool 'pool' wants 3",
        "one": "new entry",
        "pinned": f"pinned {A} is not on the account",
    }


def test_entry_whose_number_matches_is_unchanged():
    p = run(desired(entry("main", label="L")), live("n1", A, owner="main", label="L", tags=("t",)))
    assert p.actions == () and p.unchanged == 1 and not p.has_changes


def test_update_lists_only_the_changed_keys_before_and_after():
    n = live("n1", A, owner="main", label="Old", status="active", forwarding_number="+14155550199")
    e = entry("main", label="New", status="active", forwarding_number="")
    action = only(run(desired(e), n))
    assert action.kind is UPDATE and action.tag == "orbitctl__prod__main"
    assert action.changes == (
        Change("label", "Old", "New"),
        Change("forwarding_number", "+14155550199", ""),
    )
    assert action.live_fingerprint == n.fingerprint and action.reason is None


@pytest.mark.parametrize(
    "selection, reason",
    [
        ({"country": "GB"}, "country is US, wanted GB"),
        ({"type": "mobile"}, "type is local, wanted mobile"),
        ({"area_code": "212"}, f"area_code: {A} is not in area code 212"),
        ({"contains": "999"}, f"contains: {A} does not contain 999"),
    ],
)
def test_selection_no_longer_held_is_a_replace_naming_the_key(selection, reason):
    n = live("n1", A, owner="main")
    e = entry("main", label="L", **selection)
    action = only(run(desired(e), n))
    assert action.kind is REPLACE and action.id == "n1" and action.number == A
    assert action.reason == f"selection no longer holds: {reason}"
    assert action.selection == e.selection and dict(action.config) == {"label": "L"}
    assert action.previous_monthly_cost == Decimal("1.00") and action.monthly_cost is None
    assert action.tag == "orbitctl__prod__main" and action.live_fingerprint == n.fingerprint


def test_replace_reason_names_every_key_that_fails():
    action = only(run(desired(entry("main", country="GB", type="mobile")), live("n1", A, owner="main")))
    assert action.reason == "selection no longer holds: country is US, wanted GB; type is local, wanted mobile"


@pytest.mark.parametrize(
    "selection",
    [{"area_code": "415"}, {"contains": "5550100"}, {"contains": "1415"}, {"max_cost": "0.10"}],
)
def test_selection_still_held_is_not_a_replace(selection):
    p = run(desired(entry("main", **selection)), live("n1", A, owner="main", cost="5.00"))
    assert p.actions == () and p.unchanged == 1


def test_two_numbers_tagged_for_a_single_entry_keep_the_oldest():
    p = run(
        desired(entry("main")),
        live("n2", B, owner="main", created="2026-02-01"),
        live("n1", A, owner="main", created="2026-01-01"),
    )
    action = only(p)
    assert (action.kind, action.id, action.monthly_cost) == (RELEASE, "n2", Decimal("1.00"))
    assert "single number" in action.reason
    assert p.monthly_cost_delta == Decimal("-1.00") and p.unchanged == 1


def test_a_single_entry_keeps_a_number_that_satisfies_over_an_older_one_that_does_not():
    p = run(
        desired(entry("main", area_code="415")),
        live("n1", "+12125550100", owner="main", created="2020"),
        live("n2", A, owner="main", created="2026"),
    )
    assert summary(p) == [(RELEASE, "main", "n1")]


# --- pools ------------------------------------------------------------------------------------


def test_pool_buys_one_number_per_missing_member():
    p = run(desired(entry("pool", count=3, label="P")), live("n1", A, owner="pool", label="P"))
    assert summary(p) == [(PURCHASE, "pool", None)] * 2 and p.unchanged == 1
    assert all(a.tag == "orbitctl__prod__pool" and a.reason == "pool 'pool' wants 3" for a in p.actions)


POOL_MEMBERS = (
    live("n1", A, owner="pool", created="2026-03"),
    live("n2", B, owner="pool", created="2026-01"),
    live("n3", C, owner="pool", created="2026-02"),
    live("n0", "+14155550103", owner="pool", created="2026-03"),
)


@pytest.mark.parametrize(
    "count, released",
    [(3, ["n1"]), (2, ["n1", "n0"]), (1, ["n1", "n3", "n0"])],  # (created_at, id) newest first
)
def test_pool_surplus_is_released_newest_first_then_by_id(count, released):
    p = run(desired(entry("pool", count=count)), *POOL_MEMBERS)
    assert sorted(a.id for a in p.actions) == sorted(released)
    assert all(a.kind is RELEASE for a in p.actions) and p.unchanged == count
    assert all(f"more members than count {count}" in a.reason for a in p.actions)


def test_pool_surplus_bought_in_the_same_second_goes_in_listing_order_not_id_order():
    # ids are random: the account's listing (purchase order) tells which came last
    same_second = "2026-03-01T10:00:00Z"
    members = [
        live("num_zz", A, owner="pool", created=same_second, position=0),
        live("num_mm", B, owner="pool", created=same_second, position=1),
        live("num_aa", C, owner="pool", created=same_second, position=2),
    ]
    p = run(desired(entry("pool", count=1)), *members)
    assert sorted(a.id for a in p.actions) == ["num_aa", "num_mm"]


def test_pool_of_one_with_a_surplus_says_pool():
    p = run(desired(entry("pool", count=1)), live("n1", A, owner="pool"), live("n2", B, owner="pool", created="2027"))
    assert only(p).reason == "pool 'pool' has more members than count 1"


def test_pool_members_that_no_longer_satisfy_are_replaced_and_go_first_when_surplus():
    p = run(
        desired(entry("pool", count=2, area_code="415")),
        live("n1", "+12125550100", owner="pool", created="2020"),
        live("n2", "+12125550101", owner="pool", created="2021"),
        live("n3", A, owner="pool", created="2026"),
    )
    assert summary(p) == [(REPLACE, "pool", "n1"), (RELEASE, "pool", "n2")]


def test_pool_config_drift_is_one_update_per_member():
    p = run(
        desired(entry("pool", count=3, label="P")),
        live("n1", A, owner="pool", label="X"),
        live("n2", B, owner="pool", label="P"),
        live("n3", C, owner="pool", label="Y"),
    )
    assert summary(p) == [(UPDATE, "pool", "n1"), (UPDATE, "pool", "n3")] and p.unchanged == 1


# --- per-key comparison -----------------------------------------------------------------------


def test_keys_not_stated_are_not_managed():
    p = run(desired(entry("main")), live("n1", A, owner="main", label="anything", tags=("a",)))
    assert p.actions == ()


def test_ignore_changes_skips_the_key():
    wanted = desired(entry("main", label="L", tags=["a"], ignore=["label"]))
    p = run(wanted, live("n1", A, owner="main", label="X", tags=("b",)))
    assert only(p).changes == (Change("tags", ("b",), ("a",)),)


def test_ignore_changes_keeps_the_live_agent():
    wanted = desired(entry("main", label="L", agent_id="agt_new", ignore=["agent_id"]))
    p = run(wanted, live("n1", A, owner="main", label="X", agent_id="agt_console"))
    assert only(p).changes == (Change("label", "X", "L"),)
    assert run(wanted, live("n1", A, owner="main", label="L", agent_id="agt_console")).actions == ()


def test_a_label_and_an_agent_change_are_one_update():
    p = run(
        desired(entry("main", label="L", agent_id="agt_new"), entry("other", agent_id="agt_o")),
        live("n1", A, owner="main", label="X", agent_id="agt_old"),
        live("n2", B, owner="other", agent_id=None),
    )
    assert summary(p) == [(UPDATE, "main", "n1"), (UPDATE, "other", "n2")]
    assert p.actions[0].changes == (Change("label", "X", "L"), Change("agent_id", "agt_old", "agt_new"))
    assert p.actions[1].changes == (Change("agent_id", None, "agt_o"),)


def test_an_adopted_number_gets_the_entry_agent():
    action = only(run(desired(entry("main", number=A, agent_id="agt_a")), live("n1", A, agent_id=None)))
    assert action.kind is ADOPT and action.changes == (Change("agent_id", None, "agt_a"),)


@pytest.mark.parametrize(
    "key, stated, observed, changed",
    [
        ("tags", ["a", "b"], ("b", "a"), False),
        ("tags", ["a"], ("a", "b"), True),
        ("tags", [], None, False),
        ("capabilities", ["sms", "voice"], ("voice", "sms"), False),
        ("capabilities", ["sms"], ("sms", "voice"), True),
        ("channel_config", {"whatsapp": {"enabled": True}}, {"whatsapp": {"enabled": True}}, False),
        ("channel_config", {"whatsapp": {"enabled": True}}, {"whatsapp": {"enabled": False}}, True),
        ("channel_config", {}, None, False),
        ("forwarding_number", "", None, False),
        ("sms_forwarding", None, "", False),
        ("webhook_url", None, "", False),
        ("compliance_profile_id", "", None, False),
        ("agent_id", None, "", False),
        ("agent_id", "agt_a", "agt_a", False),
        ("agent_id", "agt_a", "agt_b", True),
        ("agent_id", "agt_a", None, True),
        ("agent_id", None, "agt_b", True),
        ("webhook_url", "https://h.example/x", {"sms": "https://h.example/x", "voice": None}, True),
        ("label", "", None, True),
    ],
)
def test_per_key_comparison(key, stated, observed, changed):
    p = run(desired(entry("main", **{key: stated})), live("n1", A, owner="main", **{key: observed}))
    if changed:
        assert only(p).changes == (Change(key, freeze(observed), freeze(stated)),)
    else:
        assert p.actions == ()


def test_changes_carry_frozen_values():
    p = run(
        desired(entry("main", channel_config={"a": [1]}, tags=["x"])),
        live("n1", A, owner="main", channel_config={"a": [2]}, tags=("y",)),
    )
    tags, cc = only(p).changes
    assert isinstance(cc.after, MappingProxyType) and cc.after["a"] == (1,)
    assert isinstance(cc.before, MappingProxyType) and tags.after == ("x",)


@pytest.mark.parametrize(
    "first_key, live_first, status",
    [
        ({"label": "L"}, {"label": "L"}, "active"),  # equal as it is
        ({"tags": ["a", "b"]}, {"tags": ("b", "a")}, "active"),  # equal once normalised
        ({"status": "active"}, {}, "regulatory_hold"),  # not fought
    ],
)
def test_a_key_that_needs_no_change_does_not_stop_the_keys_after_it_being_compared(first_key, live_first, status):
    d = desired(entry("main", compliance_profile_id="cp_new", agent_id="agt_new", **first_key))
    n = live("n1", A, owner="main", status=status, compliance_profile_id="cp_old", agent_id="agt_old", **live_first)
    assert only(run(d, n)).changes == (
        Change("compliance_profile_id", "cp_old", "cp_new"),
        Change("agent_id", "agt_old", "agt_new"),
    )


def test_a_stated_key_not_observed_live_differs_with_before_none():
    action = only(run(desired(entry("main", label="L")), live("n1", A, owner="main")))
    assert action.changes == (Change("label", None, "L"),)


def test_status_is_read_from_the_number_when_not_in_config():
    assert run(desired(entry("main", status="active")), live("n1", A, owner="main")).actions == ()
    action = only(run(desired(entry("main", status="inactive")), live("n1", A, owner="main")))
    assert action.changes == (Change("status", "active", "inactive"),)


def test_status_missing_entirely_differs():
    action = only(run(desired(entry("main", status="active")), live("n1", A, owner="main", status="")))
    assert action.changes == (Change("status", None, "active"),)


def test_regulatory_hold_is_not_fought():
    n = live("n1", A, owner="main", status="regulatory_hold")
    assert run(desired(entry("main", status="active")), n).actions == ()
    n = live("n1", A, owner="main", status="regulatory_hold", label="x")
    assert only(run(desired(entry("main", status="active", label="y")), n)).changes == (Change("label", "x", "y"),)


# --- names that leave the manifest -------------------------------------------------------------


def test_dropped_name_is_released_carrying_its_cost():
    p = run(desired(), live("n1", A, owner="gone", cost="2.50"))
    action = only(p)
    assert (action.kind, action.name, action.number) == (RELEASE, "gone", A)
    assert action.monthly_cost == Decimal("2.50") and action.tag is None
    assert action.reason == "entry 'gone' is no longer in the manifest"
    assert p.monthly_cost_delta == Decimal("-2.50") and p.currency == "USD"


def test_a_release_carries_the_fingerprint_of_the_number_it_releases():
    """A saved plan is refused when the number changed since: the release must say what it saw."""
    dropped, kept, surplus = (
        live("n1", A, owner="gone", label="x"),
        live("n2", B, owner="main", created="2020-01-01T00:00:00Z"),
        live("n3", C, owner="main", created="2026-01-01T00:00:00Z", label="y"),
    )
    p = run(desired(entry("main")), dropped, kept, surplus)
    assert [(a.kind, a.id, a.live_fingerprint) for a in p.actions] == [
        (RELEASE, "n1", dropped.fingerprint),
        (RELEASE, "n3", surplus.fingerprint),
    ]
    assert dropped.fingerprint and surplus.fingerprint and dropped.fingerprint != surplus.fingerprint


def test_every_name_that_left_the_manifest_is_released_or_orphaned_whatever_the_names_before_it():
    """Names that are entries, or that moved: sends on, never stop the handling of the others."""
    p = run(
        desired(entry("b-kept"), entry("d-new"), moved={"c-renamed": "d-new"}, removed={"f-orphaned": "orphan"}),
        live("n1", A, owner="a-gone"),
        live("n2", B, owner="b-kept"),
        live("n3", C, owner="c-renamed"),
        live("n4", D, owner="e-gone"),
        live("n5", E, owner="f-orphaned"),
        live("n6", F, owner="g-gone"),
        live("n7", "+14155550106", owner="g-gone"),
    )
    assert summary(p) == [
        (RELEASE, "a-gone", "n1"),
        (RELEASE, "e-gone", "n4"),
        (RELEASE, "g-gone", "n6"),
        (RELEASE, "g-gone", "n7"),
        (ORPHAN, "f-orphaned", "n5"),
        (MOVE, "d-new", "n3"),
    ]
    assert p.unchanged == 1


def test_a_number_pinned_away_from_a_dropped_name_leaves_the_names_other_numbers_released():
    p = run(
        desired(entry("new", number=A)),
        live("n1", A, owner="old"),
        live("n2", B, owner="old"),
        live("n3", C, owner="old"),
    )
    assert summary(p) == [(ADOPT, "new", "n1"), (RELEASE, "old", "n2"), (RELEASE, "old", "n3")]


def test_moved_retags_and_carries_the_new_entrys_changes():
    n = live("n1", A, owner="old", label="Old")
    action = only(run(desired(entry("new", label="New"), moved={"old": "new"}), n))
    assert (action.kind, action.name, action.previous_name, action.id) == (MOVE, "new", "old", "n1")
    assert action.tag == "orbitctl__prod__new" and action.reason == "moved: old -> new"
    assert action.changes == (Change("label", "Old", "New"),)


def test_moved_into_an_entry_that_already_has_its_number_is_a_surplus_member():
    p = run(
        desired(entry("new"), moved={"old": "new"}),
        live("n1", A, owner="new", created="2020"),
        live("n2", B, owner="old", created="2026"),
    )
    action = only(p)
    assert (action.kind, action.id, action.previous_name) == (RELEASE, "n2", "old")


def test_moved_number_that_does_not_fit_the_new_entry_is_replaced():
    action = only(run(desired(entry("new", area_code="212"), moved={"old": "new"}), live("n1", A, owner="old")))
    assert (action.kind, action.previous_name) == (REPLACE, "old")


def test_removed_orphans_the_number():
    action = only(run(desired(removed={"old": "orphan"}), live("n1", A, owner="old")))
    assert (action.kind, action.name, action.id, action.number, action.tag) == (ORPHAN, "old", "n1", A, None)
    assert action.reason == "removed: old: orphan (the number stays)"
    assert action.changes == () and action.live_fingerprint is not None


@pytest.mark.parametrize(
    "d, expected",
    [
        (
            desired(entry("old"), entry("new"), moved={"old": "new"}),
            "moved: old -> new, but 'old' is still an entry of the manifest: remove the entry or the moved: line",
        ),
        (desired(moved={"old": "new"}), "moved: old -> new, but 'new' is not an entry of the manifest"),
        (
            desired(entry("new"), moved={"old": "new"}, removed={"old": "orphan"}),
            "'old' is both in moved: and in removed: conflicting claims; keep one",
        ),
        (
            desired(entry("old"), removed={"old": "orphan"}),
            "removed: old, but 'old' is still an entry of the manifest: remove the entry or the removed: line",
        ),
    ],
)
def test_inconsistent_moved_and_removed_are_errors(d, expected):
    assert problems(d, live("n1", A, owner="old")) == [expected]


# --- capabilities only a purchase provisions (whatsapp, rcs) -----------------------------------


@pytest.mark.parametrize(
    "stated, observed, phrase",
    [
        (["sms", "voice", "whatsapp"], ("sms", "voice"), f"capabilities: {A} lacks whatsapp, which only a purchase"),
        (["sms", "rcs", "whatsapp"], ("sms",), f"capabilities: {A} lacks whatsapp, rcs, which only a purchase"),
        (["sms", "voice"], ("sms", "voice", "whatsapp"), f"capabilities: {A} has whatsapp, which the entry leaves"),
        (["sms"], ("sms", "rcs", "whatsapp"),
         f"capabilities: {A} has whatsapp, rcs, which the entry leaves out and no request removes"),
        (["sms", "whatsapp"], ("sms", "rcs"), f"capabilities: {A} lacks whatsapp"),
    ],
)
def test_a_purchase_only_capability_to_add_or_remove_replaces_the_number(stated, observed, phrase):
    action = only(run(desired(entry("main", capabilities=stated)), live("n1", A, owner="main", capabilities=observed)))
    assert (action.kind, action.id) == (REPLACE, "n1")
    assert action.reason.startswith("selection no longer holds: ") and phrase in action.reason
    assert action.config["capabilities"] == tuple(stated)  # the new number is bought with them


def test_capabilities_a_put_toggles_are_an_update_even_beside_whatsapp():
    wanted = desired(entry("main", capabilities=["sms", "whatsapp"]))
    action = only(run(wanted, live("n1", A, owner="main", capabilities=("sms", "voice", "mms", "whatsapp"))))
    assert action.kind is UPDATE
    assert action.changes == (Change("capabilities", ("sms", "voice", "mms", "whatsapp"), ("sms", "whatsapp")),)
    assert run(wanted, live("n1", A, owner="main", capabilities=("whatsapp", "sms"))).actions == ()


def test_a_pinned_number_that_lacks_whatsapp_is_an_error_naming_the_entry():
    for owner in ("legacy", None):  # managed already, or to be adopted
        found = problems(
            desired(entry("legacy", number=A, capabilities=["sms", "whatsapp"])),
            live("n1", A, owner=owner, capabilities=("sms", "voice")),
        )
        assert len(found) == 1
        assert found[0].startswith(f"entry 'legacy' pins {A}, which is on the account but does not match")
        assert f"capabilities: {A} lacks whatsapp, which only a purchase provisions" in found[0]


def test_ignore_changes_or_unstated_capabilities_leave_a_whatsapp_number_alone():
    number = live("n1", A, owner="main", capabilities=("sms", "whatsapp"))
    assert run(desired(entry("main", capabilities=["sms"], ignore=["capabilities"])), number).actions == ()
    assert run(desired(entry("main")), number).actions == ()
    unobserved = live("n1", A, owner="main")  # capabilities not observed: nothing to compare
    assert summary(run(desired(entry("main", capabilities=["sms", "whatsapp"])), unobserved)) == [
        (UPDATE, "main", "n1")
    ]


def test_a_pool_keeps_the_members_that_have_whatsapp_and_releases_the_others_first():
    p = run(
        desired(entry("pool", count=2, capabilities=["sms", "whatsapp"])),
        live("n1", A, owner="pool", created="2020", capabilities=("sms",)),
        live("n2", B, owner="pool", created="2021", capabilities=("sms", "whatsapp")),
        live("n3", C, owner="pool", created="2022", capabilities=("sms", "whatsapp")),
    )
    assert summary(p) == [(RELEASE, "pool", "n1")] and p.unchanged == 2


def test_prevent_release_refuses_a_replace_for_whatsapp():
    found = problems(
        desired(entry("main", capabilities=["sms", "whatsapp"], prevent_release=True)),
        live("n1", A, owner="main", capabilities=("sms",)),
    )
    assert len(found) == 1 and "would replace" in found[0] and "lacks whatsapp" in found[0]


# --- prevent_release, several problems at once -----------------------------------------------


def test_prevent_release_refuses_a_surplus_release():
    found = problems(
        desired(entry("main", prevent_release=True)),
        live("n1", A, owner="main", created="2020"),
        live("n2", B, owner="main", created="2026"),
    )
    assert len(found) == 1 and "'main' has lifecycle.prevent_release" in found[0]
    assert f"release {B} (n2)" in found[0]


def test_prevent_release_refuses_a_replace():
    found = problems(desired(entry("main", area_code="212", prevent_release=True)), live("n1", A, owner="main"))
    assert len(found) == 1 and f"replace {A} (n1)" in found[0]


def test_prevent_release_names_the_entry_the_number_and_why():
    replacing = problems(
        desired(entry("main", area_code="212", prevent_release=True)), live("n1", A, owner="main")
    )
    surplus = problems(
        desired(entry("main", prevent_release=True)),
        live("n1", A, owner="main", created="2020-01-01T00:00:00Z"),
        live("n2", B, owner="main", created="2026-01-01T00:00:00Z"),
    )
    advice = "change the manifest so it keeps the number, or remove prevent_release"
    assert replacing == [
        f"entry 'main' has lifecycle.prevent_release, but this plan would replace {A} (n1): selection no "
        f"longer holds: area_code: {A} is not in area code 212; {advice}"
    ]
    assert surplus == [
        f"entry 'main' has lifecycle.prevent_release, but this plan would release {B} (n2): entry 'main' "
        f"is a single number; another number is kept for it; {advice}"
    ]


def test_every_problem_is_reported_at_once():
    found = problems(
        desired(
            entry("a", number=A),
            entry("b", area_code="212", prevent_release=True),
        ),
        live("n1", A, owner=Owner("staging", "a")),
        live("n2", B, owner="b"),
    )
    assert len(found) == 2


def test_adopting_a_number_with_ten_user_tags_would_exceed_the_api_limit():
    ten = tuple(f"t{i}" for i in range(10))
    found = problems(desired(entry("main", number=A)), live("n1", A, tags=ten))
    assert found == [
        f"entry 'main': {A} (n1) would carry 11 tags with the ownership tag, and the API "
        "allows 10: state tags: for the entry with at most 9"
    ]
    action = only(run(desired(entry("main", number=A, tags=["a"])), live("n1", A, tags=ten)))
    assert action.kind is ADOPT and action.changes == (Change("tags", ten, ("a",)),)


def test_nine_user_tags_and_the_ownership_tag_are_exactly_the_api_limit():
    nine = tuple(f"t{i}" for i in range(9))
    ten = (*nine, "t9")
    kept = only(run(desired(entry("main", number=A)), live("n1", A, tags=nine)))
    assert kept.kind is ADOPT and kept.changes == ()
    stated = only(run(desired(entry("main", number=A, tags=list(nine))), live("n1", A, tags=())))
    assert stated.kind is ADOPT and stated.changes == (Change("tags", (), nine),)
    repeated = only(run(desired(entry("main", number=A, tags=[*nine, "t0"])), live("n1", A)))
    assert repeated.kind is ADOPT  # a repeated tag is one tag
    [too_many] = problems(desired(entry("main", number=A, tags=list(ten))), live("n1", A, tags=()))
    assert "would carry 11 tags with the ownership tag" in too_many


def test_the_tag_limit_counts_the_live_tags_when_tags_are_ignored():
    ten = tuple(f"t{i}" for i in range(10))
    [too_many] = problems(desired(entry("main", number=A, tags=["a"], ignore=["tags"])), live("n1", A, tags=ten))
    assert f"{A} (n1) would carry 11 tags" in too_many


def test_releases_in_several_currencies_are_refused():
    found = problems(desired(), live("n1", A, owner="x"), live("n2", B, owner="y", currency="EUR"))
    assert found == [
        "the plan's monthly costs are in several currencies (EUR, USD): orbitctl cannot sum "
        "them; plan the numbers of each currency in a separate stack"
    ]


# --- plan-level properties --------------------------------------------------------------------


def test_actions_are_sorted_by_kind_then_name_then_number():
    p = run(
        desired(entry("z"), entry("a"), entry("m", label="L"), moved={"o": "a"}, removed={"r": "orphan"}),
        live("n5", C, owner="gone-b"),
        live("n4", B, owner="gone-a"),
        live("n3", A, owner="m"),
        live("n6", "+14155550109", owner="r"),
        live("n7", "+14155550108", owner="o"),
        live("n8", "+14155550107", owner="gone-a"),
    )
    assert summary(p) == [
        (PURCHASE, "z", None),
        (UPDATE, "m", "n3"),
        (RELEASE, "gone-a", "n4"),
        (RELEASE, "gone-a", "n8"),
        (RELEASE, "gone-b", "n5"),
        (ORPHAN, "r", "n6"),
        (MOVE, "a", "n7"),
    ]
    assert p.desired_fingerprint == "desired-fp" and p.stack == STACK
    assert (p.managed, p.unmanaged, p.foreign) == (6, 0, 0)


def test_actions_of_one_kind_and_name_are_sorted_by_number_not_id():
    p = run(desired(), live("n1", C, owner="gone"), live("n2", A, owner="gone"), live("n3", B, owner="gone"))
    assert [action.number for action in p.actions] == [A, B, C]


def test_a_plan_that_gives_up_no_number_is_in_the_default_currency():
    assert run(desired(entry("main"))).currency == DEFAULT_CURRENCY


def test_replace_counts_only_its_release_until_priced():
    p = run(desired(entry("main", area_code="212")), live("n1", A, owner="main", cost="3.00", currency="EUR"))
    assert p.monthly_cost_delta == Decimal("0") and p.currency == "EUR"


def test_plan_is_pure_same_input_same_plan():
    d = desired(entry("pool", count=2, label="P"))
    numbers = (live("n1", A, owner="pool", label="X"), live("n2", B, owner="gone"))
    assert run(d, *numbers) == run(d, *numbers)


# --- matching helpers -------------------------------------------------------------------------


def test_national_significant_number():
    assert national_significant_number(A, "US") == "4155550100"
    assert national_significant_number("+390612345678", "IT") == "0612345678"
    assert national_significant_number("+442071234567", "US") == "2071234567"  # parsed
    assert national_significant_number("+12", "ZZ") == "12"  # unparsable: the digits


def test_area_code_with_the_trunk_prefix():
    assert in_area_code("+442071234567", "GB", "020")
    assert in_area_code("+442071234567", "GB", "20")
    assert not in_area_code("+442071234567", "GB", "021")
    assert not in_area_code(A, "US", "212")
    assert not in_area_code("+12", "ZZ", "3")


def test_a_number_of_the_selections_country_is_read_as_written_after_its_calling_code():
    """Not as libphonenumber would repair it (it drops a trunk 0 written after +44, and gives up
    past 17 digits): whether such a number is in an area code does not depend on its heuristics."""
    assert national_significant_number("+4402071234567", "GB") == "02071234567"
    assert not in_area_code("+4402071234567", "GB", "20")
    assert in_area_code("+1415555010012345678", "US", "415")


def test_an_area_code_written_with_the_trunk_prefix_is_met_by_a_number_of_that_area():
    london = Selection(country="GB", type="local", area_code="020")
    assert unmet_keys(london, "+442071234567", "GB", "local") == []
    assert unmet_keys(london, "+441611234567", "GB", "local") == ["area_code: +441611234567 is not in area code 020"]
    p = run(
        desired(entry("main", country="GB", area_code="020")),
        live("n1", "+442071234567", owner="main", country="GB"),
    )
    assert p.actions == () and p.unchanged == 1


def test_unmet_keys_of_a_satisfying_number_is_empty():
    assert unmet_keys(Selection(country="US", area_code="415", contains="555"), A, "US", "local") == []
