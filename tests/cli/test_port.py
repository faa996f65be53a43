"""`orbitctl port` against a served sandbox: the request lands; the PIN is never printed."""

from __future__ import annotations

import json

from orbitctl.account.client import OrbitClient
from orbitctl.sandbox.store import read_state
from tests.helpers import porting_requests, run

PIN = "8675309-secret"


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


# --- port submit (the default subcommand) and port status ------------------------------------


def test_port_submit_is_the_same_command_and_options_may_come_first(sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    explicit = run("port", "submit", "+14155551234", "--carrier", "Acme", "--authorization-name", "J D")
    options_first = run("port", "--carrier", "Acme", "--authorization-name", "J D", "+14155551235")
    assert explicit.exit_code == options_first.exit_code == 0, explicit.stderr + options_first.stderr
    assert [entry["numbers"] for entry in porting_requests(server)] == [["+14155551234"], ["+14155551235"]]
    assert "Follow it with: orbitctl port status port_" in explicit.stderr


def _submitted(server) -> str:
    result = run("port", "+14155551234", "+14155551235", "--carrier", "Acme", "--authorization-name", "J D",
                 "--output", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["id"]


def test_port_status_reads_the_request_back(sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    port_id = _submitted(server)
    as_json = run("port", "status", port_id, "--output", "json")
    assert as_json.exit_code == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["id"] == port_id and document["status"] == "pending"
    assert document["numbers"] == ["+14155551234", "+14155551235"]
    assert document["estimated_completion"] and document["created_at"]
    text = run("port", "status", port_id)
    assert text.exit_code == 0
    assert text.stdout.splitlines()[:2] == [
        f"Porting request {port_id}: pending (2 numbers)",
        "  numbers:              +14155551234, +14155551235",
    ]
    assert f"estimated completion: {document['estimated_completion']}" in text.stdout
    # reading changes nothing: one POST (the submission), no other changing request
    assert len(porting_requests(server)) == 1
    assert [e["method"] for e in read_state(server.state_path)["audit"]] == ["POST"]


def test_a_completed_port_says_its_numbers_are_on_the_account(sandbox_server, orbit_env):
    from datetime import UTC, datetime, timedelta

    now = [datetime(2026, 3, 8, 12, tzinfo=UTC)]
    server = sandbox_server(clock=lambda: now[0])
    orbit_env(server.url)
    port_id = _submitted(server)
    now[0] += timedelta(days=15)
    result = run("port", "status", port_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Porting request {port_id}: completed")
    assert "Its numbers are on the account, unmanaged" in result.stderr


def test_an_unknown_port_id_is_one_error_naming_it(sandbox_server, orbit_env):
    orbit_env(sandbox_server().url)
    result = run("port", "status", "port_nope")
    assert result.exit_code == 1
    assert "Error: no porting request 'port_nope' on this account" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_status_quotes_the_id_into_the_path(sandbox_server, orbit_env):
    """An id with a slash cannot reach another endpoint."""
    orbit_env(sandbox_server().url)
    result = run("port", "status", "../../numbers")
    assert result.exit_code == 1
    assert "no porting request '../../numbers'" in result.stderr


def test_port_status_needs_an_id():
    result = run("port", "status")
    assert result.exit_code == 1
    assert "Missing argument 'ID'" in result.stderr


def test_port_with_no_arguments_shows_both_subcommands():
    result = run("port")
    assert result.exit_code == 1
    assert "submit" in result.output and "status" in result.output


# --- how long --sandbox takes to port: --sandbox-port-days, or its environment variable ----------


def _sandbox_port_status(*global_options: str) -> str:
    submitted = run("--sandbox", *global_options, "port", "+14155551234", "--carrier", "Acme",
                    "--authorization-name", "J D", "--output", "json")
    assert submitted.exit_code == 0, submitted.stderr
    port_id = json.loads(submitted.stdout)["id"]
    status = run("--sandbox", "port", "status", port_id, "--output", "json")
    assert status.exit_code == 0, status.stderr
    return json.loads(status.stdout)["status"]


def test_sandbox_port_days_0_completes_an_in_process_port_at_once():
    assert _sandbox_port_status("--sandbox-port-days", "0") == "completed"
    listed = run("--sandbox", "list", "--output", "json")
    assert "+14155551234" in listed.stdout


def test_the_environment_variable_stands_in_for_sandbox_port_days(monkeypatch):
    monkeypatch.setenv("ORBITCTL_SANDBOX_PORT_DAYS", "0")
    assert _sandbox_port_status() == "completed"


def test_without_the_knob_an_in_process_port_is_pending():
    assert _sandbox_port_status() == "pending"


def test_a_bad_sandbox_port_days_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("ORBITCTL_SANDBOX_PORT_DAYS", "soon")
    result = run("--sandbox", "port", "status", "port_x")
    assert result.exit_code == 1
    assert "Invalid value for '--sandbox-port-days'" in result.stderr and "Traceback" not in result.stderr
