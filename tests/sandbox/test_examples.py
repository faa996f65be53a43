"""The page's seven curl examples, over real HTTP against a served sandbox, field by field.

The sandbox's clock is pinned to the page's moment (2026-03-08T12:00:00Z) so timestamps match the
page's examples exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

PAGE_KEY = "dv_live_sk_your_key_here"
PAGE_MOMENT = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

SEARCH_ROW_FIELDS = {"number", "country", "type", "region", "capabilities", "monthly_cost", "currency"}
PURCHASE_FIELDS = {
    "id", "number", "country", "type", "capabilities", "status", "monthly_cost", "currency", "created_at",
}
LIST_ITEM_FIELDS = {
    "id", "number", "country", "type", "label", "capabilities", "status", "monthly_cost", "currency",
    "created_at",
}
DETAIL_PAGE_FIELDS = {
    "id", "number", "country", "type", "label", "capabilities", "status", "sms_webhook_url",
    "voice_webhook_url", "agent_id", "monthly_cost", "currency", "created_at",
}
DETAIL_AGREED_EXTRA = {
    "region", "forwarding_number", "sms_forwarding", "compliance_profile_id", "tags", "channel_config",
    "updated_at",
}
PUT_PAGE_FIELDS = {
    "id", "number", "label", "capabilities", "status", "webhook_url", "forwarding_number", "tags",
    "updated_at",
}
PUT_AGREED_EXTRA = {
    "country", "type", "sms_forwarding", "compliance_profile_id", "channel_config", "sms_webhook_url",
    "voice_webhook_url",
}


def check_meta(body: dict) -> None:
    meta = body["meta"]
    assert meta["request_id"].startswith("req_")
    assert meta["timestamp"] == "2026-03-08T12:00:00Z"


@pytest.fixture
def page(sandbox_server):
    server = sandbox_server(clock=lambda: PAGE_MOMENT)
    with httpx.Client(base_url=server.url, headers={"X-API-Key": PAGE_KEY}) as client:
        yield client


def test_the_seven_examples_in_the_page_order(page):
    # 1. Search available numbers
    response = page.get(
        "/api/v1/numbers/available",
        params={"country": "US", "type": "local", "capabilities": "sms,voice", "area_code": "415", "limit": 5},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"data", "meta"}
    check_meta(body)
    rows = body["data"]
    assert len(rows) == 5
    for row in rows:
        assert set(row) == SEARCH_ROW_FIELDS | {"id"}
        assert row["id"].startswith("inv_")
    assert rows[0] == {
        "id": rows[0]["id"],
        "number": "+14155550100",
        "country": "US",
        "type": "local",
        "region": "California",
        "capabilities": ["sms", "voice", "mms"],
        "monthly_cost": "1.50",
        "currency": "USD",
    }
    assert rows[1]["number"] == "+14155550101"
    assert {k: v for k, v in rows[1].items() if k not in ("id", "number")} == {
        k: v for k, v in rows[0].items() if k not in ("id", "number")
    }

    # 2. Purchase a number
    response = page.post(
        "/api/v1/numbers/purchase",
        json={"phone_number": "+14155550100", "country_code": "US", "capabilities": ["sms", "voice"]},
    )
    assert response.status_code == 201
    body = response.json()
    check_meta(body)
    bought = body["data"]
    assert set(bought) == PURCHASE_FIELDS
    number_id = bought["id"]
    assert re.match(r"^num_[0-9a-f]+$", number_id)
    assert bought == {
        "id": number_id,
        "number": "+14155550100",
        "country": "US",
        "type": "local",
        "capabilities": ["sms", "voice", "mms"],
        "status": "active",
        "monthly_cost": "1.50",
        "currency": "USD",
        "created_at": "2026-03-08T12:00:00Z",
    }

    # 5. Configure (before list and get, so they show the label and webhooks as the page does)
    response = page.put(
        f"/api/v1/numbers/{number_id}",
        json={
            "label": "Main Support Line",
            "status": "active",
            "webhook_url": "https://yourapp.com/webhooks/inbound-v2",
            "forwarding_number": "+14155550111",
            "tags": ["support", "us-west"],
        },
    )
    assert response.status_code == 200
    body = response.json()
    check_meta(body)
    configured = body["data"]
    assert set(configured) == PUT_PAGE_FIELDS | PUT_AGREED_EXTRA
    assert {k: configured[k] for k in PUT_PAGE_FIELDS} == {
        "id": number_id,
        "number": "+14155550100",
        "label": "Main Support Line",
        "capabilities": ["sms", "voice", "mms"],
        "status": "active",
        "webhook_url": "https://yourapp.com/webhooks/inbound-v2",
        "forwarding_number": "+14155550111",
        "tags": ["support", "us-west"],
        "updated_at": "2026-03-08T12:00:00Z",
    }
    assert configured["sms_webhook_url"] == configured["voice_webhook_url"] == "https://yourapp.com/webhooks/inbound-v2"
    assert (configured["country"], configured["type"]) == ("US", "local")
    assert configured["sms_forwarding"] == ""
    assert configured["compliance_profile_id"] is None
    assert configured["channel_config"] == {}

    # 3. List your numbers
    response = page.get("/api/v1/numbers", params={"limit": 10})
    assert response.status_code == 200
    body = response.json()
    check_meta(body)
    assert set(body["meta"]) == {"request_id", "timestamp", "pagination"}
    pagination = body["meta"]["pagination"]
    assert set(pagination) == {"cursor", "has_more", "total"}
    assert pagination["cursor"].startswith("cur_")
    assert pagination["has_more"] is False
    assert pagination["total"] == 1
    assert body["data"] == [
        {
            "id": number_id,
            "number": "+14155550100",
            "country": "US",
            "type": "local",
            "label": "Main Support Line",
            "capabilities": ["sms", "voice", "mms"],
            "status": "active",
            "monthly_cost": "1.50",
            "currency": "USD",
            "created_at": "2026-03-08T12:00:00Z",
        }
    ]

    # 4. Get number details
    response = page.get(f"/api/v1/numbers/{number_id}")
    assert response.status_code == 200
    body = response.json()
    check_meta(body)
    detail = body["data"]
    assert set(detail) == DETAIL_PAGE_FIELDS | DETAIL_AGREED_EXTRA
    assert {k: detail[k] for k in DETAIL_PAGE_FIELDS} == {
        "id": number_id,
        "number": "+14155550100",
        "country": "US",
        "type": "local",
        "label": "Main Support Line",
        "capabilities": ["sms", "voice", "mms"],
        "status": "active",
        "sms_webhook_url": "https://yourapp.com/webhooks/inbound-v2",
        "voice_webhook_url": "https://yourapp.com/webhooks/inbound-v2",
        "agent_id": None,
        "monthly_cost": "1.50",
        "currency": "USD",
        "created_at": "2026-03-08T12:00:00Z",
    }
    assert detail["region"] == "California"
    assert detail["forwarding_number"] == "+14155550111"
    assert detail["tags"] == ["support", "us-west"]
    assert detail["updated_at"] == "2026-03-08T12:00:00Z"

    # 6. Release a number
    response = page.delete(f"/api/v1/numbers/{number_id}")
    assert response.status_code == 204
    assert response.content == b""
    assert page.get(f"/api/v1/numbers/{number_id}").status_code == 404
    again = page.get("/api/v1/numbers/available", params={"country": "US", "area_code": "415", "limit": 1})
    assert again.json()["data"][0]["number"] == "+14155550100"  # back in the inventory

    # 7. Port a number
    response = page.post(
        "/api/v1/numbers/porting",
        json={
            "numbers": ["+14155551234", "+14155551235"],
            "current_carrier": "Acme Telecom",
            "authorization_name": "John Doe",
            "account_number": "ACC-12345",
        },
    )
    assert response.status_code == 201
    body = response.json()
    check_meta(body)
    port = body["data"]
    assert set(port) == {"id", "numbers", "status", "estimated_completion", "created_at"}
    assert port["id"].startswith("port_")
    assert port == {
        "id": port["id"],
        "numbers": ["+14155551234", "+14155551235"],
        "status": "pending",
        "estimated_completion": "2026-03-22T00:00:00Z",
        "created_at": "2026-03-08T12:00:00Z",
    }


def test_the_bought_number_is_gone_from_search_until_released(page):
    params = {"country": "US", "area_code": "415", "limit": 3}
    first = page.get("/api/v1/numbers/available", params=params).json()["data"]
    bought = page.post("/api/v1/numbers/purchase", json={"phone_number": first[0]["number"]}).json()["data"]
    after = page.get("/api/v1/numbers/available", params=params).json()["data"]
    assert [row["number"] for row in after[:2]] == [row["number"] for row in first[1:]]
    assert first[0]["number"] not in {row["number"] for row in after}
    page.delete(f"/api/v1/numbers/{bought['id']}")
    assert page.get("/api/v1/numbers/available", params=params).json()["data"] == first


def test_error_envelope_over_http(page):
    response = page.get("/api/v1/numbers/available", headers={"X-API-Key": "sk_live_nope"})
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error", "meta"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["details"] == []
    assert body["meta"]["request_id"].startswith("req_")
    assert ISO_Z.match(body["meta"]["timestamp"])
    assert response.headers["x-request-id"] == body["meta"]["request_id"]
