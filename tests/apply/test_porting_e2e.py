"""Porting end to end against a served sandbox on a simulated clock: port, wait, adopt; one
request per carrier and authorisation; refused ports; the PIN reaching the request and nothing
else; an apply killed between recording a request and hearing back from Orbit."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orbitctl.account.client import OrbitClient
from orbitctl.sandbox.inventory import Inventory
from orbitctl.sandbox.store import read_state
from tests.conftest import TEST_API_KEY
from tests.helpers import account, audit, changing_requests, porting_requests, run, write_manifest
from tests.processes import orbitctl_process

PIN = "pin-5550-1234-unique"
P1, P2, P3 = "+14155551234", "+14155551235", "+12125551234"
START = datetime(2026, 3, 8, 12, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def ported(name: str, number: str, carrier: str = "Acme Telecom", *, label: str = "", pin: bool = True) -> str:
    pin_line = '      pin: "${CARRIER_PIN}"\n' if pin else ""
    label_line = f"    label: {label}\n" if label else ""
    return (
        f"  {name}:\n    number: \"{number}\"\n{label_line}    port_in:\n      current_carrier: {carrier}\n"
        f"      authorization_name: Jo Doe\n      account_number: ACC-12345\n{pin_line}"
    )


@pytest.fixture
def world(checkout, sandbox_server, orbit_env, monkeypatch):
    """A served sandbox on a clock the test moves, the environment pointing at it, the PIN set."""
    clock = Clock()
    server = sandbox_server(clock=clock)
    orbit_env(server.url)
    monkeypatch.setenv("CARRIER_PIN", PIN)
    return server, clock, checkout


def apply(manifest, *extra, code=0):
    result = run("apply", str(manifest), "--auto-approve", *extra)
    assert result.exit_code == code, result.output + result.stderr
    return result


def plan_json(manifest, code=0) -> dict:
    result = run("plan", str(manifest), "--output", "json", "--detailed-exitcode")
    assert result.exit_code == code, result.output + result.stderr
    return json.loads(result.stdout)


def test_two_numbers_of_a_carrier_go_in_one_request_and_two_carriers_in_two(world):
    server, _clock, checkout = world
    manifest = write_manifest(checkout / "m.yaml", ported("a", P1) + ported("b", P2) + ported("c", P3, "Beta Mobile"))
    output = apply(manifest).output
    assert [entry["numbers"] for entry in porting_requests(server)] == [[P1, P2], [P3]]
    assert "Apply complete: 0 purchased, 3 submitted for porting" in output
    assert account(server) == {}  # nothing bought


def test_a_port_is_submitted_once_waited_for_and_its_numbers_adopted_when_they_arrive(world):
    server, clock, checkout = world
    manifest = write_manifest(checkout / "m.yaml", ported("a", P1, label="Main") + ported("b", P2, label="Second"))

    first = plan_json(manifest, code=2)
    assert first["summary"]["port"] == 2 and first["monthly_cost_delta"] == "0.00"
    assert [a["port_in"]["pin_env"] for a in first["actions"]] == ["CARRIER_PIN", "CARRIER_PIN"]
    apply(manifest)
    [request] = porting_requests(server)

    # a second apply submits nothing: the ports are waited for, and are no change
    since = len(audit(server))
    again = apply(manifest)
    assert changing_requests(server, since) == [] and "No changes" in again.output
    waiting = plan_json(manifest, code=0)
    assert waiting["actions"] == [] and waiting["summary"]["waiting"] == 2
    assert [(w["name"], w["number"], w["port_id"], w["status"]) for w in waiting["waiting"]] == [
        ("a", P1, request["port_id"], "pending"),
        ("b", P2, request["port_id"], "pending"),
    ]
    assert waiting["waiting"][0]["estimated_completion"] == "2026-03-22T00:00:00Z"
    clock.now = START + timedelta(days=2)
    text = run("plan", str(manifest), "--detailed-exitcode")
    assert text.exit_code == 0
    assert f"porting request {request['port_id']}: in_progress, submitted 2026-03-08T12:00:00Z" in text.output

    # the port completes: the numbers are on the account, adopted with the entries' configuration
    clock.now = START + timedelta(days=14)
    adopted = plan_json(manifest, code=2)
    assert [(a["action"], a["name"]) for a in adopted["actions"]] == [("adopt", "a"), ("adopt", "b")]
    apply(manifest)
    labels = {fields["number"]: fields["label"] for fields in account(server).values()}
    assert labels == {P1: "Main", P2: "Second"}
    assert plan_json(manifest, code=0)["actions"] == []
    assert json.loads((checkout / ".orbitctl" / "ports.json").read_text())["requests"] == []
    assert len(porting_requests(server)) == 1


def test_the_pin_reaches_the_request_and_nothing_else(world, monkeypatch, caplog):
    server, _clock, checkout = world
    caplog.set_level(logging.DEBUG)  # every logger, the client's connections' included
    sent = []
    submit_port = OrbitClient.submit_port

    def recording(self, numbers, **fields):
        sent.append(fields["pin"])
        return submit_port(self, numbers, **fields)

    monkeypatch.setattr(OrbitClient, "submit_port", recording)
    manifest = write_manifest(checkout / "m.yaml", ported("a", P1))
    outputs = [run("plan", str(manifest), "--out", "plan.json", "--output", output) for output in ("text", "json")]
    outputs.append(run("plan", str(manifest), "--output", "markdown"))
    outputs.append(run("show", "plan.json"))
    outputs.append(apply("plan.json"))
    outputs.append(run("plan", str(manifest), "--output", "json"))
    outputs.append(run("port", "status", porting_requests(server)[0]["port_id"]))
    assert sent == [PIN]
    assert "POST /api/v1/numbers/porting: HTTP 201" in caplog.text  # the port request went by the loggers
    assert PIN not in caplog.text
    for result in outputs:
        assert PIN not in result.output + result.stderr
    state_files = [path for path in (checkout / ".orbitctl").rglob("*") if path.is_file()]
    files = [checkout / "plan.json", server.state_path, *state_files]
    assert checkout / ".orbitctl" / "ports.json" in files
    for path in files:
        assert PIN not in path.read_text(), path


def test_a_missing_pin_variable_is_a_warning_in_plan_and_stops_apply_before_anything(world, monkeypatch):
    server, _clock, checkout = world
    monkeypatch.delenv("CARRIER_PIN")
    manifest = write_manifest(checkout / "m.yaml", "  fresh:\n    country: US\n" + ported("a", P1))
    planned = run("plan", str(manifest))
    assert planned.exit_code == 0
    assert "Warning: port_in.pin of a: the environment variable CARRIER_PIN is not set" in planned.stderr
    refused = apply(manifest, code=1)
    assert "CARRIER_PIN is not set" in refused.stderr and "Nothing was changed." in refused.stderr
    assert audit(server) == []  # not even the purchase


def _held_by_another_account() -> str:
    """A number of the sandbox's blocks that is not for sale: another Orbit account holds it."""
    inventory = Inventory(0)
    rows = inventory.search("US", area_code="415", limit=500)
    for_sale = {row.number for row in rows}
    base = next(row.number for row in rows if not row.number.startswith("+1415555"))
    return next(base[:-1] + str(d) for d in range(10) if base[:-1] + str(d) not in for_sale)


