"""`plan --output json` (orbitctl/render/plan_json.py) against schemas/plan.schema.json."""

from __future__ import annotations

import copy
import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from orbitctl import __version__
from orbitctl.model import Action, ActionKind, Availability, Change, Selection
from orbitctl.render.plan_json import plan_to_dict, render_plan_json
from tests import sample_plans as sp

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_the_packaged_schema_is_the_same_file():
    import orbitctl

    packaged = Path(orbitctl.__file__).parent / "schemas" / "plan.schema.json"
    assert packaged.read_text() == SCHEMA_PATH.read_text()


@pytest.mark.parametrize("kind", list(ActionKind))
def test_every_kind_validates(validator, kind):
    document = json.loads(render_plan_json(sp.plan_of(sp.ALL_KINDS[kind]())))
    validator.validate(document)
    assert [action["action"] for action in document["actions"]] == [kind.value]


def test_every_kind_together_and_no_changes_validate(validator):
    validator.validate(json.loads(render_plan_json(sp.every_kind_plan())))
    validator.validate(json.loads(render_plan_json(sp.plan_of(unchanged=3))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=sp.plans)
def test_random_plans_validate_and_count_their_actions(validator, plan):
    document = json.loads(render_plan_json(plan))
    validator.validate(document)
    for kind in ActionKind:
        assert document["summary"][kind.value] == sum(1 for a in plan.actions if a.kind is kind)
    assert len(document["actions"]) == len(plan.actions)


def test_a_pool_keeps_one_action_per_number_and_its_inventory_note(validator):
    note = Availability(Selection(country="US", capabilities=("sms",)), ("otp-pool",), 2000, 600, 500)
    plan = sp.plan_of(*sp.pool(ActionKind.PURCHASE, 300), *sp.pool(ActionKind.RELEASE, 3, "old"), availability=(note,))
    document = json.loads(render_plan_json(plan))
    validator.validate(document)
    assert len(document["actions"]) == 303 and document["summary"]["purchase"] == 300
    assert document["availability"] == [
        {"names": ["otp-pool"], "selection": {"country": "US", "type": "local", "capabilities": ["sms"]},
         "needed": 2000, "found": 600, "search_cap": 500}
    ]
    assert "availability" not in plan_to_dict(sp.plan_of(*sp.pool(ActionKind.PURCHASE, 3)))


def test_the_spec_example_update():
    action = Action(
        kind=ActionKind.UPDATE,
        name="support-main",
        id="num_abc123",
        number="+14155550100",
        changes=(Change("label", "Support", "Main Support Line"),),
    )
    plan = sp.plan_of(action, unchanged=5, delta="1.50", managed=6, unmanaged=3, foreign=1)
    assert plan_to_dict(plan) == {
        "format_version": "1",
        "orbitctl_version": __version__,
        "stack": "prod",
        "summary": {"purchase": 0, "port": 0, "adopt": 0, "update": 1, "replace": 0, "release": 0,
                    "orphan": 0, "move": 0, "unchanged": 5, "waiting": 0},
        "monthly_cost_delta": "1.50",
        "currency": "USD",
        "drift": {"managed": 6, "unmanaged": 3, "foreign": 1, "total": 10, "changed": 1,
                  "managed_share": "0.6000"},
        "actions": [{"action": "update", "name": "support-main", "id": "num_abc123",
                     "number": "+14155550100",
                     "changes": {"label": {"before": "Support", "after": "Main Support Line"}}}],
    }


def test_purchase_carries_selection_cost_reason_and_its_configuration():
    (document,) = plan_to_dict(sp.plan_of(sp.purchase()))["actions"]
    assert document["id"] is None and document["number"] is None
    assert document["selection"] == {"country": "US", "type": "local", "area_code": "415",
                                     "max_monthly_cost": "2.00", "capabilities": ["sms", "voice"]}
    assert document["monthly_cost"] == "1.50"
    assert document["reason"] == "new entry"
    assert document["changes"]["label"] == {"before": None, "after": "Main Support Line"}


def test_replace_and_move_carry_their_extras():
    replace, move = plan_to_dict(sp.plan_of(sp.replace(), sp.move()))["actions"]
    assert (replace["monthly_cost"], replace["previous_monthly_cost"]) == ("1.25", "1.00")
    assert replace["reason"].startswith("area_code")
    assert move["previous_name"] == "support-old"


def test_secrets_are_masked_and_flagged():
    document = render_plan_json(sp.plan_of(sp.update()))
    for secret in ("old-secret", "new-secret", "k-old", "k-new"):
        assert secret not in document
    changes = json.loads(document)["actions"][0]["changes"]
    assert changes["webhook_url"] == {
        "before": "https://hooks.example.com/in?(sensitive)",
        "after": "https://hooks.example.com/in?(sensitive)",
        "sensitive": True,
    }
    assert changes["channel_config"]["after"]["sms"] == {"rate": 20, "api_key": "(sensitive)"}
    assert "sensitive" not in changes["label"]


@pytest.mark.parametrize(
    ("counts", "share"),
    [((3, 1, 0), "0.7500"), ((1, 1, 1), "0.3333"), ((2, 1, 0), "0.6667"), ((0, 4, 0), "0.0000"),
     ((5, 0, 0), "1.0000"), ((0, 0, 0), None)],
)
def test_drift_share_of_the_account_under_management(validator, counts, share):
    managed, unmanaged, foreign = counts
    plan = sp.plan_of(sp.purchase(), sp.release(), managed=managed, unmanaged=unmanaged, foreign=foreign)
    drift = plan_to_dict(plan)["drift"]
    assert drift["managed_share"] == share
    assert drift["total"] == sum(counts)
    assert drift["changed"] == 1  # the release touches a live number; the purchase does not
    validator.validate(plan_to_dict(plan))


def test_negative_cost_delta_is_a_signed_decimal_string(validator):
    document = plan_to_dict(sp.plan_of(sp.release(), delta="-0.75"))
    assert document["monthly_cost_delta"] == "-0.75"
    validator.validate(document)


def _valid_document() -> dict:
    return plan_to_dict(sp.every_kind_plan())


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d.pop("drift"),
        lambda d: d["summary"].pop("orphan"),
        lambda d: d.update(extra=1),
        lambda d: d.update(monthly_cost_delta=1.5),
        lambda d: d.update(format_version="2"),
        lambda d: d["actions"][0].update(action="buy"),
        lambda d: d["actions"][0].pop("selection"),
        lambda d: d["actions"][3].update(id=None),
        lambda d: d["actions"][3]["changes"]["label"].update(old="x"),
        lambda d: d["actions"][5].pop("reason"),
        lambda d: d["actions"][7].pop("previous_name"),
        lambda d: d["summary"].pop("port"),
        lambda d: d["actions"][1].pop("port_in"),
        lambda d: d["actions"][1].update(id="num_x"),
        lambda d: d["actions"][1].update(number=None),
        lambda d: d["actions"][1]["port_in"].update(pin="4321"),
        lambda d: d.update(waiting=[{"name": "a", "number": "+14155551234", "status": "pending"}]),
        lambda d: d["drift"].update(managed_share="75%"),
        lambda d: d["summary"].update(update=-1),
    ],
)
def test_the_schema_rejects_what_the_renderer_never_prints(validator, spoil):
    document = _valid_document()
    validator.validate(document)
    spoiled = copy.deepcopy(document)
    spoil(spoiled)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(spoiled)


