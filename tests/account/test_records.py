"""The client as a library: typed attributes on its records, every error an OrbitError, the base
URL as the API page writes it, a refused connection that fails at once."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from orbitctl.account.api import (
    ConfigurationError,
    InvalidArgumentError,
    NumberRecord,
    OrbitError,
    RoutingRecord,
    TransportError,
)
from orbitctl.account.client import OrbitClient
from tests.account.test_client import NUMBER, ok, scripted_client
from tests.conftest import TEST_API_KEY
from tests.helpers import run

DETAIL = {
    **NUMBER,
    "tags": ["support", "orbitctl-prod-main"],
    "sms_webhook_url": "https://hooks.example.com/sms",
    "voice_webhook_url": None,
    "forwarding_number": "",
    "channel_config": {"whatsapp": {"display_name": "Acme"}},
    "agent_id": None,
    "updated_at": "2026-03-08T12:10:00+02:00",
}


def test_a_number_has_typed_attributes_and_keeps_the_raw_fields():
    client, _, _ = scripted_client(ok(DETAIL))
    record = client.get_number("num_abc123")
    assert (record.id, record.number, record.country, record.type) == ("num_abc123", "+14155550100", "US", "local")
    assert record.label == "Main Support Line" and record.status == "active"
    assert record.monthly_cost == Decimal("1.50") and isinstance(record.monthly_cost, Decimal)
    assert record.currency == "USD"
    assert record.created_at == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert record.updated_at == datetime(2026, 3, 8, 10, 10, tzinfo=UTC)
    assert record.capabilities == ("sms", "voice") and record.tags == ("support", "orbitctl-prod-main")
    assert record.sms_webhook_url == "https://hooks.example.com/sms" and record.voice_webhook_url is None
    assert record.forwarding_number == ""  # as the API wrote it: "" is how it says "none"
    assert record.channel_config == {"whatsapp": {"display_name": "Acme"}}
    assert record.agent_id is None
    # the raw mapping, as before: absent and null stay apart
    assert record.fields["monthly_cost"] == "1.50" and record.get("created_at") == "2026-03-08T12:00:00Z"
    assert "agent_id" in record.fields and "compliance_profile_id" not in record.fields


def test_an_absent_field_is_none_or_an_empty_tuple():
    record = NumberRecord(id="num_1", number="+14155550100", fields={"id": "num_1", "number": "+14155550100"})
    assert record.label is None and record.monthly_cost is None and record.created_at is None
    assert record.tags == () and record.capabilities == () and record.channel_config is None


def test_an_attribute_is_parsed_once_then_kept():
    record = NumberRecord(id="num_1", number="+1", fields={"created_at": "2026-03-08T12:00:00Z", "monthly_cost": "2"})
    assert record.created_at is record.created_at
    assert record.monthly_cost is record.monthly_cost
    assert "created_at" in vars(record)  # kept on the instance: the next read is a plain lookup


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("monthly_cost", "1,50", "not a decimal"),
        ("monthly_cost", "NaN", "not a decimal"),
        ("monthly_cost", True, "not a decimal"),
        ("created_at", "yesterday", "not an ISO 8601 timestamp"),
        ("created_at", 1700000000, "not an ISO 8601 timestamp"),
        ("tags", ("ok", 3), "not a list of strings"),
        ("label", 7, "not text"),
        ("channel_config", "x", "not an object"),
    ],
)
def test_a_value_of_the_wrong_type_is_an_orbit_error_when_read(field, value, words):
    record = NumberRecord(id="num_1", number="+1", fields={field: value})
    with pytest.raises(OrbitError, match=rf"number num_1: Orbit returned '{field}' as .*, {words}"):
        getattr(record, field)
    assert record.fields[field] == value  # still readable raw


def test_list_items_have_the_same_attributes():
    client, _, _ = scripted_client(ok([NUMBER], pagination={"has_more": False}))
    [record] = client.iter_numbers()
    assert record.monthly_cost == Decimal("1.50") and record.created_at == datetime(2026, 3, 8, 12, tzinfo=UTC)
    assert record.tags == ()  # list items carry no tags


def test_a_routing_record_has_its_agent():
    assert RoutingRecord(number="+1", fields={"agent_id": "agt_1"}).agent_id == "agt_1"
    assert RoutingRecord(number="+1").agent_id is None


def test_a_search_row_keeps_its_raw_fields():
    row = {"number": "+14155550100", "country": "US", "type": "local", "capabilities": ["sms"],
           "monthly_cost": "1.50", "currency": "USD", "rate_center": "SNFC"}
    client, _, _ = scripted_client(ok([row]))
    [offer] = client.search_available("US")
    assert offer.monthly_cost == Decimal("1.50") and offer.get("rate_center") == "SNFC"


# --- every error an OrbitError ------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.search_available("US", limit=0),
        lambda client: client.search_available(""),
        lambda client: client.iter_numbers(page_size=201),
        lambda client: client.get_number(""),
        lambda client: client.configure("num_1", colour="red"),
        lambda client: client.route("+14155550100", ""),
        lambda client: client.get_port(""),
    ],
)
def test_a_refused_argument_is_an_orbit_error_and_sends_nothing(call):
    client, script, _ = scripted_client()
    with pytest.raises(InvalidArgumentError) as caught:
        call(client)
    assert isinstance(caught.value, OrbitError) and isinstance(caught.value, ValueError)
    assert script.requests == []


@pytest.mark.parametrize(
    "make",
    [
        lambda: OrbitClient(""),
        lambda: OrbitClient(TEST_API_KEY, "ftp://x.test"),
        lambda: OrbitClient(TEST_API_KEY, timeout=0),
        lambda: OrbitClient(TEST_API_KEY, max_retries=-1),
        lambda: OrbitClient.from_env({}),
        lambda: OrbitClient.from_env({"ORBIT_API_KEY": TEST_API_KEY, "ORBIT_API_URL": "nonsense"}),
    ],
)
def test_a_client_that_cannot_be_set_up_is_an_orbit_error(make):
    with pytest.raises(ConfigurationError) as caught:
        make()
    assert isinstance(caught.value, OrbitError)
    assert "--sandbox" not in str(caught.value)  # the CLI's hint, not the library's


def test_the_cli_adds_the_sandbox_hint_when_the_key_is_missing(monkeypatch, tmp_path):
    monkeypatch.delenv("ORBIT_API_KEY", raising=False)
    (tmp_path / "numbers.yaml").write_text("version: 1\nstack: s\nnumbers: {}\n")
    result = run("plan", str(tmp_path / "numbers.yaml"))
    assert result.exit_code == 1
    assert "ORBIT_API_KEY is not set: export your Orbit API key first (export ORBIT_API_KEY=dv_live_sk_...), " \
        "or use --sandbox to run against the local emulator with no account." in result.output


# --- the base URL ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "https://api.orbit.devotel.io/api/v1",
        "https://api.orbit.devotel.io/api/v1/",
        "https://api.orbit.devotel.io/api/v1/numbers",
        "https://api.orbit.devotel.io",
    ],
)
def test_a_base_url_with_the_api_prefix_is_accepted(given):
    client, script, _ = scripted_client(ok(NUMBER))
    client = OrbitClient.from_env(
        {"ORBIT_API_KEY": TEST_API_KEY, "ORBIT_API_URL": given}, transport=httpx.MockTransport(script)
    )
    assert client.base_url == "https://api.orbit.devotel.io"
    client.get_number("num_abc123")
    assert str(script.requests[0].url) == "https://api.orbit.devotel.io/api/v1/numbers/num_abc123"


def test_a_base_url_under_a_path_keeps_that_path():
    client = OrbitClient(TEST_API_KEY, "https://gateway.example.com/orbit/api/v1")
    assert client.base_url == "https://gateway.example.com/orbit"
    assert OrbitClient(TEST_API_KEY, "https://gateway.example.com/v1").base_url == "https://gateway.example.com/v1"


# --- a refused connection -----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_fails_at_once_with_the_url_and_the_fix():
    url = f"http://127.0.0.1:{_closed_port()}"
    client = OrbitClient(TEST_API_KEY, url)  # the real sleep: a retry would show in the time
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        list(client.iter_numbers())
    assert time.monotonic() - started < 2.0
    assert f"could not connect to {url}" in str(caught.value)
    assert "check the base URL (ORBIT_API_URL" in str(caught.value)


def test_plan_against_a_refused_url_fails_within_two_seconds(orbit_env, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    orbit_env(url)
    (tmp_path / "numbers.yaml").write_text("version: 1\nstack: s\nnumbers: {}\n")
    started = time.monotonic()
    result = run("plan", str(tmp_path / "numbers.yaml"))
    assert time.monotonic() - started < 2.0
    assert result.exit_code == 1
    assert f"could not connect to {url}" in result.output and "ORBIT_API_URL" in result.output
