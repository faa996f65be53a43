"""Cursor pagination over hundreds of numbers while numbers are bought and released between pages."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import sandbox_api


@pytest.fixture
def api():
    with sandbox_api() as client:
        yield client


def buy_many(api: httpx.Client, count: int, **search) -> list[dict]:
    rows = api.get("/api/v1/numbers/available", params={"country": "US", "limit": count, **search}).json()["data"]
    assert len(rows) == count
    bought = []
    for row in rows:
        response = api.post("/api/v1/numbers/purchase", json={"phone_number": row["number"], "country_code": "US"})
        assert response.status_code == 201
        bought.append(response.json()["data"])
    return bought


def test_pages_neither_skip_nor_repeat_while_the_account_changes(api):
    bought = buy_many(api, 460, area_code="212")
    ids = [record["id"] for record in bought]
    extra = iter(buy_row for buy_row in api.get(
        "/api/v1/numbers/available", params={"country": "US", "area_code": "312", "limit": 40}
    ).json()["data"])

    seen: list[str] = []
    released: set[str] = set()
    released_ahead: set[str] = set()
    added: set[str] = set()
    cursor = None
    pages = 0
    while True:
        params = {"limit": 37}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/api/v1/numbers", params=params).json()
        page = [item["id"] for item in body["data"]]
        seen += page
        pages += 1
        pagination = body["meta"]["pagination"]
        if not pagination["has_more"]:
            break
        cursor = pagination["cursor"]
        # Between pages: release one number already seen and one not seen yet, buy a new one.
        behind = next(i for i in reversed(seen) if i not in released)
        ahead = next(i for i in ids if i not in seen and i not in released)
        for number_id in (behind, ahead):
            assert api.delete(f"/api/v1/numbers/{number_id}").status_code == 204
            released.add(number_id)
        released_ahead.add(ahead)
        row = next(extra)
        response = api.post("/api/v1/numbers/purchase", json={"phone_number": row["number"]})
        added.add(response.json()["data"]["id"])

    assert pages >= 12
    assert len(seen) == len(set(seen)), "no number is listed twice"
    existed_throughout = [i for i in ids if i not in released]
    assert set(existed_throughout) <= set(seen), "no number that existed throughout is skipped"
    assert not (released_ahead & set(seen)), "numbers released before their page never show"
    assert added <= set(seen), "numbers bought meanwhile show at the end"
    assert set(seen) - set(ids) == added


def test_released_numbers_ahead_of_the_cursor_are_not_listed(api):
    ids = [record["id"] for record in buy_many(api, 30)]
    first = api.get("/api/v1/numbers", params={"limit": 10}).json()
    api.delete(f"/api/v1/numbers/{ids[15]}")
    rest = api.get("/api/v1/numbers", params={"limit": 200, "cursor": first["meta"]["pagination"]["cursor"]}).json()
    assert [item["id"] for item in rest["data"]] == ids[10:15] + ids[16:]
    assert rest["meta"]["pagination"]["total"] == 29


def test_cursor_of_the_last_page_finds_later_purchases(api):
    buy_many(api, 3)
    last = api.get("/api/v1/numbers", params={"limit": 5}).json()["meta"]["pagination"]
    assert last["has_more"] is False
    newer = buy_many(api, 1, area_code="617")[0]
    follow = api.get("/api/v1/numbers", params={"cursor": last["cursor"]}).json()
    assert [item["id"] for item in follow["data"]] == [newer["id"]]


def test_filtered_pages_count_only_matches(api):
    buy_many(api, 12)
    gb = api.get("/api/v1/numbers/available", params={"country": "GB", "type": "mobile", "limit": 7}).json()["data"]
    for row in gb:
        api.post("/api/v1/numbers/purchase", json={"phone_number": row["number"], "country_code": "GB"})
    collected, cursor = [], None
    while True:
        params = {"country": "GB", "limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/numbers", params=params).json()
        collected += [item["number"] for item in body["data"]]
        assert body["meta"]["pagination"]["total"] == 7
        if not body["meta"]["pagination"]["has_more"]:
            break
        cursor = body["meta"]["pagination"]["cursor"]
    assert collected == [row["number"] for row in gb]
