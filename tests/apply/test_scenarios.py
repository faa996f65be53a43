"""Adversarial scenarios for plan and apply, end to end against a served sandbox where the account
matters: each test judges by the sandbox's own state and audit log. One test per bug found in
review; each failed before its fix."""

from __future__ import annotations

from datetime import UTC, datetime

from orbitctl.model import ownership_tag
from tests.helpers import STACK, account, owned, plan_is_empty, purchases, run, write_manifest
from tests.seed import seed_numbers


def _frozen_clock():
    moment = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
    return lambda: moment


def test_a_pool_shrinking_releases_the_numbers_bought_last_even_within_one_second(checkout, sandbox_server, orbit_env):
    # every number bought in the same second: created_at ties, the ids are random
    server = sandbox_server(clock=_frozen_clock())
    bought = seed_numbers(server.url, 4, tags=[ownership_tag(STACK, "pool")])
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  pool:\n    country: US\n    count: 2\n")

    result = run("apply", str(manifest), "--auto-approve", "--allow-release")

    assert result.exit_code == 0, result.output + result.stderr
    assert {fields["id"] for fields in owned(server, "pool")} == {record.id for record in bought[:2]}


def test_an_entry_leaving_out_fax_never_buys_a_number_whose_fax_is_fixed(checkout, sandbox_server, orbit_env):
    # German local numbers come with fax, which cannot be turned off: buying one for an entry
    # that says [voice] would leave a billed number that can never be configured
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(
        checkout / "m.yaml", "  de:\n    country: DE\n    capabilities: [voice]\n    compliance_profile_id: cp_de_x\n"
    )

    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 1
    assert "fixed at provisioning" in result.stderr and "add fax" in result.stderr
    assert "Traceback" not in result.stderr
    assert purchases(server) == []

    write_manifest(
        manifest, "  de:\n    country: DE\n    capabilities: [voice, fax]\n    compliance_profile_id: cp_de_x\n"
    )
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    assert len(owned(server, "de")) == 1 and plan_is_empty(manifest)


def test_applying_to_another_account_never_forgets_a_journaled_number(checkout, sandbox_server, orbit_env):
    # an earlier apply bought a number on this account but could not configure it: journaled.
    # An apply in the same checkout against another account (here the embedded sandbox) does
    # not see that number, and must not conclude that it is gone
    from orbitctl.apply.journal import Journal

    server = sandbox_server()
    [bought] = seed_numbers(server.url, 1)
    Journal(checkout / ".orbitctl" / "journal.json").record(
        id=bought.id, number=bought.number, name="a", stack=STACK, account=server.url
    )
    trial = write_manifest(checkout / "trial.yaml", "  t:\n    country: GB\n")
    assert run("--sandbox", "apply", str(trial), "--auto-approve").exit_code == 0

    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n    label: A\n")
    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 0, result.output + result.stderr
    assert "1 adopted" in result.output and len(purchases(server)) == 1  # the seeding's
    assert [fields["id"] for fields in owned(server, "a")] == [bought.id]


def test_a_number_taken_over_while_apply_waits_for_yes_is_not_released(
    checkout, sandbox_server, orbit_env, monkeypatch
):
    import click

    from orbitctl.account.client import OrbitClient
    from tests.conftest import TEST_API_KEY

    server = sandbox_server()
    [leaving] = seed_numbers(server.url, 1, tags=[ownership_tag(STACK, "leaving")])
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  kept:\n    country: US\n")
    monkeypatch.setattr("orbitctl.cli.apply.stdin_is_terminal", lambda: True)

    def another_team_takes_it_then_yes(*args, **kwargs):
        with OrbitClient(TEST_API_KEY, server.url) as client:
            client.configure(leaving.id, tags=[ownership_tag("staging", "main")])
        return "yes"

    monkeypatch.setattr(click, "prompt", another_team_takes_it_then_yes)
    result = run("apply", str(manifest), "--allow-release")

    assert result.exit_code == 1
    assert "changed on the account" in result.output
    assert leaving.id in account(server)
    assert account(server)[leaving.id]["tags"] == [ownership_tag("staging", "main")]


def test_ctrl_c_during_apply_says_what_is_safe_and_what_is_left(checkout, sandbox_server, orbit_env, monkeypatch):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("orbitctl.apply.executor.execute", interrupted)
    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "interrupted after 0 of 1 actions" in result.stderr
    assert "journal.json" in result.stderr and "run plan" in result.stderr


def test_a_saved_plan_releasing_the_surplus_of_a_moved_entry_applies(checkout, sandbox_server, orbit_env):
    server = sandbox_server(clock=_frozen_clock())
    [kept] = seed_numbers(server.url, 1, tags=[ownership_tag(STACK, "main")])
    [surplus] = seed_numbers(server.url, 1, tags=[ownership_tag(STACK, "old-main")])
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  main:\n    country: US\n", extra="moved:\n  old-main: main\n")
    assert run("plan", str(manifest), "--out", "p.json").exit_code == 0

    result = run("apply", "p.json", "--auto-approve", "--allow-release")

    assert result.exit_code == 0, result.output + result.stderr
    assert list(account(server)) == [kept.id] and surplus.id not in account(server)
    assert plan_is_empty(manifest)
