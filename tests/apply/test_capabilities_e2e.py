"""Capabilities sent where the API page allows them, end to end against a served sandbox: a
purchase provisions (sms, voice, whatsapp, rcs), the configure PUT toggles (sms, mms, voice, fax),
and a capability only a purchase provisions, on a number already on the account, is a replace
(or, for a pinned number, an error). Judged by the bodies the sandbox received: its audit log."""

from __future__ import annotations

from orbitctl.account.client import OrbitClient
from orbitctl.model import ownership_tag
from tests.conftest import TEST_API_KEY
from tests.helpers import STACK, account, audit, owned, plan_is_empty, purchases, run, write_manifest

PURCHASE_ONLY = {"whatsapp", "rcs"}


def bodies(server, kind: str, since: int = 0) -> list[dict]:
    """The bodies of the purchases ("purchase") or configure PUTs ("configure") since ``since``."""
    entries = audit(server)[since:]
    if kind == "purchase":
        return [e["body"] for e in entries if e["method"] == "POST" and e["path"].endswith("/purchase")]
    return [e["body"] for e in entries if e["method"] == "PUT" and not e["path"].endswith("/routing")]


def apply(manifest, *flags: str):
    result = run("apply", str(manifest), "--auto-approve", *flags)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def test_each_endpoint_gets_only_the_capabilities_it_can_set(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(
        checkout / "m.yaml",
        "  wa:\n    country: US\n    capabilities: [sms, voice, whatsapp]\n"
        "  gb:\n    country: GB\n    type: mobile\n    capabilities: [sms, voice, rcs, whatsapp]\n"
        "  media:\n    country: US\n    capabilities: [sms, mms]\n",
    )
    apply(manifest)

    asked = {body["phone_number"]: body["capabilities"] for body in bodies(server, "purchase")}
    numbers = {name: owned(server, name)[0] for name in ("wa", "gb", "media")}
    assert asked[numbers["wa"]["number"]] == ["sms", "voice", "whatsapp"]
    assert asked[numbers["gb"]["number"]] == ["sms", "voice", "rcs", "whatsapp"]
    assert asked[numbers["media"]["number"]] == ["sms"]  # mms is a toggle: the PUT sets it
    puts = bodies(server, "configure")
    assert len(puts) == 3 and all(not PURCHASE_ONLY & set(body["capabilities"]) for body in puts)
    assert sorted(sorted(body["capabilities"]) for body in puts) == [["mms", "sms"], ["sms", "voice"], ["sms", "voice"]]
    assert sorted(numbers["wa"]["capabilities"]) == ["sms", "voice", "whatsapp"]
    assert sorted(numbers["gb"]["capabilities"]) == ["rcs", "sms", "voice", "whatsapp"]
    assert sorted(numbers["media"]["capabilities"]) == ["mms", "sms"]
    assert plan_is_empty(manifest)


def test_a_toggle_change_on_a_whatsapp_number_is_one_put_of_the_toggles(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  wa:\n    country: US\n    capabilities: [sms, voice, whatsapp]\n")
    apply(manifest)
    write_manifest(manifest, "  wa:\n    country: US\n    capabilities: [sms, whatsapp]\n")
    since = len(audit(server))
    apply(manifest)
    assert bodies(server, "configure", since) == [{"capabilities": ["sms"]}]
    assert bodies(server, "purchase", since) == []
    assert sorted(owned(server, "wa")[0]["capabilities"]) == ["sms", "whatsapp"]
    assert plan_is_empty(manifest)


def test_adding_whatsapp_to_a_number_on_the_account_replaces_it(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(
        checkout / "m.yaml",
        "  line:\n    country: US\n    label: Line\n    capabilities: [sms, voice]\n"
        "  other:\n    country: US\n    label: Other\n    capabilities: [sms, voice]\n",
    )
    apply(manifest)
    [old] = owned(server, "line")
    [other] = owned(server, "other")
    write_manifest(
        manifest,
        "  line:\n    country: US\n    label: Line\n    capabilities: [sms, voice, whatsapp]\n"
        "  other:\n    country: US\n    label: Other\n    capabilities: [sms, voice]\n",
    )

    planned = run("plan", str(manifest))
    assert "-/+ line" in planned.output and "~ other" not in planned.output
    assert f"capabilities: {old['number']} lacks whatsapp, which only a purchase provisions" in planned.output
    refused = run("apply", str(manifest), "--auto-approve")
    assert refused.exit_code == 1 and "--allow-release" in refused.stderr
    assert old["id"] in account(server)  # nothing was changed

    since = len(audit(server))
    apply(manifest, "--allow-release")
    [new] = owned(server, "line")
    assert new["id"] != old["id"] and old["id"] not in account(server)
    assert "whatsapp" in new["capabilities"] and new["label"] == "Line"
    assert [body["capabilities"] for body in bodies(server, "purchase", since)] == [["sms", "voice", "whatsapp"]]
    assert all("whatsapp" not in body.get("capabilities", ()) for body in bodies(server, "configure", since))
    assert owned(server, "other")[0]["id"] == other["id"]
    assert plan_is_empty(manifest)


def test_removing_whatsapp_from_a_number_on_the_account_replaces_it(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  wa:\n    country: US\n    capabilities: [sms, voice, whatsapp]\n")
    apply(manifest)
    [old] = owned(server, "wa")
    write_manifest(manifest, "  wa:\n    country: US\n    capabilities: [sms, voice]\n")
    planned = run("plan", str(manifest)).output
    assert f"capabilities: {old['number']} has whatsapp, which the entry leaves out and no request removes" in planned
    apply(manifest, "--allow-release")
    [new] = owned(server, "wa")
    assert new["id"] != old["id"] and sorted(new["capabilities"]) == ["sms", "voice"]
    assert plan_is_empty(manifest)


def test_ignore_changes_keeps_a_number_whose_whatsapp_differs(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  line:\n    country: US\n    capabilities: [sms, voice]\n")
    apply(manifest)
    write_manifest(
        manifest,
        "  line:\n    country: US\n    capabilities: [sms, voice, whatsapp]\n"
        "    lifecycle: {ignore_changes: [capabilities]}\n",
    )
    assert plan_is_empty(manifest)


def test_whatsapp_on_a_pinned_number_that_lacks_it_is_an_error_naming_the_entry(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    with OrbitClient(TEST_API_KEY, server.url) as client:
        row = client.search_available("US", type="local", limit=1)[0]
        bought = client.purchase(row.number, country_code="US", capabilities=["sms", "voice"], inventory_id=row.id)
    assert "whatsapp" not in bought.get("capabilities")
    before = len(audit(server))
    manifest = write_manifest(
        checkout / "m.yaml", f'  legacy:\n    number: "{row.number}"\n    capabilities: [sms, voice, whatsapp]\n'
    )
    for command in ("plan", "apply"):
        result = run(command, str(manifest), *(["--auto-approve", "--allow-release"] if command == "apply" else []))
        assert result.exit_code == 1, result.output
        assert f"entry 'legacy' pins {row.number}, which is on the account but does not match" in result.stderr
        assert "lacks whatsapp, which only a purchase provisions" in result.stderr
        assert "Traceback" not in result.stderr
    assert len(audit(server)) == before


def test_an_adopted_whatsapp_number_keeps_whatsapp(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    with OrbitClient(TEST_API_KEY, server.url) as client:
        row = client.search_available("US", type="local", capabilities=["whatsapp"], limit=1)[0]
        client.purchase(row.number, country_code="US", capabilities=["sms", "voice", "whatsapp"], inventory_id=row.id)
    manifest = write_manifest(
        checkout / "m.yaml", f'  wa:\n    number: "{row.number}"\n    capabilities: [sms, whatsapp]\n'
    )
    since = len(audit(server))
    apply(manifest)
    assert bodies(server, "configure", since) == [
        {"capabilities": ["sms"], "tags": [ownership_tag(STACK, "wa")]}
    ]
    assert sorted(owned(server, "wa")[0]["capabilities"]) == ["sms", "whatsapp"]
    assert len(purchases(server)) == 1 and plan_is_empty(manifest)
