"""`orbitctl export` end to end: a served sandbox account of 300 numbers of varied configuration,
seeded by direct API calls; export -> validate -> plan (adopts only) -> apply -> plan (empty)."""

from __future__ import annotations

import json

import pytest
import yaml

from orbitctl.account.client import OrbitClient
from orbitctl.model import ownership_tag
from tests.conftest import TEST_API_KEY
from tests.helpers import run

HOOK = "https://hooks.example.com/orbit/inbound"
LABELS = ["Support", "Sales", "Support", "Billing desk", "Café Zürich", "", "On-call", "Sales"]


def buy(client, country, number_type, count, **purchase):
    rows = client.search_available(country, type=number_type, limit=min(500, count * 2))
    assert len(rows) >= count, f"the sandbox sells too few {country} {number_type} numbers"
    return [
        client.purchase(row.number, country_code=country, inventory_id=row.id, **purchase)
        for row in rows[:count]
    ]


def configuration(index: int) -> dict:
    """A varied but deterministic configuration for the index-th number."""
    config: dict = {"label": LABELS[index % len(LABELS)]}
    if index % 10 < 7:
        config["webhook_url"] = HOOK
    elif index % 10 == 7:
        config["webhook_url"] = f"https://hooks.example.com/orbit/{index}"
    if index % 3 == 0:
        config["tags"] = ["support"] if index % 2 else ["sales", "emea"]
    if index % 5 == 0:
        config["forwarding_number"] = "+14155550111"
    if index % 6 == 0:
        config["sms_forwarding"] = "+14155550112"
    if index % 11 == 0:
        config["status"] = "inactive"
    if index % 13 == 0:
        config["channel_config"] = {"sms": {"sender_id": f"ACME{index}"}}
    if index % 17 == 0:
        config["compliance_profile_id"] = f"cp_{index}"
    return config


@pytest.fixture
def account(sandbox_server):
    """A served sandbox with 300 numbers: 280 unmanaged, 12 of stack prod (a pool of 3
    among them), 8 of stack billing."""
    server = sandbox_server()
    with OrbitClient(TEST_API_KEY, server.url) as client:
        records = (
            buy(client, "US", "local", 250)
            + buy(client, "US", "toll_free", 10)
            + buy(client, "GB", "mobile", 20)
            + buy(client, "CA", "local", 10)
            + buy(client, "DE", "local", 10)  # regulated: these land in regulatory hold
        )
        owners = {}
        for index in range(12):
            owners[index] = ownership_tag("prod", "sms-pool" if index < 3 else f"line-{index}")
        for index in range(12, 20):
            owners[index] = ownership_tag("billing", f"b-{index}")
        for index, record in enumerate(records):
            config = configuration(index)
            if index in owners:
                config["tags"] = [owners[index], *config.get("tags", [])]
                if index < 3:
                    config.update(label="Pool", webhook_url=HOOK, status="active")
            client.configure(record.id, **config)
        foreign = {record.id: client.get_number(record.id).fields for record in records[12:20]}
    return server, foreign


def test_export_plan_apply_plan_converges(account, orbit_env, tmp_path):
    server, foreign_before = account
    orbit_env(server.url)
    manifest = tmp_path / "numbers.yaml"

    # Without --stack, on an account of two stacks: the user is asked to choose.
    unnamed = run("export")
    assert unnamed.exit_code == 1
    assert "the account holds numbers of 2 stacks (billing, prod): choose one with --stack" in unnamed.stderr

    # By default only the stack's own numbers, and the same text run after run.
    first, second = run("export", "--stack", "prod"), run("export", "--stack", "prod")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(yaml.safe_load(first.stdout)["numbers"]) == 10
    assert "Left out 280 unmanaged numbers: add --unmanaged to adopt them." in first.stderr

    exported = run("export", "--stack", "prod", "--unmanaged", "--out", str(manifest))
    assert exported.exit_code == 0, exported.stderr
    assert "Exported 292 numbers of stack prod" in exported.stderr
    assert "Left out 8 numbers of stack billing" in exported.stderr
    document = yaml.safe_load(manifest.read_text())
    assert document["numbers"]["sms-pool"]["count"] == 3
    assert "line-5" in document["numbers"]
    assert len(document["numbers"]) == 290  # the pool of 3 is one entry
    assert {"country", "type", "status", "webhook_url"} <= set(document["defaults"])

    assert run("validate", str(manifest)).exit_code == 0

    planned = run("plan", str(manifest), "--output", "json")
    assert planned.exit_code == 0, planned.stderr
    plan = json.loads(planned.output)
    assert {action["action"] for action in plan["actions"]} == {"adopt"}
    assert plan["summary"]["adopt"] == 280 and plan["summary"]["unchanged"] == 12

    applied = run("apply", str(manifest), "--auto-approve", "--parallelism", "16")
    assert applied.exit_code == 0, applied.output + applied.stderr

    after = run("plan", str(manifest), "--detailed-exitcode")
    assert after.exit_code == 0, after.output + after.stderr

    with OrbitClient(TEST_API_KEY, server.url) as client:
        for number_id, fields in foreign_before.items():
            assert client.get_number(number_id).fields == fields  # the other stack's: untouched
        owned = [r for r in client.iter_numbers() if r.id not in foreign_before]
        assert all(
            any(tag.startswith("orbitctl__prod__") for tag in client.get_number(r.id).get("tags"))
            for r in owned[:20]
        )

    # Exported again, now that every number is managed: the same manifest, name for name.
    again = run("export", "--stack", "prod")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.partition("\n")[2] == manifest.read_text().partition("\n")[2]


