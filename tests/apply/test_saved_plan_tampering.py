"""A saved plan edited by hand, its checksum recomputed as anyone can, is refused end to end with
nothing changed on the account; the untampered plan still applies and converges."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from orbitctl.planfile import load_plan
from tests.helpers import account, audit, changing_requests, owned, plan_is_empty, run, write_manifest

HOOK = "https://hooks.example.com/orbit/inbound"
BEFORE = f"""\
  line:
    country: US
    label: Line
    status: active
    tags: [support]
    webhook_url: {HOOK}
"""
# The plan to tamper with updates `line` (label, tags, webhook) and buys a pool of two.
AFTER = f"""\
  line:
    country: US
    label: Main line
    status: active
    tags: [support, us-west]
    webhook_url: {HOOK}/v2
  pool:
    country: US
    count: 2
    label: Pool
"""


def _update(document: dict) -> dict:
    return next(action for action in document["actions"] if action["kind"] == "update")


def _change(document: dict, key: str) -> dict:
    return next(change for change in _update(document)["changes"] if change["key"] == key)


def _last_purchase(document: dict) -> dict:
    return [action for action in document["actions"] if action["kind"] == "purchase"][-1]


def _add_status_change(document: dict) -> None:
    _update(document)["changes"].append({"key": "status", "before": "active", "after": "inactive"})


TAMPERINGS = {
    "label EVIL": (lambda d: _change(d, "label").update(after="EVIL"), "change of label (after)"),
    "another webhook": (
        lambda d: _change(d, "webhook_url").update(after="https://evil.example.net/hook"),
        "change of webhook_url (after)",
    ),
    "status inactive": (_add_status_change, "change of status: the saved plan changes it"),
    "another stack's tag": (
        lambda d: _change(d, "tags")["after"].append("orbitctl__staging__line"),
        "change of tags (after)",
    ),
    "purchase label": (lambda d: _last_purchase(d)["config"].update(label="EVIL"), "config label"),
    "purchase tag": (lambda d: _last_purchase(d).update(tag="orbitctl__staging__pool"), "ownership tag"),
    "purchase webhook": (
        lambda d: _last_purchase(d)["config"].update(webhook_url="https://evil.example.net/hook"),
        "config webhook_url",
    ),
    "fingerprint dropped": (lambda d: _update(d).update(live_fingerprint=None), "fingerprint of the live number"),
    "action dropped": (lambda d: d["actions"].remove(_last_purchase(d)), "in a fresh plan, not in the saved plan"),
}


def tamper(path: Path, edit) -> None:
    """Edit the saved plan and recompute its checksum, as a hostile user can."""
    document = json.loads(path.read_text())
    document.pop("checksum")
    edit(document)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    document["checksum"] = hashlib.sha256(canonical.encode()).hexdigest()
    path.write_text(json.dumps(document, indent=2))
    load_plan(path)  # the checksum passes: only the comparison with a fresh plan can refuse it


@pytest.fixture
def saved_plan(checkout, sandbox_server, orbit_env):
    """A served account where `line` is applied from BEFORE, and plan.json saved from AFTER."""
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", BEFORE)
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    write_manifest(manifest, AFTER)
    saved = run("plan", str(manifest), "--out", "plan.json")
    assert saved.exit_code == 0, saved.output + saved.stderr
    return server, manifest, checkout / "plan.json"


@pytest.mark.parametrize("case", TAMPERINGS, ids=str)
def test_a_tampered_saved_plan_is_refused_and_changes_nothing(saved_plan, case):
    server, _manifest, path = saved_plan
    edit, named = TAMPERINGS[case]
    tamper(path, edit)
    before, mark = account(server), len(audit(server))

    result = run("apply", str(path), "--auto-approve")

    assert result.exit_code == 1
    assert "plan.json is stale or was edited: a plan made now would differ" in result.stderr
    assert named in result.stderr
    assert "Nothing was changed" in result.stderr
    assert changing_requests(server, mark) == [] and account(server) == before
    assert "evil.example.net" not in json.dumps(account(server)) and "EVIL" not in json.dumps(account(server))


def test_the_untampered_plan_applies_and_converges(saved_plan):
    server, manifest, path = saved_plan
    result = run("apply", str(path), "--auto-approve")
    assert result.exit_code == 0, result.output + result.stderr
    [line] = owned(server, "line")
    assert line["label"] == "Main line" and set(line["tags"]) == {"support", "us-west", "orbitctl__prod__line"}
    assert len(owned(server, "pool")) == 2
    assert plan_is_empty(manifest)


def test_the_counts_the_gates_use_come_from_the_account_not_the_file(checkout, sandbox_server, orbit_env):
    """Releasing 3 of 8 (37.5%) needs --force: a file claiming the stack has 100 numbers
    cannot get it past --max-release-percent."""
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  pool:\n    country: US\n    count: 8\n")
    assert run("apply", str(manifest), "--auto-approve", "--parallelism", "8").exit_code == 0
    write_manifest(manifest, "  pool:\n    country: US\n    count: 5\n")
    assert run("plan", str(manifest), "--out", "plan.json").exit_code == 0
    tamper(checkout / "plan.json", lambda document: document.update(managed=100))
    mark = len(audit(server))

    result = run("apply", "plan.json", "--auto-approve", "--allow-release")

    assert result.exit_code == 1
    assert "the plan releases 3 of the 8 numbers stack 'prod' manages (38%)" in result.stderr
    assert changing_requests(server, mark) == [] and len(owned(server, "pool")) == 8


def test_costs_are_priced_again_and_a_change_is_noted(saved_plan):
    """Costs are estimates from the inventory, looked up again at apply: not a reason to refuse."""
    server, manifest, path = saved_plan

    def cheaper(document: dict) -> None:
        for action in document["actions"]:
            if action["kind"] == "purchase":
                action["monthly_cost"] = "0.01"
        document["monthly_cost_delta"] = "0.02"

    tamper(path, cheaper)

    result = run("apply", str(path), "--auto-approve")

    assert result.exit_code == 0, result.output + result.stderr
    assert "Note: the monthly cost changed since the plan was made: +0.02 USD/month then, +3.00 USD/month now" in (
        result.stderr
    )
    assert "(+3.00 USD/month)" in result.output and len(owned(server, "pool")) == 2
    assert plan_is_empty(manifest)
