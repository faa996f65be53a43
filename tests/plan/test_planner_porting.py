"""The planner's porting rules (planner.py, "Porting"): port, wait, adopt, on plain objects."""

from __future__ import annotations

import dataclasses

import pytest

from orbitctl.model import PORT_FAILED_STATUSES, PORT_UNCONFIRMED, ActionKind, Live, PortIn, PortProgress
from orbitctl.plan.planner import plan
from orbitctl.plan.targeting import restrict
from tests.plan.test_planner import desired, entry, live

P1, P2, P3 = "+14155551234", "+14155551235", "+12125551234"
ACME = PortIn("Acme Telecom", "Jo Doe", account_number="ACC-1", pin_env="CARRIER_PIN")


def ported(name, number, port_in=ACME, **config):
    return dataclasses.replace(entry(name, number=number, **config), port_in=port_in)


def progress(number, status="pending", port_id="port_1"):
    return PortProgress(number=number, port_id=port_id, status=status, submitted="2026-03-08T12:00:00Z",
                        estimated_completion="2026-03-22T00:00:00Z")


def run(d, *numbers, ports=None):
    return plan(d, Live(numbers=tuple(numbers)), ports=ports or {})


def kinds(p):
    return [(action.kind, action.name, action.number) for action in p.actions]


def test_a_pinned_number_with_port_in_not_on_the_account_is_ported_not_bought():
    p = run(desired(ported("a", P1), ported("b", P2), entry("c", number=P3)))
    assert kinds(p) == [(ActionKind.PURCHASE, "c", P3), (ActionKind.PORT, "a", P1), (ActionKind.PORT, "b", P2)]
    port = p.actions[1]
    assert port.port_in == ACME and port.id is None and port.monthly_cost is None and not port.config
    assert port.reason == f"pinned {P1} is not on the account"
    assert p.has_changes and p.waiting == ()


@pytest.mark.parametrize("status", ["pending", "in_progress", "completed", PORT_UNCONFIRMED, "on_hold"])
def test_an_open_port_is_waited_for_and_is_no_change(status):
    """Any status not known to have failed is still open: a completed port whose number has not
    arrived yet, an unconfirmed submission, a status orbitctl does not know."""
    p = run(desired(ported("a", P1), ported("b", P2)), ports={P1: progress(P1, status)})
    assert kinds(p) == [(ActionKind.PORT, "b", P2)]
    assert [(w.name, w.number, w.status) for w in p.waiting] == [("a", P1, status)]
    alone = run(desired(ported("a", P1)), ports={P1: progress(P1, status)})
    assert not alone.has_changes and len(alone.waiting) == 1


@pytest.mark.parametrize("status", sorted(PORT_FAILED_STATUSES))
def test_a_port_that_failed_is_ported_again_and_the_reason_says_so(status):
    p = run(desired(ported("a", P1), ported("b", P2)), ports={P1: progress(P1, status, "port_old"), P2: progress(P2)})
    assert kinds(p) == [(ActionKind.PORT, "a", P1)]
    assert p.actions[0].reason == (
        f"pinned {P1} is not on the account (porting request port_old ended {status}: a new request is submitted)"
    )
    assert [w.name for w in p.waiting] == ["b"]


def test_a_number_being_ported_in_is_never_bought_even_without_port_in():
    p = run(desired(entry("a", number=P1), entry("b", number=P2)), ports={P1: progress(P1)})
    assert kinds(p) == [(ActionKind.PURCHASE, "b", P2)]
    assert [w.name for w in p.waiting] == ["a"]


def test_the_number_on_the_account_is_adopted_with_the_entry_configuration_whatever_its_port():
    d = desired(ported("a", P1, label="Main"), ported("b", P2, label="Second"))
    p = run(d, live("num_1", P1, label=""), live("num_2", P2, label="Second"),
            ports={P1: progress(P1, "completed"), P2: progress(P2, "rejected")})
    assert kinds(p) == [(ActionKind.ADOPT, "a", P1), (ActionKind.ADOPT, "b", P2)]
    assert [(c.key, c.before, c.after) for c in p.actions[0].changes] == [("label", "", "Main")]
    assert p.waiting == ()


def test_a_tagged_number_stays_as_it_is_while_the_new_pin_is_ported_in():
    """An entry that pinned another number before keeps it until the ported one arrives; then
    the new one is adopted and the old one is surplus."""
    d = desired(ported("a", P1, label="Main"))
    old = live("num_old", P3, owner="a", label="Old")
    waiting = run(d, old)
    assert kinds(waiting) == [(ActionKind.PORT, "a", P1)] and waiting.unchanged == 1
    arrived = run(d, old, live("num_new", P1))
    assert kinds(arrived) == [(ActionKind.ADOPT, "a", P1), (ActionKind.RELEASE, "a", P3)]


def test_the_numbers_kept_while_a_pin_is_ported_in_add_to_the_other_entries_unchanged():
    d = desired(entry("calm", label="C"), ported("a", P1, label="Main"))
    numbers = (live("num_calm", P2, owner="calm", label="C"), live("num_old", P3, owner="a", label="Old"))
    assert run(d, *numbers).unchanged == 2
    assert run(d, *numbers, ports={P1: progress(P1)}).unchanged == 2


def test_waiting_is_sorted_by_entry_and_kept_for_targeted_entries_only():
    d = desired(ported("b", P2), ported("a", P1), ported("c", P3))
    ports = {number: progress(number) for number in (P1, P2, P3)}
    p = run(d, ports=ports)
    assert [w.name for w in p.waiting] == ["a", "b", "c"]
    targeted = restrict(p, d, Live(numbers=()), ["c", "a"])
    assert [w.name for w in targeted.waiting] == ["a", "c"]
