"""Pools larger than one inventory search, end to end against a served sandbox whose searches show
at most a few rows (its ``search_limit`` knob, with orbitctl told the same cap), judged by the
sandbox's own state."""

from __future__ import annotations

import pytest

from orbitctl.apply.journal import Journal
from tests.helpers import account, owned, plan_is_empty, purchases, run, write_manifest

CAP = 5

#: In the sandbox's inventory (seed 0), 17 US local numbers contain 606, in 12 area codes.
SCARCE = "606"
SCARCE_COUNT = 17


@pytest.fixture
def capped(sandbox_server, orbit_env, search_cap):
    """A served sandbox whose searches show at most CAP rows, orbitctl pointed at it and told so."""
    search_cap(CAP)
    server = sandbox_server(search_limit=CAP)
    orbit_env(server.url)
    return server


def pool(name: str, count: int, extra: str = "") -> str:
    return f"  {name}:\n    country: US\n    count: {count}\n    capabilities: [sms]\n    label: OTP\n{extra}"


def test_a_pool_larger_than_one_search_plans_applies_and_converges(checkout, capped):
    manifest = write_manifest(checkout / "numbers.yaml", pool("otp-pool", 12))

    planned = run("plan", str(manifest), "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output + planned.stderr
    assert "+ otp-pool  12 to purchase  any US local number, with sms  1.50 USD each  (+18.00 USD/month)" in (
        planned.output
    )
    applied = run("apply", str(manifest), "--auto-approve")

    assert applied.exit_code == 0, applied.output + applied.stderr
    members = {fields["number"] for fields in owned(capped, "otp-pool")}
    assert len(members) == 12 and all(fields["label"] == "OTP" for fields in owned(capped, "otp-pool"))
    assert len(purchases(capped)) == 12
    assert plan_is_empty(manifest)


def test_two_pools_sharing_a_selection_buy_distinct_numbers(checkout, capped):
    manifest = write_manifest(checkout / "numbers.yaml", pool("otp-a", 7) + pool("otp-b", 8))

    applied = run("apply", str(manifest), "--auto-approve", "--parallelism", "8")

    assert applied.exit_code == 0, applied.output + applied.stderr
    bought = [entry["number"] for entry in purchases(capped)]
    assert len(bought) == len(set(bought)) == 15
    a, b = ({fields["number"] for fields in owned(capped, name)} for name in ("otp-a", "otp-b"))
    assert len(a) == 7 and len(b) == 8 and not a & b
    assert plan_is_empty(manifest)


def test_inventory_running_out_mid_apply_keeps_what_was_bought_and_says_what_is_missing(checkout, capped):
    manifest = write_manifest(checkout / "numbers.yaml", pool("otp-pool", 20, f"    contains: '{SCARCE}'\n"))

    planned = run("plan", str(manifest))
    # the searches cannot count the inventory in full: the plan says so instead of failing
    assert planned.exit_code == 0, planned.output + planned.stderr
    assert "otp-pool buys 20 numbers (any US local number, containing 606, with sms); at least " in planned.output
    assert "shows at most 5 numbers at a time, so apply searches again as it buys" in planned.output

    applied = run("apply", str(manifest), "--auto-approve")

    assert applied.exit_code == 1
    assert len(owned(capped, "otp-pool")) == len(account(capped)) == SCARCE_COUNT
    assert all(SCARCE in fields["number"] for fields in owned(capped, "otp-pool"))
    assert Journal().entries() == []  # every number bought was configured and tagged
    missing = f"{20 - SCARCE_COUNT} of the 20 numbers to buy with it are missing ('otp-pool' 3)"
    assert applied.output.count(missing) == 20 - SCARCE_COUNT
    assert f"Apply finished with errors: {SCARCE_COUNT} purchased" in applied.output

    again = run("plan", str(manifest))
    assert again.exit_code == 1
    assert "no number available for country=US type=local contains=606 capabilities=sms" in again.stderr


def test_a_shortage_the_searches_see_in_full_fails_the_plan(checkout, sandbox_server, orbit_env):
    orbit_env(sandbox_server().url)  # the API's own cap: one search shows all 17
    manifest = write_manifest(checkout / "numbers.yaml", pool("otp-pool", 20, f"    contains: '{SCARCE}'\n"))
    planned = run("plan", str(manifest))
    assert planned.exit_code == 1
    assert f"needs 20 numbers for country=US type=local contains=606 capabilities=sms, but only {SCARCE_COUNT}" in (
        planned.stderr
    )


def test_a_pool_of_501_plans_against_the_apis_cap_of_500(checkout):
    manifest = write_manifest(checkout / "numbers.yaml", pool("otp-pool", 501))
    planned = run("--sandbox", "plan", str(manifest))
    assert planned.exit_code == 0, planned.output + planned.stderr
    assert "+ otp-pool  501 to purchase  any US local number, with sms  1.50 USD each  (+751.50 USD/month)" in (
        planned.output
    )
    assert len(planned.output.splitlines()) < 20


def test_detailed_shows_every_member_in_plan_apply_and_show(checkout):
    manifest = write_manifest(checkout / "numbers.yaml", pool("otp-pool", 3))
    compact = run("--sandbox", "plan", str(manifest), "--out", str(checkout / "plan.json"))
    detailed = run("--sandbox", "plan", str(manifest), "--detailed")
    assert compact.output.count("# otp-pool: 3 numbers will be purchased") == 1
    assert detailed.output.count("# otp-pool will be purchased") == 3
    shown = run("show", str(checkout / "plan.json"), "--detailed")
    assert shown.exit_code == 0 and shown.output.count("# otp-pool will be purchased") == 3

    applied = run("--sandbox", "apply", str(manifest), "--auto-approve", "--detailed")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert applied.output.count("# otp-pool will be purchased") == 3


def test_apply_buys_first_from_the_rows_its_plan_searched(checkout, capped, monkeypatch):
    """`apply --auto-approve` makes no search between its plan and its first purchase: the plan's
    rows are its first wave (a pool of two waves: the second is searched for)."""
    from orbitctl.account.client import OrbitClient

    calls: list[str] = []
    for method in ("search_available", "purchase"):
        real = getattr(OrbitClient, method)

        def logged(self, *args, _real=real, _method=method, **kwargs):
            calls.append(_method)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(OrbitClient, method, logged)
    manifest = write_manifest(checkout / "numbers.yaml", pool("otp-pool", 2 * CAP))
    assert run("plan", str(manifest)).exit_code == 0
    planned, calls[:] = len(calls), []

    applied = run("apply", str(manifest), "--auto-approve", "--parallelism", "1")

    assert applied.exit_code == 0, applied.output + applied.stderr
    assert planned >= 1 and calls[:planned] == ["search_available"] * planned  # the plan's own
    assert calls[planned] == "purchase"
    assert "search_available" in calls[planned:]  # the second wave
    assert len(owned(capped, "otp-pool")) == 2 * CAP and plan_is_empty(manifest)
