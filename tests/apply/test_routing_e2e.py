"""Agent routing end to end against a served sandbox: ``agent_id`` set at purchase, changed,
cleared, ignored, and a label+agent change as one update. Judged by the sandbox's own state and
its audit log (each request's body as sent)."""

from __future__ import annotations

import json
from pathlib import Path

from orbitctl.account.client import OrbitClient
from orbitctl.apply.executor import execute
from orbitctl.apply.journal import Journal
from orbitctl.model import Action, ActionKind, Change, Plan, ownership_tag
from tests.conftest import TEST_API_KEY
from tests.helpers import audit, owned, plan_is_empty, run, write_manifest


def routing_requests(server, since: int = 0) -> list[tuple[str, dict]]:
    """(path, body) of every routing request the sandbox took since audit entry ``since``."""
    return [(e["path"], e["body"]) for e in audit(server)[since:] if e["path"].endswith("/routing")]


def configure_bodies(server, since: int = 0) -> list[dict]:
    return [e["body"] for e in audit(server)[since:] if e["method"] == "PUT" and not e["path"].endswith("/routing")]


def apply(manifest) -> str:
    result = run("apply", str(manifest), "--auto-approve")
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def entry(agent: str | None, *, label: str = "Support", ignore: str = "") -> str:
    lifecycle = f"    lifecycle: {{ignore_changes: [{ignore}]}}\n" if ignore else ""
    agent_line = "    agent_id: null\n" if agent is None else f"    agent_id: {agent}\n"
    return f"  support:\n    country: US\n    label: {label}\n{agent_line}{lifecycle}"


