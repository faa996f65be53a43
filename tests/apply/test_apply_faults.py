"""Apply under faults, judged by the sandbox's audit log: no purchase is ever made twice."""

from __future__ import annotations

import json

import pytest

from orbitctl.account.retry import RetryPolicy
from tests.helpers import account, owned, plan_is_empty, purchases, run, write_manifest

WANTED = "  a:\n    country: US\n    label: A\n  pool:\n    country: US\n    count: 5\n    label: Pool\n"


@pytest.mark.parametrize("seed", [3, 5])
def test_apply_converges_within_three_runs_under_errors_and_a_rate_limit(checkout, sandbox_server, orbit_env, seed):
    # 15 requests/s: the bursts of planning and buying run into 429s with Retry-After
    server = sandbox_server(error_rate=0.2, rate_limit=15, seed=seed)
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", WANTED)

    exits = []
    for _ in range(3):
        result = run("apply", str(manifest), "--auto-approve", "--parallelism", "4")
        exits.append(result.exit_code)
        if result.exit_code == 0:
            break

    assert exits[-1] == 0, exits
    assert len(purchases(server)) == 6
    assert len(account(server)) == 6
    assert len(owned(server, "a")) == 1 and len(owned(server, "pool")) == 5


def test_a_lost_purchase_response_buys_exactly_one_number(checkout, sandbox_server, orbit_env):
    server = sandbox_server(lose_purchase_responses=1)
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n    label: A\n")

    result = run("apply", str(manifest), "--auto-approve")

    assert result.exit_code == 0, result.output + result.stderr
    assert len(account(server)) == 1
    [number] = owned(server, "a")
    assert number["label"] == "A"
    assert plan_is_empty(manifest)


def test_a_number_that_cannot_be_configured_is_journaled_and_adopted_next_time(
    checkout, sandbox_server, orbit_env, monkeypatch
):
    # every PUT's retries are spent at once (their backoff is test_client_retry's business)
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, retry, retry_after=None, uniform=None: 0.0)
    broken = sandbox_server(fail_configure=1000)
    orbit_env(broken.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n    label: A\n")

    first = run("apply", str(manifest), "--auto-approve")

    assert first.exit_code == 1
    [bought] = account(broken).values()
    assert bought["number"] in first.stderr and "journal" in first.stderr
    journal = json.loads((checkout / ".orbitctl" / "journal.json").read_text())
    assert [(e["id"], e["name"]) for e in journal["entries"]] == [(bought["id"], "a")]

    healed = sandbox_server(state_path=broken.state_path)  # same account, PUTs work again
    orbit_env(healed.url)
    second = run("apply", str(manifest), "--auto-approve")

    assert second.exit_code == 0, second.output + second.stderr
    assert "1 adopted" in second.output
    [number] = owned(healed, "a")
    assert number["id"] == bought["id"] and number["label"] == "A"
    assert len(account(healed)) == 1
    assert len(purchases(healed)) == 1
    assert json.loads((checkout / ".orbitctl" / "journal.json").read_text())["entries"] == []
    assert plan_is_empty(manifest)
