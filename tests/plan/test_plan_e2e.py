"""`orbitctl plan` end to end: the embedded sandbox and a served one, seeded by direct API calls."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from orbitctl.model import ownership_tag
from orbitctl.sandbox.store import read_state
from tests.helpers import run, write_manifest
from tests.seed import seed_numbers

ROOT = Path(__file__).resolve().parents[2]
PLAN_SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


def test_embedded_sandbox_plans_the_example_without_network(tmp_path, monkeypatch):
    # a copy: the sandbox's state goes to the checkout of the manifest, and this one is not in one
    example = tmp_path / "numbers.yaml"
    example.write_text((ROOT / "examples" / "numbers.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    result = run("--sandbox", "plan", str(example), "--detailed-exitcode")
    assert result.exit_code == 2, result.output + result.stderr
    assert "to purchase" in result.output
    assert (tmp_path / ".orbitctl" / "sandbox.json").exists()


def test_unmanaged_and_foreign_numbers_are_left_alone(tmp_path, sandbox_server, orbit_env):
    server = sandbox_server()
    unmanaged = seed_numbers(server.url, 2, label="Not ours", tags=["legacy"])
    foreign = seed_numbers(server.url, 1, label="Theirs", tags=[ownership_tag("staging", "main")])
    ours = seed_numbers(server.url, 1, label="Old label", tags=[ownership_tag("prod", "main")])
    manifest = write_manifest(
        tmp_path / "m.yaml", "  main:\n    country: US\n    label: New label\n"
    )
    orbit_env(server.url)
    result = run("plan", str(manifest), "--output", "json", "--detailed-exitcode")
    assert result.exit_code == 2, result.stderr
    document = json.loads(result.output)
    jsonschema.validate(document, PLAN_SCHEMA)
    touched = {action["id"] for action in document["actions"]}
    assert touched == {ours[0].id}
    (action,) = document["actions"]
    assert action["action"] == "update"
    assert action["changes"] == {"label": {"before": "Old label", "after": "New label"}}
    assert not touched & {record.id for record in unmanaged + foreign}


def test_plan_changes_nothing_on_the_account(tmp_path, sandbox_server, orbit_env):
    server = sandbox_server()
    seed_numbers(server.url, 1, label="Old", tags=[ownership_tag("prod", "gone")])
    before = read_state(server.state_path)
    manifest = write_manifest(tmp_path / "m.yaml", "  new:\n    country: US\n")
    orbit_env(server.url)
    result = run("plan", str(manifest))
    assert result.exit_code == 0, result.stderr
    assert "Plan: 1 to purchase, 0 to update, 1 to release" in result.output
    assert read_state(server.state_path)["audit"] == before["audit"]


def test_no_drift_exits_zero_with_detailed_exitcode(tmp_path, sandbox_server, orbit_env):
    server = sandbox_server()
    seed_numbers(server.url, 1, label="Same", tags=[ownership_tag("prod", "main")])
    manifest = write_manifest(tmp_path / "m.yaml", "  main:\n    country: US\n    label: Same\n")
    orbit_env(server.url)
    result = run("plan", str(manifest), "--detailed-exitcode")
    assert result.exit_code == 0, result.output + result.stderr


def test_plan_reads_every_page_of_an_account_of_450_numbers(tmp_path, sandbox_server, orbit_env):
    server = sandbox_server()
    seed_numbers(server.url, 450, label="member", tags=[ownership_tag("prod", "pool")])
    manifest = write_manifest(
        tmp_path / "m.yaml", "  pool:\n    country: US\n    count: 450\n    label: member\n"
    )
    orbit_env(server.url)
    result = run("plan", str(manifest), "--output", "json", "--detailed-exitcode")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.output)
    assert document["summary"]["unchanged"] == 450


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_bad_manifest_is_one_clear_error(tmp_path, output):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nstack: prod\nnumbers:\n  main:\n    type: fax\n")
    result = run("--sandbox", "plan", str(manifest), "--output", output)
    assert result.exit_code == 1
    assert "m.yaml:5" in result.stderr and "Traceback" not in result.stderr


def test_missing_api_key_is_a_clear_error(tmp_path):
    manifest = write_manifest(tmp_path / "m.yaml", "  main:\n    country: US\n")
    result = run("plan", str(manifest))
    assert result.exit_code == 1
    assert "ORBIT_API_KEY" in result.stderr
