"""`orbitctl port` against a served sandbox: the request lands; the PIN is never printed."""

from __future__ import annotations

import json

from orbitctl.account.client import OrbitClient
from orbitctl.sandbox.store import read_state
from tests.helpers import run

PIN = "8675309-secret"


def porting_requests(server) -> list[dict]:
    return [
        entry for entry in read_state(server.state_path)["audit"]
        if entry["method"] == "POST" and entry["path"].endswith("/porting")
    ]


def test_port_submits_the_request_with_the_pin_from_the_environment(sandbox_server, orbit_env, monkeypatch):
    server = sandbox_server()
    orbit_env(server.url)
    monkeypatch.setenv("CARRIER_PIN", PIN)
    # the sandbox never keeps a PIN: see what the command hands the client (which sends it:
    # test_client's submit_port test)
    submitted = []
    submit_port = OrbitClient.submit_port

    def recording_submit_port(self, numbers, **fields):
        submitted.append(fields)
        return submit_port(self, numbers, **fields)

    monkeypatch.setattr(OrbitClient, "submit_port", recording_submit_port)
    result = run(
        "port", "+14155551234", "+14155551235", "--carrier", "Acme Telecom",
        "--authorization-name", "John Doe", "--account-number", "ACC-12345",
        "--pin-env", "CARRIER_PIN", "--output", "json",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["numbers"] == ["+14155551234", "+14155551235"]
    assert document["id"].startswith("port_") and document["status"]
    [request] = porting_requests(server)
    assert 200 <= request["status"] < 300
    assert [fields["pin"] for fields in submitted] == [PIN]
    assert PIN not in result.output and PIN not in result.stderr


def test_text_output_names_the_request_and_never_the_pin(sandbox_server, orbit_env, monkeypatch):
    server = sandbox_server()
    orbit_env(server.url)
    monkeypatch.setenv("CARRIER_PIN", PIN)
    result = run("port", "+14155551234", "--carrier", "Acme", "--authorization-name", "J D", "--pin-env", "CARRIER_PIN")
    assert result.exit_code == 0, result.stderr
    assert "Porting request port_" in result.output and "+14155551234" in result.output
    assert PIN not in result.output + result.stderr


def test_a_missing_pin_variable_is_named_and_nothing_is_sent(sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    result = run("port", "+14155551234", "--carrier", "Acme", "--authorization-name", "J D", "--pin-env", "NO_SUCH_PIN")
    assert result.exit_code == 1
    assert "NO_SUCH_PIN is not set" in result.stderr
    assert porting_requests(server) == []


def test_invalid_numbers_are_all_reported_and_nothing_is_sent(sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    result = run("port", "4155551234", "+1999", "--carrier", "Acme", "--authorization-name", "J D")
    assert result.exit_code == 1
    assert "'4155551234' is not a valid phone number" in result.stderr
    assert "'+1999' is not a valid phone number" in result.stderr
    assert porting_requests(server) == []
