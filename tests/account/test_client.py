"""OrbitClient against scripted answers (httpx.MockTransport): requests, records, typed errors,
retries, pagination, malformed responses, and the key kept secret.

No network and no real waiting: every client gets a MockTransport and an injected sleep.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import httpx
import pytest

import orbitctl
from orbitctl.account.api import (
    AuthenticationError,
    AvailableNumber,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    OrbitError,
    PortingRequest,
    RateLimitedError,
    RoutingRecord,
    ServerError,
    TransportError,
    ValidationError,
)
from orbitctl.account.client import OrbitClient
from tests.conftest import TEST_API_KEY

BASE_URL = "https://orbit.test"

NUMBER = {
    "id": "num_abc123",
    "number": "+14155550100",
    "country": "US",
    "type": "local",
    "label": "Main Support Line",
    "capabilities": ["sms", "voice"],
    "status": "active",
    "monthly_cost": "1.50",
    "currency": "USD",
    "created_at": "2026-03-08T12:00:00Z",
}


def ok(data: Any, *, status: int = 200, pagination: dict | None = None, request_id: str = "req_ok_1") -> httpx.Response:
    meta: dict[str, Any] = {"request_id": request_id, "timestamp": "2026-03-08T12:00:00Z"}
    if pagination is not None:
        meta["pagination"] = pagination
    return httpx.Response(status, json={"data": data, "meta": meta})


def error(
    status: int,
    code: str,
    message: str,
    *,
    details: list[dict] | None = None,
    headers: dict[str, str] | None = None,
    request_id: str = "req_err_1",
) -> httpx.Response:
    body = {
        "error": {"code": code, "message": message, "details": details or []},
        "meta": {"request_id": request_id, "timestamp": "2026-03-08T12:00:00Z"},
    }
    return httpx.Response(status, json=body, headers=headers)


class Script:
    """A MockTransport handler: answers with ``answers`` in turn (an exception is raised, a
    callable is called with the request) and records every request it receives."""

    def __init__(self, *answers: Any):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            assert self.answers, f"unexpected extra request: {request.method} {request.url}"
            answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


class Sleeps(list):
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def scripted_client(*answers: Any, **kw: Any) -> tuple[OrbitClient, Script, Sleeps]:
    script = Script(*answers)
    sleeps = Sleeps()
    kw.setdefault("sleep", sleeps)
    client = OrbitClient(TEST_API_KEY, BASE_URL, transport=httpx.MockTransport(script), **kw)
    return client, script, sleeps


# --- requests and records -----------------------------------------------------------------------


def test_every_request_carries_the_key_the_user_agent_and_json():
    client, script, _ = scripted_client(ok(NUMBER), user_agent_suffix="ci/1")
    client.configure("num_abc123", label="x")
    request = script.requests[0]
    assert request.headers["X-API-Key"] == TEST_API_KEY
    assert request.headers["User-Agent"] == f"orbitctl/{orbitctl.__version__} ci/1"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert str(request.url) == f"{BASE_URL}/api/v1/numbers/num_abc123"


def test_user_agent_without_suffix_is_orbitctl_and_version():
    client, script, _ = scripted_client(ok(NUMBER))
    client.get_number("num_abc123")
    assert script.requests[0].headers["User-Agent"] == f"orbitctl/{orbitctl.__version__}"


def test_base_url_path_prefix_and_trailing_slash_are_kept():
    script = Script(ok(NUMBER))
    client = OrbitClient(TEST_API_KEY, "http://proxy.test/orbit/", transport=httpx.MockTransport(script))
    client.get_number("num_1")
    assert str(script.requests[0].url) == "http://proxy.test/orbit/api/v1/numbers/num_1"


def test_search_available_sends_the_filters_and_returns_typed_rows():
    row = {
        "id": "inv_1",
        "number": "+14155550100",
        "country": "US",
        "type": "local",
        "region": "California",
        "capabilities": ["sms", "voice"],
        "monthly_cost": "1.50",
        "currency": "USD",
    }
    placeholder = {**row, "id": "inv_2", "number": "+14155550101", "placeholder": True, "monthly_cost": 2}
    client, script, _ = scripted_client(ok([row, placeholder]))
    found = client.search_available(
        "US", type="local", capabilities=["sms", "voice"], area_code="415", contains="555", limit=5
    )
    assert dict(script.requests[0].url.params) == {
        "country": "US",
        "type": "local",
        "capabilities": "sms,voice",
        "area_code": "415",
        "contains": "555",
        "limit": "5",
    }
    assert script.requests[0].url.path == "/api/v1/numbers/available"
    assert found == [
        AvailableNumber(
            number="+14155550100",
            country="US",
            type="local",
            capabilities=("sms", "voice"),
            monthly_cost=Decimal("1.50"),
            currency="USD",
            region="California",
            id="inv_1",
            placeholder=False,
        ),
        AvailableNumber(
            number="+14155550101",
            country="US",
            type="local",
            capabilities=("sms", "voice"),
            monthly_cost=Decimal("2"),
            currency="USD",
            region="California",
            id="inv_2",
            placeholder=True,
        ),
    ]


def test_search_available_omits_filters_not_given():
    client, script, _ = scripted_client(ok([]))
    assert client.search_available("GB") == []
    assert dict(script.requests[0].url.params) == {"country": "GB", "limit": "100"}


@pytest.mark.parametrize("limit", [0, 501, "5", True])
def test_search_limit_out_of_range_is_refused_before_any_request(limit):
    client, script, _ = scripted_client()
    with pytest.raises(ValueError, match="limit must be a whole number from 1 to 500"):
        client.search_available("US", limit=limit)
    assert script.requests == []


def test_purchase_sends_only_the_given_fields():
    client, script, _ = scripted_client(ok(NUMBER, status=201))
    record = client.purchase("+14155550100", country_code="US")
    assert json.loads(script.requests[0].content) == {"phone_number": "+14155550100", "country_code": "US"}
    assert script.requests[0].method == "POST"
    assert script.requests[0].url.path == "/api/v1/numbers/purchase"
    assert record.id == "num_abc123" and record.number == "+14155550100"


def test_purchase_forwards_capabilities_profile_and_inventory_id():
    client, script, _ = scripted_client(ok(NUMBER))
    client.purchase(
        "+14155550100",
        country_code="US",
        capabilities=("sms", "voice"),
        compliance_profile_id="cp_1",
        inventory_id="inv_9",
    )
    assert json.loads(script.requests[0].content) == {
        "phone_number": "+14155550100",
        "country_code": "US",
        "capabilities": ["sms", "voice"],
        "compliance_profile_id": "cp_1",
        "id": "inv_9",
    }


def test_get_number_returns_every_field_frozen():
    detail = {**NUMBER, "tags": ["support"], "channel_config": {"sms": {"x": 1}}, "agent_id": None}
    client, _, _ = scripted_client(ok(detail))
    record = client.get_number("num_abc123")
    assert record.id == "num_abc123"
    assert record.get("tags") == ("support",)
    assert record.get("channel_config")["sms"]["x"] == 1
    assert "agent_id" in record.fields and record.get("agent_id") is None
    with pytest.raises(TypeError):
        record.fields["label"] = "changed"  # type: ignore[index]


def test_number_id_is_escaped_in_the_path():
    client, script, _ = scripted_client(ok(NUMBER))
    client.get_number("../purchase")
    assert script.requests[0].url.raw_path == b"/api/v1/numbers/..%2Fpurchase"


def test_configure_sends_exactly_the_given_keys_with_null_and_thawed_values():
    client, script, _ = scripted_client(ok(NUMBER))
    client.configure(
        "num_abc123",
        label="Main",
        webhook_url=None,
        tags=("a", "b"),
        channel_config=MappingProxyType({"sms": MappingProxyType({"k": (1, 2)})}),
    )
    request = script.requests[0]
    assert request.method == "PUT"
    assert json.loads(request.content) == {
        "label": "Main",
        "webhook_url": None,
        "tags": ["a", "b"],
        "channel_config": {"sms": {"k": [1, 2]}},
    }


def test_configure_refuses_unknown_keys_before_any_request():
    client, script, _ = scripted_client()
    with pytest.raises(ValueError, match=r"cannot set agent_id, colour; the fields Orbit accepts are label"):
        client.configure("num_abc123", label="x", colour="red", agent_id="a")
    assert script.requests == []


def test_release_sends_delete_and_returns_none_on_204():
    client, script, _ = scripted_client(httpx.Response(204))
    assert client.release("num_abc123") is None
    assert script.requests[0].method == "DELETE"
    assert script.requests[0].url.path == "/api/v1/numbers/num_abc123"


def test_route_puts_the_agent_to_the_url_encoded_phone_number():
    routed = {"id": "num_abc123", "number": "+14155550100", "agent_id": "agt_support"}
    client, script, _ = scripted_client(ok(routed))
    result = client.route("+14155550100", "agt_support")
    request = script.requests[0]
    assert request.method == "PUT"
    assert request.url.raw_path == b"/api/v1/numbers/%2B14155550100/routing"
    assert json.loads(request.content) == {"agent_id": "agt_support"}
    assert result == RoutingRecord(number="+14155550100", fields=MappingProxyType(routed))
    assert result.get("agent_id") == "agt_support"


def test_route_to_no_agent_sends_null():
    client, script, _ = scripted_client(ok({"number": "+14155550100", "agent_id": None}))
    assert client.route("+14155550100", None).fields == {"number": "+14155550100", "agent_id": None}
    assert json.loads(script.requests[0].content) == {"agent_id": None}


@pytest.mark.parametrize("answer", [httpx.Response(204), httpx.Response(200)], ids=["204", "empty-200"])
def test_route_without_a_response_body_returns_an_empty_record(answer):
    client, _, _ = scripted_client(answer)
    record = client.route("+14155550100", "agt_1")
    assert record == RoutingRecord(number="+14155550100")
    assert "agent_id" not in record.fields


def test_route_is_retried_like_any_put():
    client, script, sleeps = scripted_client(error(503, "unavailable", "busy"), ok({"agent_id": "agt_1"}))
    assert client.route("+14155550100", "agt_1").get("agent_id") == "agt_1"
    assert len(script.requests) == 2 and len(sleeps) == 1
    assert script.requests[0].content == script.requests[1].content


def test_route_refused_raises_the_typed_error_naming_the_number_and_agent():
    client, _, _ = scripted_client(error(404, "not_found", "No number +14155550199 on this account."))
    with pytest.raises(NotFoundError, match=r"Routing \+14155550199 to agent 'agt_1' failed: not found"):
        client.route("+14155550199", "agt_1")
    client, _, _ = scripted_client(
        error(422, "validation_error", "Invalid", details=[{"field": "agent_id", "message": "must be an agent id"}])
    )
    with pytest.raises(ValidationError, match=r"Removing \+14155550199's agent failed") as caught:
        client.route("+14155550199", None)
    assert caught.value.field_errors == {"agent_id": "must be an agent id"}


@pytest.mark.parametrize("phone_number, agent_id", [("", "agt_1"), (None, "agt_1"), ("+14155550100", ""),
                                                    ("+14155550100", 7)])
def test_route_refuses_bad_arguments_before_any_request(phone_number, agent_id):
    client, script, _ = scripted_client()
    with pytest.raises(ValueError, match=r"route\(\) needs"):
        client.route(phone_number, agent_id)
    assert script.requests == []


def test_submit_port_sends_the_request_and_returns_it_typed():
    port = {
        "id": "port_1",
        "numbers": ["+14155551234"],
        "status": "pending",
        "estimated_completion": "2026-03-22T00:00:00Z",
        "created_at": "2026-03-08T12:00:00Z",
    }
    client, script, _ = scripted_client(ok(port, status=201))
    result = client.submit_port(["+14155551234"], current_carrier="Acme", authorization_name="Jo", pin="1234")
    assert json.loads(script.requests[0].content) == {
        "numbers": ["+14155551234"],
        "current_carrier": "Acme",
        "authorization_name": "Jo",
        "pin": "1234",
    }
    assert script.requests[0].url.path == "/api/v1/numbers/porting"
    assert result == PortingRequest(
        id="port_1",
        numbers=("+14155551234",),
        status="pending",
        estimated_completion=datetime(2026, 3, 22, tzinfo=UTC),
        created_at=datetime(2026, 3, 8, 12, tzinfo=UTC),
    )


def test_submit_port_accepts_one_number_and_an_account_number():
    port = {"id": "port_1", "numbers": ["+14155551234"], "status": "pending"}
    client, script, _ = scripted_client(ok(port))
    result = client.submit_port("+14155551234", current_carrier="Acme", authorization_name="Jo", account_number="A1")
    assert json.loads(script.requests[0].content) == {
        "numbers": ["+14155551234"],
        "current_carrier": "Acme",
        "authorization_name": "Jo",
        "account_number": "A1",
    }
    assert result.estimated_completion is None and result.created_at is None


def test_capabilities_given_as_one_string_are_read_as_comma_separated():
    client, script, _ = scripted_client(ok([]), ok(NUMBER))
    client.search_available("US", capabilities="sms, voice")
    client.purchase("+14155550100", country_code="US", capabilities="sms,voice")
    assert script.requests[0].url.params["capabilities"] == "sms,voice"
    assert json.loads(script.requests[1].content)["capabilities"] == ["sms", "voice"]


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda client: client.search_available(""), "search_available\\(\\) needs a country"),
        (lambda client: client.get_number(""), "a number id \\(e.g. 'num_abc123'\\) is needed"),
        (lambda client: client.release(None), "a number id"),
        (lambda client: client.configure("", label="x"), "a number id"),
    ],
)
def test_missing_arguments_are_refused_before_any_request(call, words):
    client, script, _ = scripted_client()
    with pytest.raises(ValueError, match=words):
        call(client)
    assert script.requests == []


# --- pagination ---------------------------------------------------------------------------------


def _page(ids, *, cursor, has_more):
    return ok([{**NUMBER, "id": i} for i in ids], pagination={"cursor": cursor, "has_more": has_more, "total": 5})


def test_iter_numbers_follows_every_cursor_lazily():
    client, script, _ = scripted_client(
        _page(["n1", "n2"], cursor="c1", has_more=True),
        _page(["n3", "n4"], cursor="c2", has_more=True),
        _page(["n5"], cursor="c3", has_more=False),
    )
    numbers = client.iter_numbers(page_size=2, country="US", capabilities="sms")
    assert script.requests == []  # nothing is fetched until the iterator is consumed
    assert next(numbers).id == "n1"
    assert len(script.requests) == 1
    assert [record.id for record in numbers] == ["n2", "n3", "n4", "n5"]
    params = [dict(request.url.params) for request in script.requests]
    assert params == [
        {"limit": "2", "country": "US", "capabilities": "sms"},
        {"limit": "2", "country": "US", "capabilities": "sms", "cursor": "c1"},
        {"limit": "2", "country": "US", "capabilities": "sms", "cursor": "c2"},
    ]


def test_iter_numbers_stops_when_has_more_is_false_even_with_a_cursor():
    client, script, _ = scripted_client(_page(["n1"], cursor="cur_num_abc", has_more=False))
    assert [record.id for record in client.iter_numbers()] == ["n1"]
    assert dict(script.requests[0].url.params) == {"limit": "200"}


def test_iter_numbers_page_that_failed_on_retry_raises_from_the_iterator():
    client, _, _ = scripted_client(
        _page(["n1"], cursor="c1", has_more=True),
        error(404, "not_found", "cursor expired"),
    )
    numbers = client.iter_numbers()
    assert next(numbers).id == "n1"
    with pytest.raises(NotFoundError, match=r"Listing the account's numbers \(page 2\) failed"):
        next(numbers)


def test_a_cursor_returned_twice_ends_with_a_clear_error_not_a_loop():
    client, _, _ = scripted_client(
        _page(["n1"], cursor="c1", has_more=True),
        _page(["n2"], cursor="c1", has_more=True),
    )
    with pytest.raises(OrbitError, match="returned the cursor 'c1' a second time"):
        list(client.iter_numbers())


def test_a_list_without_pagination_meta_is_one_page():
    client, script, _ = scripted_client(ok([NUMBER]))
    assert [record.id for record in client.iter_numbers()] == ["num_abc123"]
    assert len(script.requests) == 1


def test_pagination_that_is_not_an_object_is_a_malformed_response():
    client, _, _ = scripted_client(ok([NUMBER], pagination="next"))
    with pytest.raises(OrbitError, match=re.escape("'meta.pagination' is 'next'")):
        list(client.iter_numbers())


def test_has_more_without_a_cursor_is_a_malformed_response():
    client, _, _ = scripted_client(_page(["n1"], cursor=None, has_more=True))
    with pytest.raises(OrbitError, match="'has_more' is true but the cursor is None"):
        list(client.iter_numbers())


@pytest.mark.parametrize("page_size", [0, 201])
def test_page_size_out_of_range_is_refused_at_the_call(page_size):
    client, script, _ = scripted_client()
    with pytest.raises(ValueError, match="page_size must be a whole number from 1 to 200"):
        client.iter_numbers(page_size=page_size)
    assert script.requests == []


# --- typed errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "error_class", "words"),
    [
        (401, "unauthorized", AuthenticationError, "Orbit refused the API key; check ORBIT_API_KEY"),
        (403, "forbidden", AuthenticationError, "Orbit refused the API key; check ORBIT_API_KEY"),
        (404, "not_found", NotFoundError, "not found"),
        (409, "conflict", ConflictError, "conflict with the account's current state"),
        (422, "validation_error", ValidationError, "Orbit rejected the request as invalid"),
        (429, "rate_limited", RateLimitedError, "Orbit is rate limiting this API key"),
        (500, "internal_error", ServerError, "Orbit had a server error"),
        (503, "internal_error", ServerError, "Orbit had a server error"),
        (400, "bad_request", OrbitError, "Orbit refused the request"),
    ],
)
def test_each_status_raises_its_typed_error_with_a_readable_message(status, code, error_class, words):
    client, _, _ = scripted_client(error(status, code, "the server's words", request_id="req_777"), max_retries=0)
    with pytest.raises(error_class) as caught:
        client.get_number("num_abc123")
    problem = caught.value
    assert type(problem) is error_class
    assert problem.status == status
    assert problem.request_id == "req_777"
    assert str(problem) == (
        f"Reading number num_abc123 failed: {words} (HTTP {status} {code}: the server's words) "
        "[request id req_777]"
    )


def test_validation_error_carries_the_field_errors():
    details = [
        {"field": "label", "message": "at most 100 characters"},
        {"field": "tags", "message": "at most 10 tags"},
        {"field": "tags", "message": "'X' is not a slug"},
        {"message": "body is invalid"},
    ]
    client, _, _ = scripted_client(error(422, "validation_error", "Invalid request", details=details))
    with pytest.raises(ValidationError) as caught:
        client.configure("num_abc123", label="x" * 101)
    assert caught.value.field_errors == {
        "label": "at most 100 characters",
        "tags": "at most 10 tags; 'X' is not a slug",
    }
    assert "label: at most 100 characters; tags: at most 10 tags; tags: 'X' is not a slug; body is invalid" in str(
        caught.value
    )


def test_field_errors_already_in_the_server_message_are_not_repeated():
    details = [{"field": "label", "message": "too long"}]
    client, _, _ = scripted_client(error(422, "validation_error", "Invalid request: label: too long", details=details))
    with pytest.raises(ValidationError) as caught:
        client.configure("num_abc123", label="x" * 101)
    assert str(caught.value) == (
        "Configuring number num_abc123 failed: Orbit rejected the request as invalid "
        "(HTTP 422 validation_error: Invalid request: label: too long) [request id req_err_1]"
    )
    assert caught.value.field_errors == {"label": "too long"}


def test_rate_limited_error_carries_retry_after():
    client, _, _ = scripted_client(
        error(429, "rate_limited", "slow down", headers={"Retry-After": "3"}), max_retries=0
    )
    with pytest.raises(RateLimitedError) as caught:
        client.get_number("num_abc123")
    assert caught.value.retry_after == 3.0
    assert "it asked to wait 3 s" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        {"error": "not_found"},
        ["not_found"],
        {"error": {"code": 404, "message": ["no"], "details": ["x", {"field": 1}]}},
    ],
)
def test_an_error_body_of_another_shape_still_gives_the_typed_error(body):
    client, _, _ = scripted_client(httpx.Response(404, json=body))
    with pytest.raises(NotFoundError, match=r"^Reading number num_x failed: not found \(HTTP 404"):
        client.get_number("num_x")


def test_request_id_falls_back_to_the_header():
    client, _, _ = scripted_client(httpx.Response(404, text="no", headers={"X-Request-Id": "req_hdr"}))
    with pytest.raises(NotFoundError) as caught:
        client.get_number("num_x")
    assert caught.value.request_id == "req_hdr"
    assert str(caught.value).endswith("[request id req_hdr]")


def test_no_response_raises_transport_error_naming_the_server():
    client, _, _ = scripted_client(httpx.ConnectError("Connection refused"), max_retries=0)
    with pytest.raises(TransportError) as caught:
        client.get_number("num_abc123")
    assert caught.value.status is None
    assert str(caught.value) == (
        f"Reading number num_abc123 failed: could not connect to {BASE_URL} (Connection refused); "
        "check the base URL (ORBIT_API_URL, default https://api.orbit.devotel.io) and that this "
        "machine can reach it"
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_timeout_says_how_long_it_waited():
    client, _, _ = scripted_client(httpx.ReadTimeout("timed out"), max_retries=0, timeout=2.5)
    with pytest.raises(TransportError, match=f"no answer from {BASE_URL} within 2.5 s"):
        client.get_number("num_abc123")


def test_a_redirect_says_to_fix_the_base_url():
    client, _, _ = scripted_client(httpx.Response(301, headers={"Location": "https://orbit.test/v2"}))
    expected = "redirected the request to https://orbit.test/v2; set ORBIT_API_URL"
    with pytest.raises(OrbitError, match=re.escape(expected)):
        client.get_number("num_abc123")


# --- malformed responses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (
            httpx.Response(200, text="<html>maintenance</html>", headers={"Content-Type": "text/html"}),
            "with a body that is not JSON (text/html: '<html>maintenance</html>')",
        ),
        (httpx.Response(200, content=b""), "with a body that is not JSON (no content type: an empty body)"),
        (httpx.Response(200, content=b"\xff\xfe\x00"), "with a body that is not JSON"),
        (httpx.Response(200, json=[1, 2]), "not the documented envelope"),
        (httpx.Response(200, json={"result": NUMBER}), "not the documented envelope"),
        (httpx.Response(200, json={"data": [NUMBER]}), 'expected {"data": an object'),
        (ok({"number": "+14155550100"}), "a record lacks 'id'"),
        (ok({**NUMBER, "id": 7}), "'id' is 7"),
        (ok("num_abc123"), "not the documented envelope"),
    ],
)
def test_a_success_response_that_is_not_the_envelope_raises_orbit_error(response, words):
    client, _, _ = scripted_client(response)
    with pytest.raises(OrbitError) as caught:
        client.get_number("num_abc123")
    assert type(caught.value) is OrbitError
    assert words in str(caught.value)
    assert str(caught.value).startswith("Reading number num_abc123 failed:")


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (
            {"number": "+1", "country": "US", "type": "local", "capabilities": ["sms"], "currency": "USD"},
            "a record lacks 'monthly_cost'",
        ),
        (
            {
                "number": "+1",
                "country": "US",
                "type": "local",
                "capabilities": ["sms"],
                "currency": "USD",
                "monthly_cost": "cheap",
            },
            "'monthly_cost' is 'cheap', not a decimal",
        ),
        (
            {
                "number": "+1",
                "country": "US",
                "type": "local",
                "capabilities": ["sms"],
                "currency": "USD",
                "monthly_cost": "NaN",
            },
            "'monthly_cost' is 'NaN', not a decimal",
        ),
        (
            {
                "number": "+1",
                "country": "US",
                "type": "local",
                "capabilities": "sms",
                "currency": "USD",
                "monthly_cost": "1",
            },
            "'capabilities' is 'sms'",
        ),
        (
            {
                "number": "+1",
                "country": "US",
                "type": "local",
                "capabilities": [1],
                "currency": "USD",
                "monthly_cost": "1",
            },
            "'capabilities' is [1], not a list of strings",
        ),
        ("+14155550100", 'expected an object, got "+14155550100"'),
    ],
)
def test_a_search_row_of_the_wrong_shape_is_named(row, words):
    client, _, _ = scripted_client(ok([row]))
    with pytest.raises(OrbitError, match="Searching available numbers in US failed") as caught:
        client.search_available("US")
    assert words in str(caught.value)
    assert "[request id req_ok_1]" in str(caught.value)


def test_an_error_status_with_an_html_body_keeps_its_type_and_says_so():
    client, _, _ = scripted_client(
        httpx.Response(502, text="<html><body>Bad gateway</body></html>", headers={"X-Request-Id": "req_gw"}),
        max_retries=0,
    )
    with pytest.raises(ServerError) as caught:
        client.get_number("num_abc123")
    assert str(caught.value) == (
        "Reading number num_abc123 failed: Orbit had a server error (HTTP 502, not Orbit's error "
        "envelope: '<html><body>Bad gateway</body></html>') [request id req_gw]"
    )


def test_an_error_status_with_an_empty_body_names_only_the_status():
    client, _, _ = scripted_client(httpx.Response(500), max_retries=0)
    with pytest.raises(ServerError) as caught:
        client.get_number("num_abc123")
    assert str(caught.value) == "Reading number num_abc123 failed: Orbit had a server error (HTTP 500)"


def test_a_malformed_port_response_is_named():
    client, _, _ = scripted_client(ok({"id": "port_1", "numbers": ["+1"]}))
    with pytest.raises(OrbitError, match="a record lacks 'status'"):
        client.submit_port(["+1"], current_carrier="A", authorization_name="B")


# --- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_on_gateway_and_unavailable_statuses(status):
    client, script, sleeps = scripted_client(
        error(status, "internal_error", "down"), error(status, "internal_error", "down"), ok(NUMBER)
    )
    assert client.get_number("num_abc123").id == "num_abc123"
    assert len(script.requests) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectTimeout("slow to connect"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        httpx.ReadError("reset"),
        httpx.PoolTimeout("busy"),
    ],
)
def test_get_is_retried_after_no_response(failure):
    client, script, sleeps = scripted_client(failure, ok(NUMBER))
    assert client.get_number("num_abc123").id == "num_abc123"
    assert len(script.requests) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_a_refused_connection_is_not_retried(method):
    # nothing listens at the base URL: more attempts would only make the user wait for the error
    client, script, sleeps = scripted_client(httpx.ConnectError("Connection refused"), ok(NUMBER))
    call = {
        "get": lambda: client.get_number("num_abc123"),
        "put": lambda: client.configure("num_abc123", label="x"),
        "delete": lambda: client.release("num_abc123"),
    }[method]
    with pytest.raises(TransportError, match=rf"could not connect to {BASE_URL} .*check the base URL \(ORBIT_API_URL"):
        call()
    assert len(script.requests) == 1 and sleeps == []


def test_put_is_retried_with_the_same_body():
    client, script, _ = scripted_client(error(503, "internal_error", "down"), ok(NUMBER))
    client.configure("num_abc123", label="Main")
    assert [json.loads(request.content) for request in script.requests] == [{"label": "Main"}] * 2


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 501])
def test_statuses_another_attempt_cannot_cure_are_not_retried(status):
    client, script, sleeps = scripted_client(error(status, "some_code", "no"))
    with pytest.raises(OrbitError):
        client.get_number("num_abc123")
    assert len(script.requests) == 1 and sleeps == []


def test_a_500_on_an_idempotent_request_is_retried():
    client, script, sleeps = scripted_client(error(500, "internal_error", "hiccup"), httpx.Response(204))
    client.release("num_abc123")
    assert len(script.requests) == 2 and len(sleeps) == 1


def test_retries_stop_after_max_retries_and_say_how_many_attempts():
    client, script, sleeps = scripted_client(*[error(503, "internal_error", "down")] * 4, max_retries=3)
    with pytest.raises(ServerError, match=r"Orbit had a server error after 4 attempts \(HTTP 503"):
        client.get_number("num_abc123")
    assert len(script.requests) == 4 and len(sleeps) == 3


def test_transport_failures_stop_after_max_retries_too():
    client, script, _ = scripted_client(*[httpx.ReadError("reset")] * 3, max_retries=2)
    with pytest.raises(TransportError, match=r"\(reset\) after 3 attempts$"):
        client.get_number("num_abc123")
    assert len(script.requests) == 3


def test_an_unsupported_protocol_is_not_retried():
    client, script, _ = scripted_client(httpx.UnsupportedProtocol("no"))
    with pytest.raises(TransportError):
        client.get_number("num_abc123")
    assert len(script.requests) == 1


def test_backoff_is_exponential_capped_and_jittered_within_its_ceiling():
    client, _, sleeps = scripted_client(
        *[error(503, "internal_error", "down")] * 6, ok(NUMBER), max_retries=6, backoff_base=0.5, backoff_cap=4.0
    )
    client.get_number("num_abc123")
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(sleeps) == len(ceilings)
    assert all(0.0 <= wait <= ceiling for wait, ceiling in zip(sleeps, ceilings, strict=True))


def test_jitter_spreads_the_waits():
    client, _, sleeps = scripted_client(
        *[error(503, "internal_error", "down")] * 20, ok(NUMBER), max_retries=20, backoff_base=1.0, backoff_cap=1.0
    )
    client.get_number("num_abc123")
    assert len(set(sleeps)) > 1  # full jitter: not one fixed wait


def test_retry_after_is_honoured_exactly():
    client, script, sleeps = scripted_client(
        error(429, "rate_limited", "slow down", headers={"Retry-After": "7"}), ok(NUMBER)
    )
    client.get_number("num_abc123")
    assert sleeps == [7.0]
    assert len(script.requests) == 2


def test_retry_after_on_503_is_honoured_too():
    client, _, sleeps = scripted_client(
        error(503, "internal_error", "maintenance", headers={"Retry-After": "2"}), ok(NUMBER)
    )
    client.get_number("num_abc123")
    assert sleeps == [2.0]


def test_retry_after_is_capped():
    client, _, sleeps = scripted_client(
        error(429, "rate_limited", "slow down", headers={"Retry-After": "3600"}), ok(NUMBER), backoff_cap=30.0
    )
    client.get_number("num_abc123")
    assert sleeps == [30.0]


def test_429_without_retry_after_falls_back_to_backoff():
    client, _, sleeps = scripted_client(error(429, "rate_limited", "slow down"), ok(NUMBER), backoff_base=0.25)
    client.get_number("num_abc123")
    assert len(sleeps) == 1 and 0.0 <= sleeps[0] <= 0.25


def test_rate_limited_after_every_retry_raises_rate_limited_error():
    limited = error(429, "rate_limited", "slow down", headers={"Retry-After": "1"})
    client, _, sleeps = scripted_client(limited, limited, limited, max_retries=2)
    with pytest.raises(RateLimitedError, match="rate limiting this API key after 3 attempts; it asked to wait 1 s"):
        client.get_number("num_abc123")
    assert sleeps == [1.0, 1.0]


def test_max_retries_zero_sends_once():
    client, script, sleeps = scripted_client(error(503, "internal_error", "down"), max_retries=0)
    with pytest.raises(ServerError):
        client.get_number("num_abc123")
    assert len(script.requests) == 1 and sleeps == []


# --- POST is never retried ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_purchase_is_never_retried_on_a_status(status):
    client, script, sleeps = scripted_client(error(status, "internal_error", "oops", headers={"Retry-After": "1"}))
    with pytest.raises(OrbitError):
        client.purchase("+14155550100", country_code="US")
    assert len(script.requests) == 1 and sleeps == []


def test_purchase_server_error_says_the_outcome_is_unknown():
    client, _, _ = scripted_client(error(503, "internal_error", "oops"))
    with pytest.raises(ServerError) as caught:
        client.purchase("+14155550100", country_code="US")
    assert caught.value.outcome_unknown is True
    assert "Purchasing +14155550100 failed: Orbit had a server error; whether it took effect is unknown" in str(
        caught.value
    )


def test_purchase_rate_limited_is_known_not_to_have_happened():
    client, _, _ = scripted_client(error(429, "rate_limited", "slow", headers={"Retry-After": "4"}))
    with pytest.raises(RateLimitedError) as caught:
        client.purchase("+14155550100", country_code="US")
    assert caught.value.outcome_unknown is False
    assert caught.value.retry_after == 4.0


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")])
def test_purchase_without_a_response_is_an_unknown_outcome_and_not_retried(failure):
    client, script, sleeps = scripted_client(failure)
    with pytest.raises(TransportError) as caught:
        client.purchase("+14155550100", country_code="US")
    assert caught.value.outcome_unknown is True
    assert "whether it took effect is unknown: look at the account before trying again" in str(caught.value)
    assert len(script.requests) == 1 and sleeps == []


def test_purchase_that_could_not_connect_is_known_not_to_have_happened():
    client, script, _ = scripted_client(httpx.ConnectError("refused"))
    with pytest.raises(TransportError) as caught:
        client.purchase("+14155550100", country_code="US")
    assert caught.value.outcome_unknown is False
    assert "the request was not sent, so nothing changed" in str(caught.value)
    assert len(script.requests) == 1


def test_port_request_is_never_retried():
    client, script, sleeps = scripted_client(error(503, "internal_error", "oops"), ok({}))
    with pytest.raises(ServerError) as caught:
        client.submit_port(["+14155551234"], current_carrier="Acme", authorization_name="Jo")
    assert caught.value.outcome_unknown is True
    assert len(script.requests) == 1 and sleeps == []


# --- DELETE after an uncertain attempt ----------------------------------------------------------


@pytest.mark.parametrize(
    "uncertain",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        error(502, "bad_gateway", "x"),
        error(503, "internal_error", "x"),
        error(504, "gateway_timeout", "x"),
    ],
)
def test_release_retried_after_an_uncertain_attempt_treats_404_as_done(uncertain):
    client, script, _ = scripted_client(uncertain, error(404, "not_found", "no such number"))
    assert client.release("num_abc123") is None
    assert [request.method for request in script.requests] == ["DELETE", "DELETE"]


def test_release_404_after_an_attempt_that_was_surely_refused_is_not_found():
    # 429 and a connection never made mean the first attempts did nothing: the 404 is real.
    client, _, _ = scripted_client(
        error(429, "rate_limited", "slow", headers={"Retry-After": "0"}),
        httpx.ConnectTimeout("no connection"),
        error(404, "not_found", "no such number"),
    )
    with pytest.raises(NotFoundError):
        client.release("num_abc123")


def test_release_404_at_first_attempt_is_not_found():
    client, _, _ = scripted_client(error(404, "not_found", "no such number"))
    with pytest.raises(NotFoundError, match="Releasing number num_abc123 failed: not found"):
        client.release("num_abc123")


def test_get_404_after_an_uncertain_attempt_is_still_not_found():
    client, _, _ = scripted_client(httpx.ReadTimeout("slow"), error(404, "not_found", "gone"))
    with pytest.raises(NotFoundError):
        client.get_number("num_abc123")


# --- the key stays secret -----------------------------------------------------------------------


def test_repr_shows_the_base_url_only():
    client, _, _ = scripted_client()
    assert repr(client) == f"OrbitClient(base_url='{BASE_URL}')"
    assert TEST_API_KEY not in repr(client._auth) and TEST_API_KEY not in repr(vars(client).get("_auth"))


def _every_failure():
    """(client call, scripted answers) for every kind of failure the client reports."""
    echo = f"invalid key {TEST_API_KEY}"
    return [
        error(401, "unauthorized", echo),
        error(404, "not_found", echo),
        error(409, "conflict", echo),
        error(422, "validation_error", echo, details=[{"field": "label", "message": echo}]),
        error(429, "rate_limited", echo, headers={"Retry-After": "1"}),
        error(503, "internal_error", echo),
        httpx.Response(502, text=f"<html>{TEST_API_KEY}</html>"),
        httpx.Response(200, text=f"<html>{TEST_API_KEY}</html>"),
        ok({"id": [TEST_API_KEY], "number": "+14155550100"}),
        httpx.ConnectError(f"refused {TEST_API_KEY}"),
    ]


@pytest.mark.parametrize("answer", _every_failure())
def test_the_key_is_in_no_message_exception_or_traceback_even_when_echoed(answer, caplog):
    caplog.set_level(logging.DEBUG)
    client, _, _ = scripted_client(answer, max_retries=0)
    with pytest.raises(OrbitError) as caught:
        client.get_number("num_abc123")
    problem = caught.value
    rendered = "".join(traceback.format_exception(problem))
    for text in (str(problem), repr(problem), rendered, repr(vars(problem)), caplog.text):
        assert TEST_API_KEY not in text
    assert "***" in str(problem)  # the echoed key was masked, not dropped with its message


@pytest.mark.parametrize(
    "echoed", [TEST_API_KEY.lower(), TEST_API_KEY.upper(), TEST_API_KEY[-8:], TEST_API_KEY[-8:].upper()]
)
def test_a_key_echoed_in_another_case_or_in_part_is_masked(echoed):
    message = f"key {echoed} has no access"
    for answer in (
        error(401, "unauthorized", message),
        error(422, "validation_error", message, details=[{"field": "label", "message": message}]),
    ):
        client, _, _ = scripted_client(answer, max_retries=0)
        with pytest.raises(OrbitError) as caught:
            client.get_number("num_abc123")
        problem = caught.value
        shown = str(problem) + repr(getattr(problem, "field_errors", ""))
        assert echoed not in shown and "key *** has no access" in str(problem)


def test_the_key_is_in_no_log_record_of_a_retried_exchange(caplog):
    caplog.set_level(logging.DEBUG)
    client, _, _ = scripted_client(
        error(503, "internal_error", "down"), httpx.ReadTimeout("slow"), ok([]), max_retries=5
    )
    client.search_available("US")
    assert "retry 1 of 5" in caplog.text and "retry 2 of 5" in caplog.text
    assert TEST_API_KEY not in caplog.text


@pytest.mark.parametrize("key", ["", None, 42])
def test_an_empty_key_is_refused(key):
    with pytest.raises(ValueError, match="the API key must be a non-empty string"):
        OrbitClient(key)


@pytest.mark.parametrize("url", ["", "  ", None])
def test_an_empty_base_url_is_refused(url):
    with pytest.raises(ValueError, match=r"the base URL must be an http\(s\) URL"):
        OrbitClient(TEST_API_KEY, url)


def test_a_key_that_cannot_be_a_header_is_refused_without_echoing_it():
    bad_key = "dv_test_sk_abc\n"
    with pytest.raises(ValueError) as caught:
        OrbitClient(bad_key)
    assert "dv_test_sk_abc" not in str(caught.value)
    assert "line break" in str(caught.value)


# --- construction -------------------------------------------------------------------------------


def test_from_env_reads_key_and_url():
    script = Script(ok(NUMBER))
    client = OrbitClient.from_env(
        {"ORBIT_API_KEY": f" {TEST_API_KEY}\n", "ORBIT_API_URL": "http://127.0.0.1:9/"},
        transport=httpx.MockTransport(script),
    )
    assert client.base_url == "http://127.0.0.1:9"
    client.get_number("num_1")
    assert script.requests[0].headers["X-API-Key"] == TEST_API_KEY
    assert str(script.requests[0].url) == "http://127.0.0.1:9/api/v1/numbers/num_1"


def test_from_env_defaults_to_the_public_api():
    assert OrbitClient.from_env({"ORBIT_API_KEY": TEST_API_KEY}).base_url == "https://api.orbit.devotel.io"


def test_from_env_uses_the_process_environment(orbit_env):
    orbit_env("http://127.0.0.1:8")
    assert OrbitClient.from_env().base_url == "http://127.0.0.1:8"


def test_from_env_explicit_base_url_wins():
    client = OrbitClient.from_env(
        {"ORBIT_API_KEY": TEST_API_KEY, "ORBIT_API_URL": "nonsense"}, base_url="http://x.test"
    )
    assert client.base_url == "http://x.test"


@pytest.mark.parametrize("environ", [{}, {"ORBIT_API_KEY": ""}, {"ORBIT_API_KEY": "  "}])
def test_from_env_without_a_key_says_how_to_set_it(environ):
    with pytest.raises(ConfigurationError) as caught:
        OrbitClient.from_env(environ)
    # a library's error: an OrbitError (and a ValueError), without the CLI's --sandbox hint
    assert isinstance(caught.value, OrbitError) and isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        "ORBIT_API_KEY is not set: export your Orbit API key first (export ORBIT_API_KEY=dv_live_sk_...)"
    )


@pytest.mark.parametrize("url", ["api.orbit.devotel.io", "ftp://x.test", "http://", "https://x.test/?a=1"])
def test_from_env_with_a_bad_url_names_the_variable(url):
    with pytest.raises(ConfigurationError, match=r"ORBIT_API_URL is not usable: the base URL (must|cannot)"):
        OrbitClient.from_env({"ORBIT_API_KEY": TEST_API_KEY, "ORBIT_API_URL": url})


def test_from_env_with_a_bad_key_does_not_echo_it():
    with pytest.raises(ConfigurationError, match="ORBIT_API_KEY is not usable") as caught:
        OrbitClient.from_env({"ORBIT_API_KEY": "dv_test_sk_ä"})
    assert "dv_test_sk" not in str(caught.value)


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"max_retries": -1}, "max_retries must be 0 or more"),
        ({"backoff_base": -1.0}, "backoff_base must be"),
        ({"backoff_cap": float("inf")}, "backoff_cap must be"),
    ],
)
def test_bad_settings_are_refused(kw, words):
    with pytest.raises(ValueError, match=words):
        OrbitClient(TEST_API_KEY, **kw)


def test_context_manager_closes_the_client():
    closed = []

    class Transport(httpx.MockTransport):
        def close(self) -> None:
            closed.append(True)

    client = OrbitClient(TEST_API_KEY, BASE_URL, transport=Transport(lambda request: ok(NUMBER)))
    with client as entered:
        assert entered is client
    client.close()  # idempotent
    assert closed == [True]


# --- threads ------------------------------------------------------------------------------------


def test_one_client_serves_many_threads():
    def answer(request):
        number_id = request.url.path.rsplit("/", 1)[1]
        return ok({**NUMBER, "id": number_id})

    ids = [f"num_{i}" for i in range(200)]
    client, _, _ = scripted_client(*[answer] * len(ids))
    with ThreadPoolExecutor(max_workers=32) as pool:
        records = list(pool.map(client.get_number, ids))
    assert [record.id for record in records] == ids
