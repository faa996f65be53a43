"""Porting requests: validation, and a status that moves on with the (simulated) clock until the
numbers join the account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orbitctl.sandbox.app import create_app
from orbitctl.sandbox.store import read_state
from tests.helpers import sandbox_api

START = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
REQUEST = {
    "numbers": ["+14155551234", "+447400123456"],
    "current_carrier": "Acme Telecom",
    "authorization_name": "John Doe",
    "account_number": "ACC-12345",
    "pin": "secret-pin-9876",
}


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(tmp_path):
    clock = Clock()
    with sandbox_api(tmp_path / "port.json", clock=clock) as client:
        yield client, clock, tmp_path / "port.json"


def test_status_moves_on_and_numbers_join_the_account(world):
    client, clock, state = world
    port = client.post("/api/v1/numbers/porting", json=REQUEST).json()["data"]
    assert port["status"] == "pending"
    assert port["estimated_completion"] == "2026-03-22T00:00:00Z"
    path = f"/api/v1/numbers/porting/{port['id']}"

    clock.now = START + timedelta(hours=23)
    assert client.get(path).json()["data"]["status"] == "pending"
    clock.now = START + timedelta(days=1)
    assert client.get(path).json()["data"]["status"] == "in_progress"
    assert client.get("/api/v1/numbers").json()["data"] == []

    clock.now = datetime(2026, 3, 22, tzinfo=UTC)
    assert client.get(path).json()["data"]["status"] == "completed"
    listed = client.get("/api/v1/numbers").json()["data"]
    assert {(item["number"], item["country"], item["status"]) for item in listed} == {
        ("+14155551234", "US", "active"),
        ("+447400123456", "GB", "active"),
    }
    gb = next(item for item in listed if item["country"] == "GB")
    assert gb["type"] == "mobile" and gb["created_at"] == "2026-03-22T00:00:00Z"

    clock.now += timedelta(days=3)
    assert len(client.get("/api/v1/numbers").json()["data"]) == 2  # joined once
    assert "secret-pin-9876" not in state.read_text()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"numbers": None}, "numbers"),
        ({"numbers": []}, "numbers"),
        ({"numbers": "+14155551234"}, "numbers"),
        ({"numbers": ["4155551234"]}, "numbers[0]"),
        ({"numbers": ["+14155551234", "+14155551234"]}, "numbers"),
        ({"current_carrier": None}, "current_carrier"),
        ({"current_carrier": "  "}, "current_carrier"),
        ({"authorization_name": None}, "authorization_name"),
        ({"authorization_name": 5}, "authorization_name"),
        ({"account_number": 12345}, "account_number"),
        ({"pin": 1234}, "pin"),
    ],
)
def test_porting_body_is_validated(world, change, field):
    client, _clock, _state = world
    body = {k: v for k, v in {**REQUEST, **change}.items() if v is not None}
    response = client.post("/api/v1/numbers/porting", json=body)
    assert response.status_code == 422
    assert field in {detail["field"] for detail in response.json()["error"]["details"]}


def test_porting_a_number_already_on_the_account_or_already_porting(world):
    client, _clock, _state = world
    client.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550100"})
    response = client.post("/api/v1/numbers/porting", json={**REQUEST, "numbers": ["+14155550100"]})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "numbers[0]"
    assert client.post("/api/v1/numbers/porting", json=REQUEST).status_code == 201
    clash = client.post("/api/v1/numbers/porting", json={**REQUEST, "numbers": ["+447400123456"]})
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "conflict"


def test_a_ported_in_toll_free_number_cannot_be_bought_again_from_another_nanp_country(world):
    """libphonenumber files every NANP toll-free number under US; the account still holds it
    once, so Canada's inventory no longer offers it."""
    client, clock, _state = world
    search = {"country": "CA", "type": "toll_free", "limit": 1}
    number = client.get("/api/v1/numbers/available", params=search).json()["data"][0]["number"]
    port = {**REQUEST, "numbers": [number]}
    assert client.post("/api/v1/numbers/porting", json=port).status_code == 201
    clock.now = START + timedelta(days=15)
    assert [item["number"] for item in client.get("/api/v1/numbers").json()["data"]] == [number]

    assert number not in [
        row["number"] for row in client.get("/api/v1/numbers/available", params=search).json()["data"]
    ]
    again = client.post("/api/v1/numbers/purchase", json={"phone_number": number, "country_code": "CA"})
    assert again.status_code == 409
    assert len(client.get("/api/v1/numbers").json()["data"]) == 1


# --- how fast ports complete, and numbers that cannot be ported -------------------------------


@pytest.mark.parametrize("days, completion", [(3, "2026-03-11T00:00:00Z"), (14, "2026-03-22T00:00:00Z")])
def test_port_days_sets_the_estimated_completion(tmp_path, days, completion):
    with sandbox_api(clock=Clock(), port_days=days) as client:
        port = client.post("/api/v1/numbers/porting", json=REQUEST).json()["data"]
    assert (port["status"], port["estimated_completion"]) == ("pending", completion)


def test_port_days_0_completes_the_port_at_once(tmp_path):
    state = tmp_path / "fast.json"
    with sandbox_api(state, clock=Clock(), port_days=0) as client:
        port = client.post("/api/v1/numbers/porting", json=REQUEST).json()["data"]
        assert (port["status"], port["estimated_completion"]) == ("completed", "2026-03-08T12:00:00Z")
        listed = client.get("/api/v1/numbers").json()["data"]
    assert sorted(item["number"] for item in listed) == sorted(REQUEST["numbers"])
    events = [entry for entry in read_state(state)["audit"] if entry["method"] == "EVENT"]
    assert [entry["number"] for entry in events] == REQUEST["numbers"]  # joined once, in order


def test_port_days_may_not_be_negative():
    with pytest.raises(ValueError, match="port_days"):
        create_app(port_days=-1)


def _held_by_another_account(client) -> str:
    """A number in one of the sandbox's US blocks that is not for sale: another account holds it."""
    rows = client.get("/api/v1/numbers/available", params={"country": "US", "area_code": "415", "limit": 500})
    for_sale = {row["number"] for row in rows.json()["data"]}
    block = next(number for number in sorted(for_sale) if not number.startswith("+1415555"))
    for last in range(10):
        candidate = block[:-1] + str(last)
        if candidate not in for_sale:
            return candidate
    raise AssertionError("a block with every slot for sale")


def test_a_number_on_another_orbit_account_cannot_be_ported_in(world):
    client, _clock, state = world
    held = _held_by_another_account(client)
    response = client.post("/api/v1/numbers/porting", json={**REQUEST, "numbers": ["+14155551234", held]})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == f"{held} already on another Orbit account: it cannot be ported in."
    assert read_state(state)["porting"] == {}  # nothing kept of a refused request
    # a number outside every block is with another carrier, one for sale is Orbit's own stock: both may be ported
    assert client.post("/api/v1/numbers/porting", json={**REQUEST, "numbers": ["+14155551234"]}).status_code == 201
    assert client.post("/api/v1/numbers/porting", json={**REQUEST, "numbers": ["+14155550100"]}).status_code == 201
