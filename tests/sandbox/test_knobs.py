"""The knobs: latency (overlapping), seeded error rate, rate limit, lost purchase responses,
failing configures."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from orbitctl.sandbox.app import create_app
from orbitctl.sandbox.store import read_state
from tests.helpers import sandbox_api

KEY = {"X-API-Key": "dv_test_sk_knobs"}


def test_latency_delays_each_request_and_requests_overlap(sandbox_server):
    server = sandbox_server(latency_ms=80)
    clients = [httpx.Client(base_url=server.url, headers=KEY) for _ in range(8)]
    try:
        started = time.perf_counter()
        assert clients[0].get("/api/v1/numbers").status_code == 200
        assert time.perf_counter() - started >= 0.08
        barrier = threading.Barrier(8)
        ends: list[float] = []

        def one(client: httpx.Client) -> None:
            barrier.wait()
            client.get("/api/v1/numbers")
            ends.append(time.perf_counter())

        threads = [threading.Thread(target=one, args=(client,)) for client in clients]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert max(ends) - started < 0.4, "8 requests of 80 ms overlap (serial would take 640 ms)"
    finally:
        for client in clients:
            client.close()


def statuses(client: httpx.Client, count: int) -> list[int]:
    return [client.get("/api/v1/numbers").status_code for _ in range(count)]


def test_error_rate_is_seeded_and_answers_500_or_503():
    with sandbox_api(error_rate=0.4, seed=3) as one, sandbox_api(error_rate=0.4, seed=3) as same:
        first = statuses(one, 60)
        assert first == statuses(same, 60)
    assert set(first) == {200, 500, 503}
    assert 10 <= sum(status != 200 for status in first) <= 40
    with sandbox_api(error_rate=0.4, seed=3) as client:
        for _ in range(20):
            response = client.get("/api/v1/numbers")
            if response.status_code != 200:
                assert response.json()["error"]["code"] == "internal_error"
                assert "error-rate" in response.json()["error"]["message"]


def test_injected_errors_change_nothing(tmp_path, sandbox_server):
    server = sandbox_server(state_path=tmp_path / "flaky.json", error_rate=0.5, seed=1)
    with httpx.Client(base_url=server.url, headers=KEY) as client:
        rows = []
        while not rows:
            response = client.get("/api/v1/numbers/available", params={"country": "US", "limit": 30})
            rows = response.json()["data"] if response.status_code == 200 else []
        outcomes = [
            client.post("/api/v1/numbers/purchase", json={"phone_number": row["number"]}).status_code for row in rows
        ]
    assert set(outcomes) <= {201, 500, 503} and 201 in outcomes and len(set(outcomes)) > 1
    state = read_state(server.state_path)
    assert sorted(r["number"] for r in state["numbers"].values()) == sorted(
        row["number"] for row, status in zip(rows, outcomes, strict=True) if status == 201
    )
    assert [entry["status"] for entry in state["audit"]] == [201] * outcomes.count(201)


def test_rate_limit_answers_429_with_retry_after():
    with sandbox_api(rate_limit=5) as client:
        responses = [client.get("/api/v1/numbers") for _ in range(8)]
        assert [r.status_code for r in responses[:5]] == [200] * 5
        limited = [r for r in responses if r.status_code == 429]
        assert limited
        for response in limited:
            assert response.headers["retry-after"] == "1"
            assert response.json()["error"]["code"] == "rate_limited"
        time.sleep(0.25)
        assert client.get("/api/v1/numbers").status_code == 200


def test_lost_purchase_responses_commit_the_purchase(tmp_path):
    with sandbox_api(tmp_path / "lost.json", lose_purchase_responses=1) as client:
        lost = client.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550100"})
        assert lost.status_code == 503
        assert lost.json()["error"]["code"] == "internal_error"
        listed = client.get("/api/v1/numbers").json()["data"]
        assert [item["number"] for item in listed] == ["+14155550100"]
        assert client.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550100"}).status_code == 409
        assert client.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550101"}).status_code == 201
    audit = read_state(tmp_path / "lost.json")["audit"]
    assert [(e["number"], e["status"], e.get("response_lost", False)) for e in audit] == [
        ("+14155550100", 503, True),
        ("+14155550101", 201, False),
    ]


def test_fail_configure_fails_the_first_puts_without_change():
    with sandbox_api(fail_configure=2) as client:
        number_id = client.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550100"}).json()["data"]["id"]
        for _ in range(2):
            response = client.put(f"/api/v1/numbers/{number_id}", json={"label": "x"})
            assert response.status_code == 500
            assert response.json()["error"]["code"] == "internal_error"
            assert client.get(f"/api/v1/numbers/{number_id}").json()["data"]["label"] == ""
        assert client.put(f"/api/v1/numbers/{number_id}", json={"label": "x"}).status_code == 200
        assert [entry["method"] for entry in client.app.store.audit()] == ["POST", "PUT"]


def test_a_held_purchase_response_comes_after_the_commit(tmp_path):
    import threading

    with sandbox_api(tmp_path / "held.json", hold_purchase_ms=300) as client:
        answered = []
        body = {"phone_number": "+14155550100"}
        request = threading.Thread(target=lambda: answered.append(client.post("/api/v1/numbers/purchase", json=body)))
        started = time.monotonic()
        request.start()
        try:
            while not read_state(tmp_path / "held.json")["audit"] and time.monotonic() - started < 5:
                time.sleep(0.01)
            committed = time.monotonic() - started
            assert read_state(tmp_path / "held.json")["numbers"] and not answered  # bought, not answered yet
        finally:
            request.join()
        assert answered[0].status_code == 201
        assert time.monotonic() - started >= 0.3 > committed


def test_search_limit_caps_every_search_whatever_its_limit_asks():
    with sandbox_api(search_limit=3) as client, sandbox_api() as uncapped:
        query = {"country": "US", "type": "local", "limit": "500"}
        rows = client.get("/api/v1/numbers/available", params=query).json()["data"]
        assert len(rows) == 3
        first = uncapped.get("/api/v1/numbers/available", params={**query, "limit": "4"}).json()["data"]
        assert [row["number"] for row in rows] == [row["number"] for row in first[:3]]
        two = client.get("/api/v1/numbers/available", params={**query, "limit": "2"}).json()["data"]
        assert len(two) == 2  # a lower limit still holds
        # the documented bounds of limit are unchanged
        assert client.get("/api/v1/numbers/available", params={**query, "limit": "501"}).status_code == 422


@pytest.mark.parametrize(
    "knobs",
    [
        {"error_rate": 1.5}, {"error_rate": -0.1}, {"latency_ms": -1}, {"rate_limit": 0}, {"fail_configure": -1},
        {"hold_purchase_ms": -1}, {"search_limit": 0}, {"search_limit": 501},
    ],
)
def test_impossible_knobs_are_refused(knobs):
    with pytest.raises(ValueError):
        create_app(None, **knobs)
