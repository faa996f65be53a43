"""OrbitClient.get_port: GET /porting/{id}, typed, retried like every GET."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orbitctl.account.api import NotFoundError, PortingRequest
from tests.account.test_client import error, ok, scripted_client

PORT = {
    "id": "port_1",
    "numbers": ["+14155551234"],
    "status": "in_progress",
    "estimated_completion": "2026-03-22T00:00:00Z",
    "created_at": "2026-03-08T12:00:00Z",
}


def test_get_port_reads_the_request_typed():
    client, script, _ = scripted_client(ok(PORT))
    assert client.get_port("port_1") == PortingRequest(
        id="port_1", numbers=("+14155551234",), status="in_progress",
        estimated_completion=datetime(2026, 3, 22, tzinfo=UTC), created_at=datetime(2026, 3, 8, 12, tzinfo=UTC),
    )
    [request] = script.requests
    assert request.method == "GET" and request.url.raw_path == b"/api/v1/numbers/porting/port_1"


def test_get_port_quotes_the_id_and_is_retried_on_a_server_error():
    client, script, _ = scripted_client(error(503, "unavailable", "try again"), ok(PORT))
    assert client.get_port("a/b c").status == "in_progress"
    assert [request.url.raw_path for request in script.requests] == [b"/api/v1/numbers/porting/a%2Fb%20c"] * 2


def test_an_unknown_port_is_not_found():
    client, _, _ = scripted_client(error(404, "not_found", "No porting request with id port_x."))
    with pytest.raises(NotFoundError):
        client.get_port("port_x")


@pytest.mark.parametrize("port_id", ["", None])
def test_get_port_needs_an_id(port_id):
    client, script, _ = scripted_client()
    with pytest.raises(ValueError, match="a porting request id"):
        client.get_port(port_id)
    assert script.requests == []