def test_money_is_never_a_float():
    plan = sp.plan_of(sp.purchase(monthly_cost=Decimal("0.1")), delta="0.1")
    document = plan_to_dict(plan)
    assert document["monthly_cost_delta"] == "0.10"
    assert document["actions"][0]["monthly_cost"] == "0.10"


# --- a plan from the real planner, every kind at once -------------------------------------------


def _planned_every_kind():
    """A Plan made by orbitctl.plan.planner from plain Desired and Live objects, holding each kind."""
    from orbitctl.frozen import freeze
    from orbitctl.model import Desired, DesiredEntry, Live, LiveNumber, Owner, PortIn, Selection
    from orbitctl.plan.planner import plan

    def entry(name, **selection):
        label = f"{name} line"
        return DesiredEntry(name=name, selection=Selection(country="US", **selection),
                            config=freeze({"label": label, "channel_config": {"api_token": "t-new"}}))

    def number(id, e164, owner, label):
        return LiveNumber(id=id, number=e164, country="US", type="local", status="active",
                          monthly_cost=Decimal("1.00"), currency="USD", created_at="2026-01-01T00:00:00Z",
                          config=freeze({"label": label, "channel_config": {"api_token": "t-old"}}),
                          owner=None if owner is None else Owner("prod", owner))

    ported = dataclasses.replace(
        entry("ported", number="+14155551234"), port_in=PortIn("Acme Telecom", "Jo Doe", pin_env="CARRIER_PIN")
    )
    entries = [entry("new-one"), entry("pinned", number="+14155550100"), entry("kept"),
               entry("ny", area_code="646"), entry("renamed"), ported]
    desired = Desired(stack="prod", entries={e.name: e for e in entries}, moved={"old-name": "renamed"},
                      removed={"let-go": "orphan"}, fingerprint="f" * 64)
    live = Live(numbers=(
        number("num_pin", "+14155550100", None, "legacy"),
        number("num_kept", "+14155550101", "kept", "old label"),
        number("num_ny", "+12125550102", "ny", "ny line"),
        number("num_old", "+14155550103", "old-name", "renamed line"),
        number("num_let", "+14155550104", "let-go", "x"),
        number("num_gone", "+14155550105", "gone", "y"),
        number("num_other", "+14155550106", None, "unmanaged"),
    ))
    return plan(desired, live)


def test_a_real_plan_of_every_kind_renders_valid_and_masked(validator, tmp_path):
    from orbitctl.planfile import load_plan, save_plan
    from orbitctl.render.markdown import render_plan_markdown
    from orbitctl.render.text import render_plan

    plan = _planned_every_kind()
    assert {action.kind for action in plan.actions} == set(ActionKind)
    document = json.loads(render_plan_json(plan))
    validator.validate(document)
    for rendering in (json.dumps(document), render_plan(plan, color=False), render_plan_markdown(plan)):
        assert "t-new" not in rendering and "t-old" not in rendering
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json") == plan