def test_a_refused_port_is_reported_remembers_nothing_and_is_planned_again(world):
    server, _clock, checkout = world
    held = _held_by_another_account()
    manifest = write_manifest(checkout / "m.yaml", ported("taken", held) + ported("c", P3, "Beta Mobile"))
    result = apply(manifest, code=1)
    line = next(line for line in result.output.splitlines() if line.startswith("taken: port"))
    assert "FAILED: " in line and "409 conflict" in line and f"{held} already on another Orbit account" in line
    assert "c: port +12125551234 done" in result.output  # the other carrier's request went through
    assert [entry["numbers"] for entry in porting_requests(server)] == [[P3]]
    records = json.loads((checkout / ".orbitctl" / "ports.json").read_text())["requests"]
    assert [list(record["names"]) for record in records] == [[P3]]
    again = plan_json(manifest, code=2)
    assert [(a["action"], a["name"]) for a in again["actions"]] == [("port", "taken")]
    assert [w["name"] for w in again["waiting"]] == ["c"]


def test_a_port_the_api_finds_invalid_is_a_422_and_is_not_remembered(world, monkeypatch):
    server, _clock, checkout = world
    monkeypatch.setenv("CARRIER_PIN", "9" * 201)  # the sandbox takes at most 200 characters
    manifest = write_manifest(checkout / "m.yaml", ported("a", P1))
    result = apply(manifest, code=1)
    assert "a: port +14155551234 FAILED: " in result.output and "422 validation_error" in result.output
    assert "9" * 201 not in result.output + result.stderr
    assert porting_requests(server) == []
    assert json.loads((checkout / ".orbitctl" / "ports.json").read_text())["requests"] == []


