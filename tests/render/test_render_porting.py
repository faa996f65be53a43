"""Port actions and the numbers a plan waits for, in text, markdown and JSON."""

from __future__ import annotations

import json

import jsonschema

from orbitctl.model import PORT_UNCONFIRMED
from orbitctl.render.markdown import render_plan_markdown
from orbitctl.render.plan_json import PLAN_SCHEMA_PATH, plan_to_dict
from orbitctl.render.text import NO_CHANGES, WAITING_HEADING, render_plan
from tests import sample_plans as sp

VALIDATOR = jsonschema.Draft202012Validator(json.loads(PLAN_SCHEMA_PATH.read_text()))

WAITING = (
    sp.waiting(),
    sp.waiting("b", "+14155551236", port_id=None, status=PORT_UNCONFIRMED, submitted=None,
               estimated_completion=None, note="an apply was stopped"),
)


def test_a_port_action_says_where_the_number_comes_from_and_costs_nothing_yet():
    lines = render_plan(sp.plan_of(sp.port()), color=False).splitlines()
    facts = [line.strip() for line in lines if line.startswith("        ")]
    assert facts == [
        "number:       +14155551235",
        "from:         Acme Telecom (authorised by Jo Doe, account ACC-12345, PIN from ${CARRIER_PIN})",
        "monthly cost: none until the number arrives",
        "reason:       pinned +14155551235 is not on the account",
    ]
    assert lines[-1] == "Plan: 0 to purchase, 1 to port, 0 to update, 0 to release (+0.00 USD/month)."


def test_a_plan_with_only_waiting_numbers_has_no_changes_and_lists_them():
    text = render_plan(sp.plan_of(unchanged=2, waiting=WAITING), color=False)
    assert text.splitlines()[:5] == [
        NO_CHANGES,
        "",
        WAITING_HEADING,
        "  legacy-line  +14155551234  porting request port_abc123: in_progress, submitted 2026-03-08T12:00:00Z, "
        "estimated completion 2026-03-22T00:00:00Z",
        "  b            +14155551236  porting request (no id: unconfirmed): unconfirmed",
    ]
    assert "      note: an apply was stopped" in text
    assert "2 numbers unchanged. 2 numbers being ported in." in text


def test_waiting_numbers_follow_the_actions_of_a_plan_with_changes():
    lines = render_plan(sp.plan_of(sp.port(), waiting=WAITING[:1]), color=False).splitlines()
    assert lines.index(WAITING_HEADING) > lines.index("  + legacy-fax")
    assert lines[-1].startswith("Plan: 0 to purchase, 1 to port")


def test_markdown_counts_and_lists_the_waiting_numbers():
    for plan in (sp.plan_of(waiting=WAITING), sp.plan_of(sp.port(), waiting=WAITING)):
        comment = render_plan_markdown(plan)
        assert "<details><summary>2 waiting for a port to complete</summary>" in comment
        assert "porting request port_abc123: in_progress" in comment
    comment = render_plan_markdown(sp.plan_of(sp.port(), waiting=WAITING))
    assert "| port | 1 |" in comment and "| waiting for a port | 2 |" in comment
    assert "<details><summary>1 to port in from another carrier</summary>" in comment


def test_json_lists_the_waiting_numbers_only_when_there_are_some():
    document = plan_to_dict(sp.plan_of(sp.port(), waiting=WAITING))
    VALIDATOR.validate(document)
    assert document["summary"]["port"] == 1 and document["summary"]["waiting"] == 2
    assert document["waiting"][0] == {
        "name": "legacy-line", "number": "+14155551234", "port_id": "port_abc123", "status": "in_progress",
        "submitted": "2026-03-08T12:00:00Z", "estimated_completion": "2026-03-22T00:00:00Z",
    }
    assert document["waiting"][1]["note"] == "an apply was stopped"
    assert document["actions"][0]["port_in"] == {
        "current_carrier": "Acme Telecom", "authorization_name": "Jo Doe", "account_number": "ACC-12345",
        "pin_env": "CARRIER_PIN",
    }
    assert document["drift"]["changed"] == 0  # a port touches no number on the account
    quiet = plan_to_dict(sp.plan_of(sp.update()))
    assert "waiting" not in quiet and quiet["summary"]["waiting"] == 0
