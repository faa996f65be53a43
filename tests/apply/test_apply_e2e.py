"""`orbitctl apply` end to end against a served sandbox. Every test judges by the sandbox's own
state (its numbers and its audit log of state-changing requests), not by what orbitctl printed."""

from __future__ import annotations

import json

from orbitctl.model import ownership_tag
from tests.helpers import (
    STACK,
    account,
    audit,
    changing_requests,
    owned,
    plan_is_empty,
    purchases,
    run,
    write_manifest,
)
from tests.seed import seed_numbers

# --- converge ---------------------------------------------------------------------------------


def test_apply_converges_and_leaves_unmanaged_and_foreign_numbers_alone(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    unmanaged = seed_numbers(server.url, 2, label="Not ours", tags=["legacy"])
    foreign = seed_numbers(server.url, 1, label="Theirs", tags=[ownership_tag("staging", "main")])
    outsiders = {record.id for record in unmanaged + foreign}
    seeded = len(audit(server))
    manifest = write_manifest(
        checkout / "numbers.yaml",
        "  support:\n    country: US\n    label: Support\n    tags: [support]\n"
        "    forwarding_number: '+14155550111'\n"
        "  pool:\n    country: US\n    count: 2\n    capabilities: [sms]\n    label: Pool\n",
    )
    orbit_env(server.url)

    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 0, result.output + result.stderr
    assert "Apply complete: 3 purchased, 0 updated, 0 released" in result.output
    [support] = owned(server, "support")
    assert support["label"] == "Support" and support["forwarding_number"] == "+14155550111"
    assert sorted(support["tags"]) == sorted(["support", ownership_tag(STACK, "support")])
    assert len(owned(server, "pool")) == 2
    assert len(purchases(server)) == 3 + 3  # the seeding's, then ours
    assert not {entry.get("number_id") for entry in changing_requests(server, seeded)} & outsiders
    assert plan_is_empty(manifest)


def test_json_output_lists_each_outcome(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n  b:\n    country: US\n")
    orbit_env(server.url)
    result = run("apply", str(manifest), "--auto-approve", "--output", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["purchase"] == 2 and document["summary"]["failed"] == 0
    on_account = {fields["number"] for fields in account(server).values()}
    assert {outcome["number"] for outcome in document["outcomes"]} == on_account
    assert all(outcome["status"] == "ok" for outcome in document["outcomes"])


def test_no_changes_changes_nothing(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n")
    orbit_env(server.url)
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    before = len(audit(server))
    result = run("apply", str(manifest), "--auto-approve")
    assert result.exit_code == 0
    assert "No changes" in result.output
    assert changing_requests(server, before) == []


# --- confirmation -----------------------------------------------------------------------------


def test_unattended_apply_without_auto_approve_is_refused(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n")
    orbit_env(server.url)
    result = run("apply", str(manifest))
    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr
    assert changing_requests(server) == []


def test_on_a_terminal_only_yes_applies(checkout, sandbox_server, orbit_env, monkeypatch):
    monkeypatch.setattr("orbitctl.cli.apply.stdin_is_terminal", lambda: True)
    server = sandbox_server()
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n")
    orbit_env(server.url)
    refused = run("apply", str(manifest), input="y\n")
    assert refused.exit_code == 1 and "cancelled" in refused.stderr
    assert changing_requests(server) == []
    accepted = run("apply", str(manifest), input="yes\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert len(owned(server, "a")) == 1


# --- moved and removed ------------------------------------------------------------------------


def test_a_rename_with_moved_keeps_the_number(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  old-name:\n    country: US\n    label: Line\n")
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    [before] = owned(server, "old-name")
    mark = len(audit(server))

    write_manifest(manifest, "  new-name:\n    country: US\n    label: Line\n", extra="moved:\n  old-name: new-name\n")
    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 0, result.output + result.stderr
    [after] = owned(server, "new-name")
    assert after["id"] == before["id"] and after["number"] == before["number"]
    assert owned(server, "old-name") == []
    assert [entry["method"] for entry in changing_requests(server, mark)] == ["PUT"]
    assert plan_is_empty(manifest)


def test_an_orphaned_number_loses_only_its_ownership_tag(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(
        checkout / "m.yaml",
        "  keep:\n    country: US\n  fax:\n    country: US\n    label: Fax\n    tags: [office]\n"
        "    forwarding_number: '+14155550111'\n",
    )
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    [before] = owned(server, "fax")

    write_manifest(manifest, "  keep:\n    country: US\n", extra="removed:\n  fax: orphan\n")
    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 0, result.output + result.stderr
    after = account(server)[before["id"]]
    assert list(after["tags"]) == ["office"]
    ignore = {"tags", "updated_at"}
    assert {k: v for k, v in after.items() if k not in ignore} == {k: v for k, v in before.items() if k not in ignore}
    assert plan_is_empty(manifest)


# --- regulated and carrier-allocated countries ------------------------------------------------


def test_regulatory_hold_is_done_and_not_fought_and_placeholders_are_bought(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(
        checkout / "m.yaml",
        "  berlin:\n    country: DE\n    label: Berlin\n    status: active\n"
        "  munich:\n    country: DE\n    label: Munich\n    compliance_profile_id: cp_de_acme\n"
        "  delhi:\n    country: IN\n    label: Delhi\n",
    )

    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 0, result.output + result.stderr
    assert "1 in regulatory hold" in result.output
    [berlin], [munich], [delhi] = owned(server, "berlin"), owned(server, "munich"), owned(server, "delhi")
    assert berlin["status"] == "regulatory_hold" and berlin["label"] == "Berlin"
    assert munich["status"] == "active" and munich["compliance_profile_id"] == "cp_de_acme"
    assert delhi["label"] == "Delhi" and delhi["_inventory_id"]
    assert len(purchases(server)) == 3
    assert plan_is_empty(manifest)  # the hold is the API's: the next plan does not fight it


# --- replace and adopt ------------------------------------------------------------------------


def test_a_replace_buys_the_new_number_moves_the_configuration_then_releases_the_old(
    checkout, sandbox_server, orbit_env
):
    server = sandbox_server()
    orbit_env(server.url)
    entry = "  main:\n    country: US\n    area_code: '{area}'\n    label: Main\n    tags: [front]\n"
    manifest = write_manifest(checkout / "m.yaml", entry.format(area="415"))
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    [old] = owned(server, "main")
    mark = len(audit(server))

    write_manifest(manifest, entry.format(area="212"))
    result = run("apply", str(manifest), "--auto-approve", "--allow-release")

    assert result.exit_code == 0, result.output + result.stderr
    [new] = owned(server, "main")
    assert new["number"].startswith("+1212") and new["label"] == "Main"
    assert sorted(new["tags"]) == sorted(["front", ownership_tag(STACK, "main")])
    assert old["id"] not in account(server)
    assert [entry["method"] for entry in changing_requests(server, mark)] == ["POST", "PUT", "DELETE"]
    assert plan_is_empty(manifest)


def test_a_pinned_unmanaged_number_is_adopted_keeping_its_user_tags(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    [legacy] = seed_numbers(server.url, 1, label="Old", tags=["billing"])
    orbit_env(server.url)
    manifest = write_manifest(
        checkout / "m.yaml", f"  legacy:\n    number: '{legacy.number}'\n    country: US\n    label: Legacy\n"
    )
    mark = len(audit(server))

    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 0, result.output + result.stderr
    adopted = account(server)[legacy.id]
    assert adopted["label"] == "Legacy"
    assert sorted(adopted["tags"]) == sorted(["billing", ownership_tag(STACK, "legacy")])
    assert [(entry["method"], entry["number_id"]) for entry in changing_requests(server, mark)] == [("PUT", legacy.id)]
    assert plan_is_empty(manifest)