def test_the_schema_comment_points_at_the_repositorys_schema_from_the_manifests_folder(
    sandbox_server, orbit_env, tmp_path, monkeypatch
):
    orbit_env(sandbox_server().url)
    monkeypatch.chdir(tmp_path)
    assert run("export", "--stack", "prod", "--out", "numbers.yaml").exit_code == 0
    assert run("export", "--stack", "prod", "--out", "stacks/prod.yaml").exit_code == 0
    first_line = "# yaml-language-server: $schema="
    assert (tmp_path / "numbers.yaml").read_text().startswith(f"{first_line}schemas/manifest.schema.json\n")
    assert (tmp_path / "stacks" / "prod.yaml").read_text().startswith(
        f"{first_line}../schemas/manifest.schema.json\n"
    )
    printed = run("export", "--stack", "prod", "--schema", "https://example.com/m.json")
    assert printed.stdout.startswith(f"{first_line}https://example.com/m.json\n")


def test_a_bad_stack_name_fails_before_any_request(monkeypatch):
    monkeypatch.setenv("ORBIT_API_KEY", "dv_test_sk_unused")
    monkeypatch.setenv("ORBIT_API_URL", "http://127.0.0.1:9")  # nothing listens: a request would fail
    result = run("export", "--stack", "Prod_1")
    assert result.exit_code == 1
    assert "Error: --stack 'Prod_1' is not a stack name" in result.stderr


SECRET_HOOK = "https://hooks.example.com/orbit/in?token=e2e-hook-t0ken"
SLACK_HOOK = "https://hooks.slack.example.com/services/T0001/B0001/e2eSlackToken0123456789"


def test_secrets_are_exported_as_variables_and_plan_no_change_once_set(
    sandbox_server, orbit_env, tmp_path, monkeypatch
):
    """Webhook tokens and channel_config secrets (shown as (sensitive) by plan) are never written:
    the manifest reads them from variables that export names on stderr; with those set, the
    exported manifest plans no change."""
    server = sandbox_server()
    orbit_env(server.url)
    configs = [
        {"label": "One", "webhook_url": SECRET_HOOK},
        {"label": "Two", "webhook_url": SECRET_HOOK},
        {"label": "Three", "webhook_url": SECRET_HOOK, "channel_config": {"whatsapp": {"api_token": "e2e-wa-t0ken"}}},
        {"label": "Slack", "webhook_url": SLACK_HOOK},
    ]
    with OrbitClient(TEST_API_KEY, server.url) as client:
        for index, (record, config) in enumerate(zip(buy(client, "US", "local", 4), configs, strict=True)):
            client.configure(record.id, tags=[ownership_tag("prod", f"line-{index}")], **config)
    manifest = tmp_path / "numbers.yaml"

    exported = run("export", "--stack", "prod", "--out", str(manifest))

    assert exported.exit_code == 0, exported.stderr
    for secret in ("e2e-hook-t0ken", "e2eSlackToken0123456789", "e2e-wa-t0ken"):
        assert secret not in manifest.read_text() and secret not in exported.output + exported.stderr
    listed = dict(
        line.strip().split(": ", 1) for line in exported.stderr.splitlines() if line.startswith("  PROD_")
    )
    assert list(listed) == [
        "PROD_DEFAULTS_WEBHOOK_URL", "PROD_LINE_2_CHANNEL_CONFIG_WHATSAPP_API_TOKEN", "PROD_LINE_3_WEBHOOK_URL"
    ]
    assert listed["PROD_LINE_3_WEBHOOK_URL"].startswith("webhook_url of entry line-3 (now ")
    assert "The manifest reads 3 secrets from environment variables" in exported.stderr

    unset = run("plan", str(manifest))
    assert unset.exit_code == 1 and "the environment variable PROD_DEFAULTS_WEBHOOK_URL is not set" in unset.stderr

    monkeypatch.setenv("PROD_DEFAULTS_WEBHOOK_URL", SECRET_HOOK)
    monkeypatch.setenv("PROD_LINE_2_CHANNEL_CONFIG_WHATSAPP_API_TOKEN", "e2e-wa-t0ken")
    monkeypatch.setenv("PROD_LINE_3_WEBHOOK_URL", SLACK_HOOK)
    planned = run("plan", str(manifest), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output + planned.stderr