def test_an_apply_stopped_after_recording_the_request_never_submits_it_twice(world, monkeypatch):
    """Stopped after the record is written and before the request leaves: the request is
    unconfirmed; plans wait for it and never send it by themselves; forgetting it lets the next
    apply submit it, once."""
    server, _clock, checkout = world
    manifest = write_manifest(checkout / "m.yaml", ported("a", P1))

    def stopped(self, numbers, **fields):
        raise KeyboardInterrupt  # as a kill at that instant: nothing after it runs

    with monkeypatch.context() as patch:
        patch.setattr(OrbitClient, "submit_port", stopped)
        run("apply", str(manifest), "--auto-approve")
    assert porting_requests(server) == []
    waiting = plan_json(manifest, code=0)
    [entry] = waiting["waiting"]
    assert (entry["status"], entry["port_id"]) == ("unconfirmed", None)
    assert f"orbitctl port forget {P1}" in entry["note"]
    apply(manifest)
    assert porting_requests(server) == []

    forgot = run("port", "forget", P1)
    assert forgot.exit_code == 0 and f"Forgot the porting request for {P1}." in forgot.output
    apply(manifest)
    apply(manifest)
    assert [entry["numbers"] for entry in porting_requests(server)] == [[P1]]
    unknown = run("port", "forget", P2)
    assert unknown.exit_code == 1 and f"orbitctl remembers no porting request for {P2}" in unknown.stderr


def test_an_apply_killed_while_its_port_request_is_in_flight_never_submits_it_again(
    checkout, sandbox_server, monkeypatch
):
    """SIGKILL while the request is on its way (the sandbox answers slowly): Orbit took it, the
    answer was lost. The next applies submit nothing; the number is adopted when it arrives."""
    clock = Clock()
    server = sandbox_server(clock=clock, latency_ms=1500)
    manifest = write_manifest(checkout / "m.yaml", ported("a", P1, label="Main"))
    env = {**os.environ, "ORBIT_API_URL": server.url, "ORBIT_API_KEY": TEST_API_KEY, "CARRIER_PIN": PIN}
    ports_file = checkout / ".orbitctl" / "ports.json"
    with orbitctl_process("apply", str(manifest), "--auto-approve", env=env, cwd=checkout) as process:
        deadline = time.monotonic() + 30
        while not (ports_file.exists() and '"port_id": null' in ports_file.read_text()):
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 10
    while not porting_requests(server):  # the sandbox finishes the request it was handed
        assert time.monotonic() < deadline
        time.sleep(0.05)

    monkeypatch.setenv("ORBIT_API_URL", server.url)
    monkeypatch.setenv("ORBIT_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("CARRIER_PIN", PIN)
    server.app.faults.latency = 0
    assert plan_json(manifest, code=0)["waiting"][0]["status"] == "unconfirmed"
    apply(manifest)
    assert len(porting_requests(server)) == 1
    clock.now = START + timedelta(days=14)
    apply(manifest)
    assert [fields["label"] for fields in account(server).values()] == ["Main"]
    assert plan_json(manifest, code=0)["actions"] == []
    assert json.loads(ports_file.read_text())["requests"] == []
    assert PIN not in read_state(server.state_path).__repr__()


# --- the "done when": routing, WhatsApp and porting converge on the sandbox ------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "porting.yaml"


def test_the_porting_example_converges_on_the_sandbox_clock(world):
    """Two numbers routed to agents, a WhatsApp number bought, two ported in: apply, the port
    completes on the sandbox's clock, apply again adopts them, and the plan after it is empty."""
    server, clock, checkout = world
    manifest = checkout / "porting.yaml"
    manifest.write_text(EXAMPLE.read_text())
    apply(manifest)
    assert [entry["numbers"] for entry in porting_requests(server)] == [[P2, P1]]
    numbers = {fields["label"]: fields for fields in account(server).values()}
    assert {label: fields["agent_id"] for label, fields in numbers.items()} == {
        "Support": "agt_support", "Sales": "agt_sales", "WhatsApp support": None,
    }
    assert "whatsapp" in numbers["WhatsApp support"]["capabilities"]
    assert plan_json(manifest, code=0)["summary"]["waiting"] == 2

    clock.now = START + timedelta(days=14)
    apply(manifest)
    labels = sorted(fields["label"] for fields in account(server).values())
    assert labels == ["Back office", "Front desk", "Sales", "Support", "WhatsApp support"]
    final = plan_json(manifest, code=0)
    assert final["actions"] == [] and "waiting" not in final and final["summary"]["unchanged"] == 5
    assert len(porting_requests(server)) == 1


def test_the_porting_example_converges_in_process_when_ports_complete_at_once(checkout, monkeypatch):
    """From a clean directory with the embedded sandbox: --sandbox-port-days 0."""
    monkeypatch.setenv("CARRIER_PIN", PIN)
    manifest = checkout / "porting.yaml"
    manifest.write_text(EXAMPLE.read_text())
    first = run("--sandbox", "--sandbox-port-days", "0", "apply", str(manifest), "--auto-approve")
    assert first.exit_code == 0, first.output + first.stderr
    assert "3 purchased, 2 submitted for porting" in first.output
    second = run("--sandbox", "apply", str(manifest), "--auto-approve")
    assert second.exit_code == 0 and "2 adopted" in second.output
    final = run("--sandbox", "plan", str(manifest), "--detailed-exitcode")
    assert final.exit_code == 0 and "No changes." in final.output
