"""OrbitClient against real exchanges with the served sandbox, recorded with vcrpy.

Normal runs replay ``cassettes/client_*.yaml`` (record mode "none": no sandbox, no network; a
request the cassette lacks fails the test). Re-record them all with

    ORBITCTL_RECORD_CASSETTES=1 .venv/bin/python -m pytest tests/account/test_client_cassettes.py

which starts the sandbox (with each test's knobs) on a free loopback port and rewrites each
cassette from scratch. Requests match on method, path, query and body, never host or port; the
``X-API-Key`` header is dropped before anything is written.

vcrpy records and replays at httpx's transport, so these clients are given one
(``httpx.HTTPTransport``): the client's own connections (``orbitctl.account.transport``) are
checked over real sockets instead, in ``test_transport.py`` and by every test that runs orbitctl
against a served sandbox.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

import httpx
import pytest
import vcr

from orbitctl.account.api import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from orbitctl.account.client import OrbitClient
from tests.conftest import TEST_API_KEY

RECORDING = os.environ.get("ORBITCTL_RECORD_CASSETTES") == "1"
CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes"

#: Where replayed clients point: never contacted, since replays do not match on host or port.
REPLAY_URL = "http://sandbox.invalid"

#: Strings no cassette may contain (checked case-insensitively).
SECRETS = ("dv_test_sk", "dv_live_sk", "x-api-key")

#: Anything shaped like an Orbit key, even the sandbox's "expected dv_live_sk_..." hint.
KEY_SHAPED = re.compile(rb"dv_(?:live|test)_sk_[^\s\"',;]*", re.IGNORECASE)


def _scrub_response(response: dict) -> dict:
    """Mask key-shaped strings in a body before it is written (and keep Content-Length true)."""
    body = response["body"]["string"]
    scrubbed = KEY_SHAPED.sub(b"[redacted key]", body)
    if scrubbed != body:
        response["body"]["string"] = scrubbed
        for name in list(response["headers"]):
            if name.lower() == "content-length":
                response["headers"][name] = [str(len(scrubbed))]
    return response


VCR = vcr.VCR(
    cassette_library_dir=str(CASSETTE_DIR),
    serializer="yaml",
    record_mode="all" if RECORDING else "none",
    match_on=("method", "path", "query", "body"),
    filter_headers=["X-API-Key"],
    before_record_response=_scrub_response,
    decode_compressed_response=True,
)


class Sleeps(list):
    """The client's ``sleep``: records each wait, and really waits only while recording
    (so the sandbox's rate limit has refilled when the retry is recorded)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if RECORDING:
            time.sleep(seconds)


class Session:
    """One test's exchange: clients bound to the sandbox (recording) or to nowhere (replay)."""

    def __init__(self, cassette, base_url: str):
        self.cassette = cassette
        self.base_url = base_url
        self.sleeps = Sleeps()
        self._clients: list[OrbitClient] = []

    def client(self, api_key: str = TEST_API_KEY, **kw) -> OrbitClient:
        kw.setdefault("sleep", self.sleeps)
        kw.setdefault("backoff_base", 0.01)
        kw.setdefault("transport", httpx.HTTPTransport())  # where vcrpy records and replays
        client = OrbitClient(api_key, self.base_url, **kw)
        self._clients.append(client)
        return client

    def statuses(self, method: str | None = None, path: str | None = None) -> list[int]:
        """The statuses of the exchanges so far (all of the cassette's, when replaying)."""
        return [
            response["status"]["code"]
            for request, response in self.cassette.data
            if (method is None or request.method == method) and (path is None or request.path == path)
        ]

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def cassette(request):
    """Factory: ``with cassette("client_x", **sandbox_knobs) as session:``."""

    @contextlib.contextmanager
    def use(name: str, **knobs):
        path = CASSETTE_DIR / f"{name}.yaml"
        if RECORDING:
            path.unlink(missing_ok=True)
            base_url = request.getfixturevalue("sandbox_server")(**knobs).url
        else:
            assert path.exists(), (
                f"{path} is missing: record it with ORBITCTL_RECORD_CASSETTES=1 "
                ".venv/bin/python -m pytest tests/account/test_client_cassettes.py"
            )
            base_url = REPLAY_URL
        with VCR.use_cassette(path.name) as recorded:
            session = Session(recorded, base_url)
            try:
                yield session
            finally:
                session.close()
        if not RECORDING:
            assert recorded.all_played, f"{path.name} holds exchanges the test no longer makes: re-record it"

    return use


def _buy(client: OrbitClient, count: int, country: str = "US") -> list[str]:
    """Buy ``count`` numbers; their ids."""
    offers = client.search_available(country, type="local", limit=count)
    assert len(offers) == count
    return [client.purchase(o.number, country_code=o.country, inventory_id=o.id).id for o in offers]


# --- successful exchanges -----------------------------------------------------------------------


def test_pagination_follows_the_cursor_over_several_pages(cassette):
    with cassette("client_pagination") as session:
        client = session.client()
        bought = _buy(client, 7)
        listed = list(client.iter_numbers(page_size=3))
        assert sorted(record.id for record in listed) == sorted(bought)
        assert len({record.id for record in listed}) == 7
        assert all(record.get("status") == "active" for record in listed)
        list_pages = [r for r, _ in session.cassette.data if r.method == "GET" and r.path == "/api/v1/numbers"]
        assert len(list_pages) == 3
        assert [any(key == "cursor" for key, _ in request.query) for request in list_pages] == [False, True, True]


def test_a_number_is_bought_configured_read_and_released(cassette):
    with cassette("client_lifecycle") as session:
        client = session.client()
        (number_id,) = _buy(client, 1)
        updated = client.configure(
            number_id, label="Main Support Line", tags=["support"], webhook_url="https://hooks.example.com/in"
        )
        assert updated.get("label") == "Main Support Line"
        detail = client.get_number(number_id)
        assert detail.get("tags") == ("support",)
        assert detail.get("sms_webhook_url") == detail.get("voice_webhook_url") == "https://hooks.example.com/in"
        assert client.release(number_id) is None
        with pytest.raises(NotFoundError):
            client.get_number(number_id)
        port = client.submit_port(["+14155551234"], current_carrier="Acme Telecom", authorization_name="Jo Doe")
        assert port.numbers == ("+14155551234",) and port.status == "pending"


def test_a_number_is_routed_to_an_agent_by_its_phone_number_and_back_to_none(cassette):
    with cassette("client_routing") as session:
        client = session.client()
        (number_id,) = _buy(client, 1)
        number = client.get_number(number_id).number
        routed = client.route(number, "agt_support")
        assert (routed.number, routed.get("id"), routed.get("agent_id")) == (number, number_id, "agt_support")
        assert client.get_number(number_id).get("agent_id") == "agt_support"
        assert client.route(number, None).get("agent_id") is None
        assert client.get_number(number_id).get("agent_id") is None
        with pytest.raises(ValidationError) as caught:
            client.route(number, "agt support")
        assert set(caught.value.field_errors) == {"agent_id"}
        with pytest.raises(NotFoundError):
            client.route("+14155550199", "agt_support")
        routing = [r for r, _ in session.cassette.data if r.path.endswith("/routing")]
        assert len(routing) == 4
        assert all(r.uri.endswith(f"/api/v1/numbers/%2B{number[1:]}/routing") for r in routing[:3])
        assert [r.body for r in routing[:2]] == [b'{"agent_id":"agt_support"}', b'{"agent_id":null}']


# --- retries ------------------------------------------------------------------------------------


def test_429_is_retried_after_the_retry_after_the_sandbox_sent(cassette):
    # A bucket of 2 requests a second: the third search in a row is refused with Retry-After.
    with cassette("client_retry_429", rate_limit=2) as session:
        client = session.client()
        for _ in range(4):
            assert len(client.search_available("US", limit=1)) == 1
        refusals = session.statuses().count(429)
        assert refusals >= 1
        assert session.sleeps == [1.0] * refusals  # the sandbox's Retry-After, exactly
        assert session.statuses().count(200) == 4


def test_503_is_retried_with_backoff(cassette):
    # error_rate 0.5 with seed 59 answers the searches 503, 503, ok, ok, 503, 503, ok (never 500).
    with cassette("client_retry_503", error_rate=0.5, seed=59) as session:
        client = session.client(backoff_base=0.01, backoff_cap=0.05)
        for _ in range(3):
            assert len(client.search_available("US", limit=2)) == 2
        failures = session.statuses().count(503)
        assert failures >= 2 and 500 not in session.statuses()
        assert len(session.sleeps) == failures
        assert all(0.0 <= wait <= 0.05 for wait in session.sleeps)


def test_503_on_every_retry_raises_server_error(cassette):
    # error_rate 1.0 with seed 0 answers the first three requests 503.
    with cassette("client_server_error", error_rate=1.0, seed=0) as session:
        client = session.client(max_retries=2)
        with pytest.raises(ServerError, match=r"Orbit had a server error after 3 attempts \(HTTP 503") as caught:
            client.get_number("num_any")
        assert caught.value.request_id and caught.value.request_id.startswith("req_")
        assert session.statuses() == [503, 503, 503]


def test_a_purchase_whose_answer_was_lost_is_not_retried_and_is_on_the_account(cassette):
    with cassette("client_purchase_lost", lose_purchase_responses=1) as session:
        client = session.client()
        offer = client.search_available("US", type="local", limit=1)[0]
        with pytest.raises(ServerError) as caught:
            client.purchase(offer.number, country_code="US", inventory_id=offer.id)
        assert caught.value.outcome_unknown
        assert session.statuses("POST", "/api/v1/numbers/purchase") == [503]
        assert [record.number for record in client.iter_numbers()] == [offer.number]


# --- typed errors -------------------------------------------------------------------------------


def test_a_refused_key_raises_authentication_error(cassette):
    with cassette("client_auth_error") as session:
        client = session.client(api_key="not-an-orbit-key")
        with pytest.raises(AuthenticationError) as caught:
            list(client.iter_numbers())
        assert caught.value.status == 401
        assert "check ORBIT_API_KEY" in str(caught.value)
        assert caught.value.request_id in str(caught.value)


def test_an_unknown_number_raises_not_found(cassette):
    with cassette("client_not_found") as session:
        client = session.client()
        with pytest.raises(NotFoundError) as caught:
            client.get_number("num_missing")
        assert caught.value.status == 404
        with pytest.raises(NotFoundError):
            client.release("num_missing")


def test_buying_a_number_twice_raises_conflict(cassette):
    with cassette("client_conflict") as session:
        client = session.client()
        offer = client.search_available("US", type="local", limit=1)[0]
        client.purchase(offer.number, country_code="US", inventory_id=offer.id)
        with pytest.raises(ConflictError) as caught:
            client.purchase(offer.number, country_code="US", inventory_id=offer.id)
        assert caught.value.status == 409
        assert offer.number in str(caught.value)


def test_invalid_requests_raise_validation_error_with_field_errors(cassette):
    with cassette("client_validation") as session:
        client = session.client()
        with pytest.raises(ValidationError) as caught:
            client.search_available("US", type="satellite")
        assert set(caught.value.field_errors) == {"type"}
        (number_id,) = _buy(client, 1)
        with pytest.raises(ValidationError) as caught:
            client.configure(number_id, label="x" * 101, tags=["Not A Slug"])
        assert set(caught.value.field_errors) == {"label", "tags"}
        assert caught.value.status == 422


def test_rate_limited_without_retries_left_raises_rate_limited_error(cassette):
    with cassette("client_rate_limited", rate_limit=1) as session:
        client = session.client(max_retries=0)
        client.search_available("US", limit=1)
        with pytest.raises(RateLimitedError) as caught:
            client.search_available("US", limit=1)
        assert caught.value.retry_after == 1.0
        assert session.sleeps == []


# --- the cassettes themselves -------------------------------------------------------------------


def test_no_cassette_holds_a_key_or_the_key_header():
    cassettes = sorted(CASSETTE_DIR.glob("*.yaml"))
    assert cassettes, f"no cassettes in {CASSETTE_DIR}"
    for path in cassettes:
        text = path.read_text(encoding="utf-8").lower()
        for secret in SECRETS:
            assert secret not in text, f"{path.name} contains {secret!r}"