def test_an_agent_is_set_at_purchase_changed_and_cleared(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", entry("agt_support"))

    apply(manifest)
    [number] = owned(server, "support")
    assert number["agent_id"] == "agt_support"
    path = f"/api/v1/numbers/{number['number']}/routing"
    assert routing_requests(server) == [(path, {"agent_id": "agt_support"})]
    assert all("agent_id" not in body for body in configure_bodies(server))
    assert plan_is_empty(manifest)

    write_manifest(manifest, entry("agt_sales"))
    since = len(audit(server))
    apply(manifest)
    assert owned(server, "support")[0]["agent_id"] == "agt_sales"
    assert routing_requests(server, since) == [(path, {"agent_id": "agt_sales"})]
    assert configure_bodies(server, since) == []  # only the routing request: nothing else changed
    assert plan_is_empty(manifest)

    write_manifest(manifest, entry(None))
    since = len(audit(server))
    apply(manifest)
    assert owned(server, "support")[0]["agent_id"] is None
    assert routing_requests(server, since) == [(path, {"agent_id": None})]
    assert plan_is_empty(manifest)


def test_a_label_and_agent_change_is_one_update_of_two_requests(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", entry("agt_support"))
    apply(manifest)
    write_manifest(manifest, entry("agt_sales", label="Sales"))

    planned = json.loads(run("plan", str(manifest), "--output", "json").stdout)
    [action] = planned["actions"]
    assert action["action"] == "update" and planned["summary"]["update"] == 1
    assert action["changes"] == {
        "label": {"before": "Support", "after": "Sales"},
        "agent_id": {"before": "agt_support", "after": "agt_sales"},
    }
    text = run("plan", str(manifest)).output
    assert '~ agent_id: "agt_support" → "agt_sales"' in text

    since = len(audit(server))
    output = apply(manifest)
    assert "0 purchased, 1 updated, 0 released" in output
    [number] = owned(server, "support")
    assert (number["label"], number["agent_id"]) == ("Sales", "agt_sales")
    changed = [(e["method"], e["path"], e.get("body")) for e in audit(server)[since:]]
    assert changed == [
        ("PUT", f"/api/v1/numbers/{number['id']}", {"label": "Sales"}),
        ("PUT", f"/api/v1/numbers/{number['number']}/routing", {"agent_id": "agt_sales"}),
    ]
    assert plan_is_empty(manifest)


def test_ignore_changes_leaves_an_agent_set_elsewhere_alone(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", entry("agt_support", ignore="agent_id"))
    apply(manifest)
    [number] = owned(server, "support")
    assert number["agent_id"] == "agt_support"  # a purchase sets every stated key, as in Terraform
    with OrbitClient(TEST_API_KEY, server.url) as client:  # someone re-routes it in the console
        client.route(number["number"], "agt_console")

    write_manifest(manifest, entry("agt_other", ignore="agent_id"))
    assert plan_is_empty(manifest)
    since = len(audit(server))
    apply(manifest)
    assert audit(server)[since:] == [] and owned(server, "support")[0]["agent_id"] == "agt_console"


def test_an_agent_changed_outside_orbitctl_is_drift(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", entry("agt_support"))
    apply(manifest)
    [number] = owned(server, "support")
    with OrbitClient(TEST_API_KEY, server.url) as client:
        client.route(number["number"], None)
    assert run("plan", str(manifest), "--detailed-exitcode").exit_code == 2
    apply(manifest)
    assert owned(server, "support")[0]["agent_id"] == "agt_support"
    assert plan_is_empty(manifest)


def test_an_adopted_number_is_routed_and_exported_with_its_agent(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    with OrbitClient(TEST_API_KEY, server.url) as client:
        row = client.search_available("US", type="local", limit=1)[0]
        client.purchase(row.number, country_code="US", inventory_id=row.id)
    manifest = write_manifest(checkout / "m.yaml", f'  legacy:\n    number: "{row.number}"\n    agent_id: agt_legacy\n')
    apply(manifest)
    assert owned(server, "legacy")[0]["agent_id"] == "agt_legacy"

    exported = run("export", "--stack", "prod")
    assert exported.exit_code == 0, exported.stderr
    assert "agent_id: agt_legacy" in exported.stdout
    (checkout / "exported.yaml").write_text(exported.stdout)
    assert plan_is_empty(checkout / "exported.yaml")


def test_the_example_routes_two_numbers_buys_a_whatsapp_number_and_converges(checkout, sandbox_server, orbit_env):
    # a copy: what apply keeps beside the manifest (its lock, its journal) stays in the test's folder
    example = checkout / "numbers.yaml"
    example.write_text((Path(__file__).resolve().parents[2] / "examples" / "numbers.yaml").read_text())
    server = sandbox_server()
    orbit_env(server.url)
    apply(example)
    assert owned(server, "support-main")[0]["agent_id"] == "agt_support"
    assert owned(server, "support-uk")[0]["agent_id"] == "agt_support_uk"
    [whatsapp] = owned(server, "whatsapp-support")
    assert "whatsapp" in whatsapp["capabilities"] and whatsapp["agent_id"] == "agt_support"
    assert plan_is_empty(example)


def _update(number: dict, *changes) -> Plan:
    action = Action(
        kind=ActionKind.UPDATE, name="support", id=number["id"], number=number["number"],
        changes=tuple(Change(key, before, after) for key, before, after in changes),
        tag=ownership_tag("prod", "support"),
    )
    return Plan(stack="prod", actions=(action,), unchanged=0)


def test_routing_refused_by_the_api_names_the_routing_request(checkout, sandbox_server):
    # the executor against the served sandbox, over HTTP: a 422 (an agent id the sandbox refuses)
    # and a 404 (the number released by someone between plan and apply)
    server = sandbox_server()
    with OrbitClient(TEST_API_KEY, server.url) as client:
        row = client.search_available("US", type="local", limit=1)[0]
        bought = client.purchase(row.number, country_code="US", inventory_id=row.id)
        client.configure(bought.id, label="Support", tags=[ownership_tag("prod", "support")])
        number = {"id": bought.id, "number": bought.number}
        journal = Journal(checkout / "journal.json")

        refused = execute(
            _update(number, ("label", "Support", "Sales"), ("agent_id", None, "agt x")), client, journal=journal
        ).outcomes[0]
        assert not refused.ok
        assert refused.message.startswith(
            "the configure request (PUT /numbers/{id}) succeeded; the routing request "
            f"(PUT /numbers/{{phoneNumber}}/routing) failed: Routing {bought.number} to agent 'agt x' failed: "
            "Orbit rejected the request as invalid"
        )
        assert "agent_id" in refused.message
        detail = client.get_number(bought.id)
        assert (detail.get("label"), detail.get("agent_id")) == ("Sales", None)

        client.release(bought.id)
        gone = execute(_update(number, ("agent_id", None, "agt_support")), client, journal=journal).outcomes[0]
        assert not gone.ok
        assert gone.message.startswith(
            f"the routing request (PUT /numbers/{{phoneNumber}}/routing) failed: Routing {bought.number} to agent "
            "'agt_support' failed: not found"
        )
