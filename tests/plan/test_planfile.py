"""Saved plans (orbitctl/planfile.py): round trip, atomic write, and every way a file can be bad."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings

from orbitctl import planfile
from orbitctl.errors import OrbitctlError
from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Availability, Plan, Selection
from orbitctl.planfile import load_plan, plan_to_document, save_plan
from tests import sample_plans as sp


def _edit(path, change) -> None:
    """Change the saved document with ``change(document)`` and re-sign it, so that only the
    structural check can catch the problem."""
    document = json.loads(path.read_text())
    document.pop("checksum")
    change(document)
    document["checksum"] = planfile._checksum(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("kind", list(ActionKind))
def test_every_kind_round_trips(tmp_path, kind):
    plan = sp.plan_of(sp.ALL_KINDS[kind](), unchanged=2, delta="1.50")
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json") == plan


def test_round_trip_restores_types(tmp_path):
    plan = sp.every_kind_plan()
    save_plan(plan, tmp_path / "plan.json")
    loaded = load_plan(tmp_path / "plan.json")
    assert loaded == plan
    purchase, port, _, update, replace, *_ = loaded.actions
    assert isinstance(loaded.monthly_cost_delta, Decimal) and str(loaded.monthly_cost_delta) == "1.50"
    assert all(isinstance(action.kind, ActionKind) for action in loaded.actions)
    assert isinstance(purchase.selection, Selection)
    assert purchase.selection.max_monthly_cost == Decimal("2.00")
    assert purchase.selection.capabilities == ("sms", "voice")
    assert isinstance(purchase.config, MappingProxyType)
    assert purchase.config["tags"] == ("support", "us-west")
    assert isinstance(update.changes[3].after, MappingProxyType)
    assert replace.previous_monthly_cost == Decimal("1.00")
    assert port.port_in == sp.PORT_IN
    assert isinstance(loaded.manifest_paths, tuple)


def test_a_plan_saved_before_inventory_notes_loads_with_none(tmp_path):
    path = tmp_path / "plan.json"
    save_plan(sp.every_kind_plan(), path)
    _edit(path, lambda document: document.pop("availability"))
    assert load_plan(path) == sp.every_kind_plan()


def test_inventory_notes_round_trip(tmp_path):
    note = Availability(Selection(country="US", capabilities=("sms",)), ("a", "b"), 2000, 600, 500)
    plan = sp.plan_of(*sp.pool(ActionKind.PURCHASE, 3), availability=(note,))
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json").availability == (note,)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=sp.plans)
def test_random_plans_round_trip(tmp_path, plan):
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json") == plan


def test_the_file_holds_every_field_of_plan_and_action():
    document = plan_to_document(sp.every_kind_plan())
    # every field but the searches it was priced from (apply's first rows while fresh; a plan
    # read back is priced again)
    plan_fields = {field.name for field in dataclasses.fields(Plan)} - {"surveys"}
    assert plan_fields <= set(document), "a Plan field is not saved"
    action_fields = {field.name for field in dataclasses.fields(Action)}
    for action in document["actions"]:
        assert set(action) == action_fields, "an Action field is not saved"
    selection_fields = {field.name for field in dataclasses.fields(Selection)}
    assert set(document["actions"][0]["selection"]) == selection_fields


def test_the_file_is_verbatim_and_never_holds_the_api_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ORBIT_API_KEY", "dv_test_sk_must_not_leak_123")
    save_plan(sp.every_kind_plan(), tmp_path / "plan.json")
    text = (tmp_path / "plan.json").read_text()
    assert "dv_test_sk_must_not_leak_123" not in text
    assert "ORBIT_API_KEY" not in text
    assert "new-secret" in text  # apply needs the configuration as it is, unmasked


def test_save_is_atomic_private_and_replaces_an_older_plan(tmp_path):
    target = tmp_path / "plan.json"
    target.write_text("old")
    save_plan(sp.plan_of(sp.update()), target)
    assert load_plan(target) == sp.plan_of(sp.update())
    assert os.listdir(tmp_path) == ["plan.json"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "plan.json"
    target.write_text("old")

    def refuse(source, destination):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(planfile.os, "replace", refuse)
    with pytest.raises(OrbitctlError, match=r"cannot write the plan file .*plan\.json: Permission denied"):
        save_plan(sp.plan_of(sp.update()), target)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["plan.json"]


def test_save_into_a_missing_directory_makes_it(tmp_path):
    save_plan(sp.plan_of(), tmp_path / "new" / "plan.json")
    assert load_plan(tmp_path / "new" / "plan.json") == sp.plan_of()


def test_save_below_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(OrbitctlError, match=r"cannot write the plan file .*taken/plan\.json: .*taken is not a folder"):
        save_plan(sp.plan_of(), tmp_path / "taken" / "plan.json")


def test_save_into_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_plan(sp.plan_of(sp.release()), "plan.json")
    assert load_plan("plan.json") == sp.plan_of(sp.release())


# --- load errors: each names the file and what is wrong -----------------------------------------


def _saved(tmp_path):
    path = tmp_path / "plan.json"
    save_plan(sp.every_kind_plan(), path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(OrbitctlError, match=r"plan file .*absent\.json does not exist; make a new plan"):
        load_plan(tmp_path / "absent.json")


def test_directory(tmp_path):
    with pytest.raises(OrbitctlError, match=r"is a directory"):
        load_plan(tmp_path)


def test_binary_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(OrbitctlError, match=r"plan\.json is not a saved orbitctl plan \(not UTF-8 text\)"):
        load_plan(path)


def test_invalid_json(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{"kind": "orbitctl-plan",\n  oops}')
    with pytest.raises(OrbitctlError, match=r"plan\.json is not valid JSON \(line 2, column 3"):
        load_plan(path)


def test_deeply_nested_json(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(OrbitctlError, match=r"plan\.json is not a saved orbitctl plan"):
        load_plan(path)


@pytest.mark.parametrize("content", ['[1, 2]', '{"format_version": 1}', '"text"', '{"kind": "terraform-plan"}'])
def test_not_a_plan_file(tmp_path, content):
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(OrbitctlError, match=r"plan\.json is not a saved orbitctl plan"):
        load_plan(path)


def test_wrong_format_version(tmp_path):
    path = _saved(tmp_path)
    _edit(path, lambda document: document.update(format_version=2, orbitctl_version="9.0.0"))
    with pytest.raises(OrbitctlError, match=r"plan\.json has format version 2, saved by orbitctl 9\.0\.0; "
                                            r"this orbitctl \(.*\) reads version 1"):
        load_plan(path)


def test_a_boolean_format_version_is_not_version_1(tmp_path):
    path = _saved(tmp_path)
    _edit(path, lambda document: document.update(format_version=True))
    with pytest.raises(OrbitctlError, match=r"plan\.json has format version true"):
        load_plan(path)


def test_deeply_nested_values_are_refused_cleanly(tmp_path):
    path = _saved(tmp_path)
    nested = "[" * 5000 + "]" * 5000
    text = path.read_text().replace('"config": {}', '"config": {"x": ' + nested + "}", 1)
    path.write_text(text)
    with pytest.raises(OrbitctlError, match=r"plan\.json"):
        load_plan(path)


def test_edited_file_fails_its_checksum(tmp_path):
    path = _saved(tmp_path)
    path.write_text(path.read_text().replace("Main Support Line", "Main Support Line!"))
    with pytest.raises(OrbitctlError, match=r"plan\.json was changed after it was saved"):
        load_plan(path)


def test_removed_checksum_is_refused(tmp_path):
    path = _saved(tmp_path)
    document = json.loads(path.read_text())
    del document["checksum"]
    path.write_text(json.dumps(document))
    with pytest.raises(OrbitctlError, match=r"checksum does not match"):
        load_plan(path)


def _set_action(index, key, value):
    return lambda document: document["actions"][index].__setitem__(key, value)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_set_action(0, "kind", "buy"), r"actions\[0\]\.kind: 'buy' is not an action \(one of purchase, port, adopt"),
        (lambda d: d["actions"][1].pop("live_fingerprint"), r"actions\[1\]\.live_fingerprint: missing"),
        (_set_action(2, "changes", {"label": 1}), r"actions\[2\]\.changes: expected a list, found an object"),
        (lambda d: d["actions"][2]["changes"][0].pop("key"), r"actions\[2\]\.changes\[0\]\.key: missing"),
        (
            _set_action(3, "monthly_cost", "lots"),
            r"actions\[3\]\.monthly_cost: expected a decimal string, found 'lots'",
        ),
        (
            _set_action(3, "monthly_cost", 1.25),
            r"actions\[3\]\.monthly_cost: expected a decimal string, found a number",
        ),
        (_set_action(3, "monthly_cost", "NaN"), r"actions\[3\]\.monthly_cost: expected a finite decimal"),
        (_set_action(4, "id", 7), r"actions\[4\]\.id: expected a string or null, found a number"),
        (_set_action(4, "extra", 1), r"actions\[4\]\.extra: unknown key"),
        (lambda d: d["actions"][0]["selection"].pop("country"), r"actions\[0\]\.selection\.country: missing"),
        (
            lambda d: d["actions"][0]["selection"].update(capabilities=["sms", 3]),
            r"actions\[0\]\.selection\.capabilities\[1\]: expected a string, found a number",
        ),
        (_set_action(0, "selection", "US"), r"actions\[0\]\.selection: expected an object or null, found a string"),
        (_set_action(0, "config", None), r"actions\[0\]\.config: expected an object, found null"),
        (lambda d: d["actions"].append(3), r"actions\[8\]: expected an object, found a number"),
        (
            lambda d: d["actions"][1]["port_in"].pop("current_carrier"),
            r"actions\[1\]\.port_in\.current_carrier: missing",
        ),
        (_set_action(1, "port_in", "Acme"), r"actions\[1\]\.port_in: expected an object or null, found a string"),
        (lambda d: d["actions"][1]["port_in"].update(pin="4321"), r"actions\[1\]\.port_in\.pin: unknown key"),
        (lambda d: d.update(waiting=[{"number": "+14155551234"}]), r"waiting\[0\]\.port_id: missing"),
        (lambda d: d.update(unchanged=-1), r"unchanged: expected a count \(0 or more\), found -1"),
        (lambda d: d.update(managed=True), r"managed: expected a whole number, found a boolean"),
        (lambda d: d.update(stack=""), r"stack: expected a non-empty string"),
        (lambda d: d.pop("actions"), r"actions: missing"),
        (lambda d: d.update(manifest_paths="a.yaml"), r"manifest_paths: expected a list, found a string"),
        (lambda d: d.update(api_key="x"), r"api_key: unknown key"),
    ],
)
def test_invalid_structure_names_the_place(tmp_path, change, problem):
    path = _saved(tmp_path)
    _edit(path, change)
    with pytest.raises(OrbitctlError) as caught:
        load_plan(path)
    message = str(caught.value)
    assert message.startswith(f"plan file {path} is not a valid saved plan: ")
    assert message.endswith("make a new plan with 'orbitctl plan --out FILE'")
    assert re.search(problem, message), message


def test_configuration_values_are_opaque_json(tmp_path):
    # only the plan's own structure is checked; what a value holds is the manifest's business
    config = freeze({"channel_config": {"anything": [1, 2.5, {"b": None, "kind": "x"}], "é": "ü"}})
    plan = sp.plan_of(sp.purchase(config=config))
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json").actions[0].config == config


def test_a_file_saved_before_targets_existed_loads_as_a_plan_of_every_entry(tmp_path):
    import hashlib
    import json

    document = plan_to_document(sp.every_kind_plan())
    del document["targets"]
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    document["checksum"] = hashlib.sha256(canonical.encode()).hexdigest()
    (tmp_path / "old.json").write_text(json.dumps(document))
    assert load_plan(tmp_path / "old.json").targets == ()
