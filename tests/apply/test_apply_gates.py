"""The safety gates end to end: each refusal leaves the sandbox account exactly as it was."""

from __future__ import annotations

from orbitctl.account.client import OrbitClient
from tests.conftest import TEST_API_KEY
from tests.helpers import account, audit, changing_requests, owned, run, write_manifest

POOL = "  pool:\n    country: US\n    count: {count}\n    label: Pool\n{extra}"


def test_a_release_is_refused_without_allow_release(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n  b:\n    country: US\n")
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    before, mark = account(server), len(audit(server))

    write_manifest(manifest, "  a:\n    country: US\n")
    refused = run("apply", str(manifest), "--auto-approve")

    assert refused.exit_code == 1
    assert "--allow-release" in refused.stderr
    assert changing_requests(server, mark) == [] and account(server) == before

    allowed = run("apply", str(manifest), "--auto-approve", "--allow-release")
    assert allowed.exit_code == 0, allowed.output + allowed.stderr
    assert owned(server, "b") == [] and len(account(server)) == 1
    assert [entry["method"] for entry in changing_requests(server, mark)] == ["DELETE"]


def test_releasing_more_than_the_percentage_needs_force(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", POOL.format(count=8, extra=""))
    assert run("apply", str(manifest), "--auto-approve", "--parallelism", "8").exit_code == 0
    mark = len(audit(server))

    write_manifest(manifest, POOL.format(count=5, extra=""))  # 3 of 8: 37.5%
    refused = run("apply", str(manifest), "--auto-approve", "--allow-release")
    assert refused.exit_code == 1
    assert "--max-release-percent" in refused.stderr
    assert changing_requests(server, mark) == []

    raised = run("apply", str(manifest), "--auto-approve", "--allow-release", "--max-release-percent", "40")
    assert raised.exit_code == 0, raised.output + raised.stderr
    assert len(owned(server, "pool")) == 5


def test_force_passes_the_percentage(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", POOL.format(count=8, extra=""))
    assert run("apply", str(manifest), "--auto-approve", "--parallelism", "8").exit_code == 0
    write_manifest(manifest, POOL.format(count=2, extra=""))
    result = run("apply", str(manifest), "--auto-approve", "--allow-release", "--force")
    assert result.exit_code == 0, result.output + result.stderr
    assert len(owned(server, "pool")) == 2


def test_prevent_release_refuses_and_changes_nothing(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    guarded = "    lifecycle: {prevent_release: true}\n"
    manifest = write_manifest(checkout / "m.yaml", POOL.format(count=3, extra=guarded))
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    mark = len(audit(server))

    write_manifest(manifest, POOL.format(count=2, extra=guarded))
    result = run("apply", str(manifest), "--auto-approve", "--allow-release")

    assert result.exit_code == 1
    assert "prevent_release" in result.stderr
    assert changing_requests(server, mark) == [] and len(owned(server, "pool")) == 3


def test_a_saved_plan_made_before_prevent_release_is_refused(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", POOL.format(count=3, extra=""))
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    write_manifest(manifest, POOL.format(count=2, extra=""))
    assert run("plan", str(manifest), "--out", "plan.json").exit_code == 0
    mark = len(audit(server))

    write_manifest(manifest, POOL.format(count=2, extra="    lifecycle: {prevent_release: true}\n"))
    result = run("apply", "plan.json", "--auto-approve", "--allow-release")

    assert result.exit_code == 1
    assert "prevent_release" in result.stderr or "stale" in result.stderr
    assert changing_requests(server, mark) == [] and len(owned(server, "pool")) == 3


def test_a_saved_plan_applies_exactly_and_converges(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n    label: A\n")
    assert run("plan", str(manifest), "--out", "plan.json").exit_code == 0
    result = run("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 0, result.output + result.stderr
    assert [fields["label"] for fields in owned(server, "a")] == ["A"]
    again = run("apply", "plan.json", "--auto-approve")  # the purchases were made: stale now
    assert again.exit_code == 1 and "stale" in again.stderr
    assert len(account(server)) == 1


def test_a_saved_plan_is_refused_when_a_number_it_touches_changed(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n    label: A\n")
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    write_manifest(manifest, "  a:\n    country: US\n    label: B\n")
    assert run("plan", str(manifest), "--out", "plan.json").exit_code == 0
    [number] = owned(server, "a")
    with OrbitClient(TEST_API_KEY, server.url) as client:  # someone edits it in the console
        client.configure(number["id"], forwarding_number="+14155550111")
    mark, before = len(audit(server)), account(server)

    result = run("apply", "plan.json", "--auto-approve")

    assert result.exit_code == 1
    assert "stale" in result.stderr and "Nothing was changed" in result.stderr
    assert changing_requests(server, mark) == [] and account(server) == before


def test_a_saved_plan_is_refused_when_the_manifest_changed(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n    label: A\n")
    assert run("plan", str(manifest), "--out", "plan.json").exit_code == 0
    write_manifest(manifest, "  a:\n    country: US\n    label: Changed\n")
    result = run("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1 and "the manifest changed" in result.stderr
    assert changing_requests(server) == []


def test_a_saved_plan_never_releases_a_number_retagged_to_another_stack(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n  b:\n    country: US\n")
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    write_manifest(manifest, "  a:\n    country: US\n")
    assert run("plan", str(manifest), "--out", "plan.json").exit_code == 0
    [b] = owned(server, "b")
    with OrbitClient(TEST_API_KEY, server.url) as client:  # another team takes the number over
        client.configure(b["id"], tags=["orbitctl__staging__b"])
    mark = len(audit(server))

    result = run("apply", "plan.json", "--auto-approve", "--allow-release")

    assert result.exit_code == 1
    assert "belongs to 'staging'/'b'" in result.stderr
    assert changing_requests(server, mark) == [] and b["id"] in account(server)


def test_a_saved_plan_and_manifests_together_are_refused(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n")
    assert run("plan", str(manifest), "--out", "plan.json").exit_code == 0
    result = run("apply", "plan.json", str(manifest), "--auto-approve")
    assert result.exit_code == 1 and "either one saved plan or manifests" in result.stderr
    assert changing_requests(server) == []
