"""`orbitctl list [NAME]`: every number with the stack and entry that own it, or one entry's
numbers with their configuration; read from a served sandbox account, never changing it."""

from __future__ import annotations

import json

import pytest

from orbitctl.account.client import OrbitClient
from orbitctl.model import ownership_tag
from tests.conftest import TEST_API_KEY
from tests.helpers import changing_requests, run

SECRET = "s3cr3t-value"


@pytest.fixture
def account(sandbox_server, orbit_env):
    """prod: support-main (1) and sms-pool (2); ci: smoke (1) and sms-pool (1); 1 unmanaged."""
    server = sandbox_server()
    orbit_env(server.url)
    wanted = {
        "support-main": [{"tags": [ownership_tag("prod", "support-main"), "support"], "label": "Main line",
                              "webhook_url": f"https://hooks.example.com/in?token={SECRET}",
                              "channel_config": {"api_secret": SECRET}}],
        "sms-pool": [{"tags": [ownership_tag("prod", "sms-pool")]}] * 2,
        "ci-smoke": [{"tags": [ownership_tag("ci", "smoke")]}],
        "ci-pool": [{"tags": [ownership_tag("ci", "sms-pool")]}],
        "unmanaged": [{"tags": ["legacy"], "label": "Old line"}],
    }
    with OrbitClient(TEST_API_KEY, server.url) as client:
        rows = iter(client.search_available("US", type="local", limit=10))
        server.seeded = {
            name: [client.configure(client.purchase((row := next(rows)).number, country_code="US",
                                                    inventory_id=row.id).id, **config) for config in configs]
            for name, configs in wanted.items()
        }
    server.changes_before = len(changing_requests(server))
    return server


def _rows(stdout: str) -> list[list[str]]:
    return [line.split() for line in stdout.splitlines()[1:]]


def test_list_shows_every_number_with_its_stack_and_entry(account):
    result = run("list")
    assert result.exit_code == 0, result.stderr
    header, *_ = result.stdout.splitlines()
    assert header.split() == ["NUMBER", "ID", "OWNERSHIP", "STACK", "ENTRY", "STATUS", "TYPE", "LABEL"]
    rows = _rows(result.stdout)
    owners = [(row[2], row[3], row[4]) for row in rows]
    assert owners == [
        ("managed", "ci", "smoke"),
        ("managed", "ci", "sms-pool"),
        ("managed", "prod", "sms-pool"),
        ("managed", "prod", "sms-pool"),
        ("managed", "prod", "support-main"),
        ("unmanaged", "-", "-"),
    ]
    unmanaged = account.seeded["unmanaged"][0]
    assert rows[-1][:2] == [unmanaged.number, unmanaged.id] and rows[-1][-2:] == ["Old", "line"]
    assert "5 managed numbers in 2 stacks (ci, prod). On the account: 1 unmanaged number." in result.stderr
    assert len(changing_requests(account)) == account.changes_before


def test_list_from_a_stack_puts_its_numbers_first_and_marks_the_others_foreign(account):
    result = run("list", "--stack", "prod")
    assert result.exit_code == 0, result.stderr
    owners = [(row[2], row[3], row[4]) for row in _rows(result.stdout)]
    assert owners == [
        ("managed", "prod", "sms-pool"),
        ("managed", "prod", "sms-pool"),
        ("managed", "prod", "support-main"),
        ("unmanaged", "-", "-"),
        ("foreign", "ci", "smoke"),
        ("foreign", "ci", "sms-pool"),
    ]
    assert ("prod: 3 numbers in 2 entries. Also on the account: 1 unmanaged number, "
            "2 numbers of other stacks (ci).") in result.stderr


def test_list_json_carries_ownership_and_counts(account):
    result = run("list", "--stack", "ci", "--output", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["stack"] == "ci"
    assert document["counts"] == {"managed": 2, "unmanaged": 1, "foreign": 3}
    smoke = account.seeded["ci-smoke"][0]
    assert document["numbers"][0] == {
        "number": smoke.number, "id": smoke.id, "ownership": "managed", "stack": "ci", "entry": "smoke",
        "country": "US", "type": "local", "status": "active", "label": smoke.get("label"),
        "monthly_cost": document["numbers"][0]["monthly_cost"], "currency": "USD",
        "created_at": document["numbers"][0]["created_at"],
    }
    assert document["numbers"][0]["created_at"].endswith("Z")
    assert [row["ownership"] for row in document["numbers"]] == ["managed"] * 2 + ["unmanaged"] + ["foreign"] * 3
    assert SECRET not in result.stdout


def test_list_name_shows_the_entrys_numbers_with_their_configuration_masked(account):
    result = run("list", "support-main")
    assert result.exit_code == 0, result.stderr
    record = account.seeded["support-main"][0]
    lines = result.stdout.splitlines()
    assert lines[0] == "# prod/support-main: 1 number"
    assert f"{record.number} ({record.id})" in lines
    assert '    label:                 "Main line"' in lines
    assert '    tags:                  ["support"]' in lines  # the ownership tag is not a user tag
    assert '    webhook_url:           "https://hooks.example.com/in?(sensitive)"' in lines
    assert '    channel_config:        {"api_secret": (sensitive)}' in lines
    assert SECRET not in result.output
    assert len(changing_requests(account)) == account.changes_before


def test_list_name_of_a_pool_shows_every_member(account):
    result = run("list", "sms-pool", "--stack", "prod", "--output", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["stack"], document["entry"]) == ("prod", "sms-pool")
    assert sorted(n["id"] for n in document["numbers"]) == sorted(r.id for r in account.seeded["sms-pool"])
    assert all(n["config"]["tags"] == [] for n in document["numbers"])


def test_a_name_in_several_stacks_needs_the_stack(account):
    result = run("list", "sms-pool")
    assert result.exit_code == 1
    assert "entries named 'sms-pool' own numbers in 2 stacks (ci, prod): choose one with --stack" in result.stderr


def test_an_unknown_name_suggests_the_closest(account):
    result = run("list", "suport-main")
    assert result.exit_code == 1
    assert "no number on the account belongs to an entry 'suport-main' of any stack" in result.stderr
    assert "(did you mean 'support-main'?)" in result.stderr
    # an entry of another stack is not an answer for this one
    other = run("list", "smoke", "--stack", "prod")
    assert other.exit_code == 1 and "entry 'smoke' of stack prod" in other.stderr


def test_a_stack_with_no_numbers_is_a_warning_with_a_suggestion(account):
    result = run("list", "--stack", "prd")
    assert result.exit_code == 0
    assert "Warning: stack prd manages no number on this account (did you mean 'prod'?)." in result.stderr
    assert {row[2] for row in _rows(result.stdout)} == {"foreign", "unmanaged"}


def test_a_bad_stack_name_fails_before_the_account_is_read(monkeypatch):
    monkeypatch.setenv("ORBIT_API_KEY", "dv_test_sk_unused")
    monkeypatch.setenv("ORBIT_API_URL", "http://127.0.0.1:9")  # nothing listens: a request would fail
    result = run("list", "--stack", "Prod_1")
    assert result.exit_code == 1
    assert "--stack 'Prod_1' is not a stack name" in result.stderr


def test_an_empty_account_says_so(sandbox_server, orbit_env):
    orbit_env(sandbox_server().url)
    result = run("list")
    assert result.exit_code == 0
    assert result.stdout == "" and "No numbers on the account." in result.stderr
    as_json = json.loads(run("list", "--output", "json").stdout)
    assert as_json == {"stack": None, "numbers": [], "counts": {"managed": 0, "unmanaged": 0, "foreign": 0}}
