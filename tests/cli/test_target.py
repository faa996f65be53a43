"""`plan`/`apply --target NAME` end to end against a served sandbox: only the targets' numbers are
touched (judged by the sandbox's audit log), with Terraform's warning that it is for
exceptional cases."""

from __future__ import annotations

import json

import pytest

from orbitctl.model import ownership_tag
from tests.helpers import STACK, changing_requests, owned, purchases, run, write_manifest
from tests.seed import seed_numbers

BEFORE = """\
  a:
    country: US
    label: A
  b:
    country: US
    label: B
  pool:
    country: US
    count: 1
    label: P
  gone:
    country: US
    label: G
"""

#: Everything changes: a and b relabelled, the pool grows by two, gone leaves the manifest.
AFTER = """\
  a:
    country: US
    label: A2
  b:
    country: US
    label: B2
  pool:
    country: US
    count: 3
    label: P
"""


@pytest.fixture
def changed(checkout, sandbox_server, orbit_env, monkeypatch):
    """A converged account whose manifest then changed everywhere; the audit position after it."""
    monkeypatch.setenv("NO_COLOR", "1")
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "numbers.yaml", BEFORE)
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    write_manifest(manifest, AFTER)
    server.manifest = manifest
    server.ids = {name: [n["id"] for n in owned(server, name)] for name in ("a", "b", "pool", "gone")}
    server.mark = len(changing_requests(server))
    return server


def touched(server) -> set[str]:
    return {entry["number_id"] for entry in changing_requests(server, server.mark)}


def test_apply_target_changes_only_the_targeted_entrys_number(changed):
    result = run("apply", str(changed.manifest), "--target", "a", "--auto-approve", "--allow-release")
    assert result.exit_code == 0, result.stderr
    [put] = changing_requests(changed, changed.mark)
    assert (put["method"], put["number_id"]) == ("PUT", changed.ids["a"][0])
    assert owned(changed, "a")[0]["label"] == "A2"
    assert owned(changed, "b")[0]["label"] == "B"  # untouched
    assert len(owned(changed, "gone")) == 1  # not released
    assert "Warning: Targeting is in effect: this plan covers only --target a" in result.stderr
    assert "--target is not for routine use" in result.stderr
    assert "Warning: the changes applied may be incomplete" in result.stderr
    # what is left is planned by a plan without --target
    rest = run("plan", str(changed.manifest), "--output", "json")
    left = {(a["action"], a["name"]) for a in json.loads(rest.stdout)["actions"]}
    assert left == {("update", "b"), ("purchase", "pool"), ("release", "gone")}


def test_a_targeted_pool_buys_its_members_and_nothing_else(changed):
    result = run("apply", str(changed.manifest), "--target", "pool", "--auto-approve")
    assert result.exit_code == 0, result.stderr
    assert len(owned(changed, "pool")) == 3
    bought = [e for e in changing_requests(changed, changed.mark) if e["path"].endswith("/purchase")]
    assert len(bought) == 2
    others = {i for name in ("a", "b", "gone") for i in changed.ids[name]}
    assert not touched(changed) & others


def test_a_name_that_left_the_manifest_is_released_only_when_targeted(changed):
    result = run("apply", str(changed.manifest), "--target", "gone", "--target", "b", "--auto-approve",
                 "--allow-release")
    assert result.exit_code == 0, result.stderr
    assert owned(changed, "gone") == []
    assert touched(changed) == {changed.ids["gone"][0], changed.ids["b"][0]}
    assert owned(changed, "a")[0]["label"] == "A"


def test_plan_target_says_so_in_every_output(changed):
    text = run("plan", str(changed.manifest), "--target", "b")
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith("Targeting is in effect: this plan covers only --target b, so it may not")
    assert "Plan: 0 to purchase, 1 to update, 0 to release" in text.stdout
    assert "Warning: Targeting is in effect" in text.stderr
    as_json = json.loads(run("plan", str(changed.manifest), "--target", "b", "-o", "json").stdout)
    assert as_json["targets"] == ["b"] and [a["name"] for a in as_json["actions"]] == ["b"]
    markdown = run("plan", str(changed.manifest), "--target", "b", "-o", "markdown").stdout
    assert "> [!WARNING]\n> Targeting is in effect" in markdown
    assert "not for routine use" in markdown
    assert "targets" not in json.loads(run("plan", str(changed.manifest), "-o", "json").stdout)
    assert touched(changed) == set()


def test_an_unknown_target_is_an_error_with_a_suggestion_and_changes_nothing(changed):
    result = run("apply", str(changed.manifest), "--target", "pol", "--auto-approve")
    assert result.exit_code == 1
    assert "--target 'pol': no entry of that name in the manifests of stack 'prod'" in result.stderr
    assert "(did you mean 'pool'?)" in result.stderr
    assert touched(changed) == set()


def test_a_saved_targeted_plan_keeps_its_targets(changed, checkout):
    saved = checkout / "plan.json"
    made = run("plan", str(changed.manifest), "--target", "a", "--out", str(saved))
    assert made.exit_code == 0, made.stderr
    assert "Targeting is in effect" in run("show", str(saved)).stdout
    refused = run("apply", str(saved), "--target", "b", "--auto-approve")
    assert refused.exit_code == 1 and "--target cannot be given with the saved plan" in refused.stderr
    applied = run("apply", str(saved), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert touched(changed) == {changed.ids["a"][0]}
    assert "Warning: Targeting is in effect" in applied.stderr


def test_a_moved_entry_is_targeted_by_its_new_name(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  old:\n    country: US\n  x:\n    country: US\n")
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    bought = len(purchases(server))
    write_manifest(manifest, "  new:\n    country: US\n  x:\n    country: US\n    label: X\n",
                   extra="moved:\n  old: new\n")
    mark = len(changing_requests(server))
    result = run("apply", str(manifest), "--target", "new", "--auto-approve")
    assert result.exit_code == 0, result.stderr
    [retag] = changing_requests(server, mark)
    assert ownership_tag(STACK, "new") in retag["body"]["tags"]
    assert len(purchases(server)) == bought
    assert owned(server, "x")[0].get("label") != "X"


def test_an_entry_that_cannot_be_bought_does_not_stop_a_plan_targeting_another(checkout, sandbox_server, orbit_env):
    """Availability and price are checked for the targeted purchases only; a problem of the
    manifest against the account (a conflicting pin, prevent_release) still stops any plan."""
    server = sandbox_server()
    orbit_env(server.url)
    [theirs] = seed_numbers(server.url, 1, tags=[ownership_tag("ci", "x")])
    manifest = write_manifest(
        checkout / "m.yaml", "  a:\n    country: US\n  dear:\n    country: US\n    max_monthly_cost: '0.01'\n"
    )
    whole = run("plan", str(manifest))
    assert whole.exit_code == 1 and "max_monthly_cost" in whole.stderr
    targeted = run("plan", str(manifest), "--target", "a")
    assert targeted.exit_code == 0, targeted.stderr
    assert "Plan: 1 to purchase, 0 to update, 0 to release" in targeted.stdout
    write_manifest(manifest, f"  a:\n    country: US\n  b:\n    number: '{theirs.number}'\n")
    conflicting = run("plan", str(manifest), "--target", "a")
    assert conflicting.exit_code == 1 and "which belongs to stack 'ci'" in conflicting.stderr
