"""A saved plan against a fresh one (``compare.first_difference``): every action, every value a
change sets or had, every tag set and selection is compared; the costs and counts are not."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from orbitctl.apply.compare import first_difference
from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Change, Plan, PortIn, Selection

STACK = "prod"
HOOK = "https://hooks.example.com/orbit/in?token=s3cr3t-t0ken"


def update(name: str, number: str, *changes: Change) -> Action:
    return Action(
        kind=ActionKind.UPDATE,
        name=name,
        id=f"num_{number[-4:]}",
        number=number,
        changes=changes,
        tag=f"orbitctl__{STACK}__{name}",
        live_fingerprint=f"fp-{number}",
    )


def purchase(name: str, **config) -> Action:
    return Action(
        kind=ActionKind.PURCHASE,
        name=name,
        selection=Selection("US", area_code="415", capabilities=("sms", "voice")),
        config=freeze(config),
        tag=f"orbitctl__{STACK}__{name}",
        monthly_cost=Decimal("1.00"),
    )


def plan(*actions: Action, **fields) -> Plan:
    return Plan(stack=STACK, actions=actions, unchanged=3, **fields)


SAVED = plan(
    update("a", "+14155550001", Change("label", "A", "Line A"), Change("tags", ("x",), ("x", "y"))),
    update("b", "+14155550002", Change("webhook_url", None, HOOK)),
    purchase("pool", label="Pool", webhook_url=HOOK, tags=("sms",)),
    purchase("pool", label="Pool", webhook_url=HOOK, tags=("sms",)),
)


def edited(index: int, **fields) -> Plan:
    """SAVED with action ``index`` replaced by a copy with ``fields``."""
    actions = list(SAVED.actions)
    actions[index] = replace(actions[index], **fields)
    return replace(SAVED, actions=tuple(actions))


def test_the_same_plan_has_no_difference():
    copy = plan(*(replace(action) for action in SAVED.actions))
    assert first_difference(SAVED, copy) is None
    assert first_difference(plan(), plan()) is None


def test_costs_and_counts_are_not_compared():
    """A fresh plan re-prices purchases from a new inventory search and recounts the account;
    apply carries the fresh plan out, so neither comes from the file."""
    repriced = edited(3, monthly_cost=Decimal("2.50"))
    recounted = replace(repriced, unchanged=9, managed=40, unmanaged=2, foreign=1, monthly_cost_delta=Decimal("7"))
    assert first_difference(SAVED, recounted) is None


@pytest.mark.parametrize(
    ("index", "change", "expected"),
    [
        (0, Change("label", "A", "EVIL"),
         'update a (+14155550001): change of label (after): the saved plan has "EVIL", a fresh plan "Line A"'),
        (0, Change("tags", ("x",), ("x", "y", "orbitctl__staging__a")), "change of tags (after): the saved plan has "
         '["x", "y", "orbitctl__staging__a"], a fresh plan ["x", "y"]'),
        (0, Change("label", "B", "Line A"), 'change of label (before): the saved plan has "B", a fresh plan "A"'),
        (1, Change("webhook_url", None, "https://evil.example.net/steal"), "update b (+14155550002): change of "
         'webhook_url (after): the saved plan has "https://evil.example.net/steal", a fresh plan '
         '"https://hooks.example.com/orbit/in?(sensitive)"'),
    ],
)
def test_a_changed_value_of_a_change_is_named_with_both_values(index, change, expected):
    action = SAVED.actions[index]
    changes = tuple(change if old.key == change.key else old for old in action.changes)
    assert expected in first_difference(edited(index, changes=changes), SAVED)


def test_a_change_added_or_dropped_is_a_difference():
    second = SAVED.actions[1]
    added = edited(1, changes=(*second.changes, Change("status", "active", "inactive")))
    assert first_difference(added, SAVED) == (
        "update b (+14155550002): change of status: the saved plan changes it, a fresh plan does not"
    )
    first = SAVED.actions[0]
    dropped = edited(0, changes=first.changes[:1])
    assert first_difference(dropped, SAVED) == (
        "update a (+14155550001): change of tags: a fresh plan changes it, the saved plan does not"
    )


def test_a_secret_that_differs_is_named_but_never_shown():
    other = HOOK.replace("s3cr3t-t0ken", "stolen-token")
    difference = first_difference(edited(1, changes=(Change("webhook_url", None, other),)), SAVED)
    assert difference.endswith(
        "change of webhook_url (after): the saved plan has one (sensitive) value, a fresh plan another"
    )
    assert "s3cr3t" not in difference and "stolen" not in difference


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"config": freeze({"label": "EVIL", "webhook_url": HOOK, "tags": ("sms",)})},
         'config label: the saved plan has "EVIL", a fresh plan "Pool"'),
        ({"config": freeze({"label": "Pool", "webhook_url": HOOK, "tags": ("sms",), "status": "inactive"})},
         'config status: the saved plan has "inactive", a fresh plan none'),
        ({"tag": "orbitctl__staging__pool"},
         'ownership tag: the saved plan has "orbitctl__staging__pool", a fresh plan "orbitctl__prod__pool"'),
        ({"selection": Selection("US", area_code="212", capabilities=("sms", "voice"))},
         'selection area_code: the saved plan has "212", a fresh plan "415"'),
        ({"number": "+14155550199"}, 'number: the saved plan has "+14155550199", a fresh plan none'),
    ],
)
def test_the_second_purchase_of_a_pool_is_compared_too(fields, expected):
    """Purchases pair by entry in plan order: an edit of the last one is found."""
    difference = first_difference(edited(3, **fields), SAVED)
    assert difference is not None and difference.startswith("purchase pool")
    assert difference.endswith(expected)


@pytest.mark.parametrize(
    ("key", "value", "shown"), [("status", "inactive", '"inactive"'), ("forwarding_number", None, "null")]
)
def test_a_config_key_in_either_plan_only_is_a_difference(key, value, shown):
    """A key set to null (clear it) is not the same as a key not stated (leave it alone)."""
    more = edited(3, config=freeze({**SAVED.actions[3].config, key: value}))
    where = f"purchase pool: config {key}: the saved plan has"
    assert first_difference(SAVED, more) == f"{where} none, a fresh plan {shown}"
    assert first_difference(more, SAVED) == f"{where} {shown}, a fresh plan none"


def test_a_config_value_that_differs_is_shown_masked():
    evil = edited(3, config=freeze({**SAVED.actions[3].config, "webhook_url": "https://evil.example.net/in?token=x1"}))
    assert first_difference(evil, SAVED) == (
        'purchase pool: config webhook_url: the saved plan has "https://evil.example.net/in?(sensitive)", '
        'a fresh plan "https://hooks.example.com/orbit/in?(sensitive)"'
    )


def test_a_selection_in_either_plan_only_is_a_difference():
    without = edited(3, selection=None)
    assert first_difference(without, SAVED) == "purchase pool: selection: the saved plan has none"
    assert first_difference(SAVED, without) == "purchase pool: selection: a fresh plan has none"


def test_fields_of_an_update_are_compared():
    assert first_difference(edited(0, live_fingerprint=None), SAVED) == (
        "update a (+14155550001): fingerprint of the live number: the saved plan has none, "
        'a fresh plan "fp-+14155550001"'
    )
    assert first_difference(edited(1, id="num_9999"), SAVED).endswith(
        'id: the saved plan has "num_9999", a fresh plan "num_0002"'
    )


def test_an_action_missing_from_either_plan_is_a_difference():
    fewer = replace(SAVED, actions=SAVED.actions[:3])
    assert first_difference(fewer, SAVED) == "purchase pool: in a fresh plan, not in the saved plan"
    assert first_difference(SAVED, fewer) == "purchase pool: in the saved plan, not in a fresh plan"
    without_b = replace(SAVED, actions=SAVED.actions[:1] + SAVED.actions[2:])
    assert first_difference(without_b, SAVED) == "update b (+14155550002): in a fresh plan, not in the saved plan"
    assert first_difference(edited(1, kind=ActionKind.RELEASE, changes=()), SAVED) == (
        "release b (+14155550002): in the saved plan, not in a fresh plan"
    )


def test_another_stack_is_a_difference():
    assert first_difference(replace(SAVED, stack="staging"), SAVED) == (
        "the saved plan is for stack 'staging', a fresh plan for 'prod'"
    )


PORTS = plan(
    Action(kind=ActionKind.PORT, name="old-a", number="+14155551234", port_in=PortIn("Acme", "Jo", "ACC-1", "PIN_A"),
           reason="pinned +14155551234 is not on the account"),
    Action(kind=ActionKind.PORT, name="old-b", number="+14155551235", port_in=PortIn("Acme", "Jo", "ACC-1", "PIN_A"),
           reason="pinned +14155551235 is not on the account"),
)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("current_carrier", "Beta", 'port_in carrier: the saved plan has "Beta", a fresh plan "Acme"'),
        ("authorization_name", "Sam", 'port_in authorization name: the saved plan has "Sam", a fresh plan "Jo"'),
        ("account_number", None, 'port_in carrier account number: the saved plan has none, a fresh plan "ACC-1"'),
        ("pin_env", "PIN_B", 'port_in PIN variable: the saved plan has "PIN_B", a fresh plan "PIN_A"'),
    ],
)
def test_where_each_port_comes_from_is_compared(field, value, expected):
    for index, name in enumerate(("old-a", "old-b")):
        saved = list(PORTS.actions)
        saved[index] = replace(saved[index], port_in=replace(saved[index].port_in, **{field: value}))
        difference = first_difference(replace(PORTS, actions=tuple(saved)), PORTS)
        assert difference == f"port {name} ({saved[index].number}): {expected}"
    assert first_difference(PORTS, plan(*PORTS.actions)) is None
    dropped = replace(PORTS, actions=(replace(PORTS.actions[0], port_in=None), PORTS.actions[1]))
    assert first_difference(dropped, PORTS) == "port old-a (+14155551234): port_in: the saved plan has none"
    assert first_difference(PORTS, dropped) == "port old-a (+14155551234): port_in: a fresh plan has none"
