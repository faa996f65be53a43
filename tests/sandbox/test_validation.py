"""Every validation rule and status code of the sandbox, through httpx's WSGI transport (in process,
the way ``orbitctl --sandbox`` uses it)."""

from __future__ import annotations

import httpx
import pytest

from orbitctl.sandbox.app import create_app
from tests.helpers import sandbox_api

KEY = "dv_test_sk_validation"


@pytest.fixture
def api():
    with sandbox_api() as client:
        yield client


def error_of(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "meta"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["meta"]["request_id"].startswith("req_")
    return body["error"]


def fields_of(response: httpx.Response) -> set[str]:
    error = error_of(response, 422, "validation_error")
    assert error["details"], "a 422 names the fields"
    return {detail["field"] for detail in error["details"]}


def buy(api, number: str, **extra) -> dict:
    response = api.post("/api/v1/numbers/purchase", json={"phone_number": number, **extra})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def first_row(api, **params) -> dict:
    rows = api.get("/api/v1/numbers/available", params={"limit": 1, **params}).json()["data"]
    return rows[0]


# --- 401 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["dv_live_sk_your_key_here", "dv_test_sk_x", "dv_live_sk_AbC_123"])
def test_documented_key_forms_are_accepted(api, key):
    assert api.get("/api/v1/numbers", headers={"X-API-Key": key}).status_code == 200


@pytest.mark.parametrize(
    "key",
    ["", "dv_live_sk_", "dv_prod_sk_abc", "sk_live_abc", "Bearer dv_live_sk_abc", "dv_live_sk_a b", "dv_live_pk_abc"],
)
def test_other_keys_are_refused(api, key):
    error_of(api.get("/api/v1/numbers", headers={"X-API-Key": key}), 401, "unauthorized")


def test_missing_key_is_refused_on_every_endpoint(api):
    bare = httpx.Client(transport=api._transport, base_url="http://sandbox")
    for method, path in [
        ("GET", "/api/v1/numbers"),
        ("GET", "/api/v1/numbers/available?country=US"),
        ("POST", "/api/v1/numbers/purchase"),
        ("GET", "/api/v1/numbers/num_x"),
        ("PUT", "/api/v1/numbers/num_x"),
        ("DELETE", "/api/v1/numbers/num_x"),
        ("POST", "/api/v1/numbers/porting"),
        ("PUT", "/api/v1/numbers/%2B14155550100/routing"),
    ]:
        error = error_of(bare.request(method, path), 401, "unauthorized")
        assert "X-API-Key" in error["message"]


# --- 404 / 405 / 413 --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_number_id_is_404(api, method):
    response = api.request(method, "/api/v1/numbers/num_000000000000", json={"label": "x"} if method == "PUT" else None)
    assert "num_000000000000" in error_of(response, 404, "not_found")["message"]


def test_unknown_paths_are_404(api):
    error_of(api.get("/api/v2/numbers"), 404, "not_found")
    error_of(api.get("/api/v1/numbers/num_x/webhooks"), 404, "not_found")
    error_of(api.put("/api/v1/numbers/%2B14155550100/routing/x", json={}), 404, "not_found")
    error_of(api.get("/api/v1/numbers/porting/port_nope"), 404, "not_found")


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("PUT", "/api/v1/numbers/available", "GET"),
        ("GET", "/api/v1/numbers/purchase", "POST"),
        ("DELETE", "/api/v1/numbers", "GET"),
        ("POST", "/api/v1/numbers/num_x", "GET, PUT, DELETE"),
        ("GET", "/api/v1/numbers/porting", "POST"),
        ("GET", "/api/v1/numbers/%2B14155550100/routing", "PUT"),
    ],
)
def test_wrong_method_is_405_with_allow(api, method, path, allowed):
    response = api.request(method, path)
    error_of(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


def test_huge_body_is_413(api):
    response = api.post("/api/v1/numbers/purchase", content=b"{" + b" " * (1 << 20) + b"}")
    error_of(response, 413, "payload_too_large")


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "country"),
        ({"country": "UK"}, "country"),
        ({"country": "USA"}, "country"),
        ({"country": ""}, "country"),
        ({"country": "US", "type": "landline"}, "type"),
        ({"country": "US", "capabilities": "sms,fax"}, "capabilities"),
        ({"country": "US", "capabilities": ""}, "capabilities"),
        ({"country": "US", "area_code": "41a"}, "area_code"),
        ({"country": "US", "area_code": "123456"}, "area_code"),
        ({"country": "US", "contains": "55-5"}, "contains"),
        ({"country": "US", "limit": "0"}, "limit"),
        ({"country": "US", "limit": "501"}, "limit"),
        ({"country": "US", "limit": "ten"}, "limit"),
        ({"country": "US", "limit": "-1"}, "limit"),
    ],
)
def test_search_parameters_are_validated(api, params, field):
    assert field in fields_of(api.get("/api/v1/numbers/available", params=params))


def test_uk_gets_a_hint_and_repeated_parameters_are_refused(api):
    error = error_of(api.get("/api/v1/numbers/available", params={"country": "UK"}), 422, "validation_error")
    assert "GB" in error["details"][0]["message"]
    assert fields_of(api.get("/api/v1/numbers/available?country=US&country=GB")) == {"country"}


def test_search_limits_default_100_max_500(api):
    assert len(api.get("/api/v1/numbers/available", params={"country": "US"}).json()["data"]) == 100
    rows = api.get("/api/v1/numbers/available", params={"country": "US", "limit": 500}).json()["data"]
    assert len(rows) == 500
    assert [row["number"] for row in rows] == sorted(row["number"] for row in rows)


def test_search_country_code_is_case_insensitive_and_unsold_country_is_empty(api):
    lower = api.get("/api/v1/numbers/available", params={"country": "gb", "limit": 3}).json()["data"]
    assert [row["country"] for row in lower] == ["GB"] * 3
    assert api.get("/api/v1/numbers/available", params={"country": "FJ"}).json()["data"] == []


# --- purchase ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "phone_number"),
        ({"phone_number": 14155550100}, "phone_number"),
        ({"phone_number": "4155550100"}, "phone_number"),
        ({"phone_number": "+1 415 555 0100"}, "phone_number"),
        ({"phone_number": "+14155550100", "country_code": "USA"}, "country_code"),
        ({"phone_number": "+14155550100", "country_code": 1}, "country_code"),
        ({"phone_number": "+14155550100", "capabilities": "sms"}, "capabilities"),
        ({"phone_number": "+14155550100", "capabilities": ["sms", "telepathy"]}, "capabilities"),
        ({"phone_number": "+14155550100", "compliance_profile_id": "acme"}, "compliance_profile_id"),
        ({"phone_number": "+14155550100", "id": "row-1"}, "id"),
    ],
)
def test_purchase_body_is_validated(api, body, field):
    assert field in fields_of(api.post("/api/v1/numbers/purchase", json=body))


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'"+14155550100"', b"\xff\xfe"])
def test_purchase_body_must_be_a_json_object(api, content):
    response = api.post("/api/v1/numbers/purchase", content=content, headers={"Content-Type": "application/json"})
    assert fields_of(response) == {"body"}


def test_purchase_country_code_defaults_to_us_and_must_match_the_number(api):
    row = first_row(api, country="GB", type="mobile")
    error = error_of(
        api.post("/api/v1/numbers/purchase", json={"phone_number": row["number"]}), 422, "validation_error"
    )
    assert error["details"][0]["field"] == "country_code"
    assert "GB" in error["details"][0]["message"]
    assert buy(api, row["number"], country_code="GB")["country"] == "GB"


def test_purchase_of_a_number_not_available_is_409(api):
    error_of(api.post("/api/v1/numbers/purchase", json={"phone_number": "+14155559999"}), 409, "conflict")
    buy(api, "+14155550100")
    error = error_of(api.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550100"}), 409, "conflict")
    assert "no longer available" in error["message"]


def test_purchase_of_an_unsupported_capability_is_422(api):
    fields = fields_of(
        api.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550100", "capabilities": ["whatsapp"]})
    )
    assert fields == {"capabilities"}


def test_placeholder_rows_must_be_bought_by_id(api):
    row = first_row(api, country="IN", type="mobile")
    assert row["placeholder"] is True
    body = {"phone_number": row["number"], "country_code": "IN"}
    assert fields_of(api.post("/api/v1/numbers/purchase", json=body)) == {"id"}
    other = api.get("/api/v1/numbers/available", params={"country": "IN", "type": "mobile", "limit": 2}).json()["data"][
        1
    ]
    assert fields_of(api.post("/api/v1/numbers/purchase", json={**body, "id": other["id"]})) == {"id"}
    bought = buy(api, row["number"], country_code="IN", id=row["id"])
    assert (bought["number"], bought["status"]) == (row["number"], "active")


def test_non_placeholder_rows_carry_no_placeholder_flag_and_accept_their_id(api):
    row = first_row(api, country="US", area_code="212")
    assert "placeholder" not in row
    assert buy(api, row["number"], id=row["id"])["number"] == row["number"]


def test_short_codes_are_bought_by_their_digits_and_country(api):
    row = first_row(api, country="GB", type="short_code")
    assert row["number"].isdigit() and len(row["number"]) in (5, 6)
    assert buy(api, row["number"], country_code="GB")["type"] == "short_code"


def test_nanp_toll_free_is_sold_by_its_own_country(api):
    row = first_row(api, country="CA", type="toll_free")
    assert buy(api, row["number"], country_code="CA")["country"] == "CA"


# --- regulatory hold --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile, status",
    [
        (None, "regulatory_hold"),
        ("cp_fr_acme", "regulatory_hold"),
        ("cp_de_acme", "active"),
        ("cp_DE_acme", "active"),
        ("cp_global_acme", "active"),
    ],
)
def test_regulated_country_purchase_needs_a_covering_profile(api, profile, status):
    row = first_row(api, country="DE", type="local")
    extra = {"compliance_profile_id": profile} if profile else {}
    bought = buy(api, row["number"], country_code="DE", **extra)
    assert bought["status"] == status
    detail = api.get(f"/api/v1/numbers/{bought['id']}").json()["data"]
    assert detail["compliance_profile_id"] == profile


def test_unregulated_country_is_active_without_a_profile(api):
    assert buy(api, first_row(api, country="GB", type="mobile")["number"], country_code="GB")["status"] == "active"


def test_hold_is_lifted_by_attaching_a_covering_profile_and_keeps_the_asked_status(api):
    row = first_row(api, country="FR", type="mobile")
    number_id = buy(api, row["number"], country_code="FR")["id"]
    held = api.put(f"/api/v1/numbers/{number_id}", json={"status": "inactive", "label": "Paris"}).json()["data"]
    assert (held["status"], held["label"]) == ("regulatory_hold", "Paris")
    wrong = api.put(f"/api/v1/numbers/{number_id}", json={"compliance_profile_id": "cp_de_x"}).json()["data"]
    assert wrong["status"] == "regulatory_hold"
    lifted = api.put(f"/api/v1/numbers/{number_id}", json={"compliance_profile_id": "cp_fr_x"}).json()["data"]
    assert lifted["status"] == "inactive"


# --- PUT --------------------------------------------------------------------------------------


@pytest.fixture
def us_number(api) -> str:
    return buy(api, "+14155550100")["id"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"agent_id": "agt_1"}, "agent_id"),
        ({"webhook": "https://x.example"}, "webhook"),
        ({"label": "x" * 101}, "label"),
        ({"label": 5}, "label"),
        ({"label": None}, "label"),
        ({"status": "paused"}, "status"),
        ({"status": "regulatory_hold"}, "status"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"tags": ["Support"]}, "tags"),
        ({"tags": ["-x"]}, "tags"),
        ({"tags": ["a" * 65]}, "tags"),
        ({"tags": ["a", "a"]}, "tags"),
        ({"tags": "support"}, "tags"),
        ({"forwarding_number": "4155550111"}, "forwarding_number"),
        ({"forwarding_number": "+10000000000"}, "forwarding_number"),
        ({"forwarding_number": None}, "forwarding_number"),
        ({"sms_forwarding": "+1415555011"}, "sms_forwarding"),
        ({"webhook_url": "ftp://files.example.com/x"}, "webhook_url"),
        ({"webhook_url": "not a url"}, "webhook_url"),
        ({"webhook_url": 7}, "webhook_url"),
        ({"compliance_profile_id": "profile-1"}, "compliance_profile_id"),
        ({"channel_config": ["x"]}, "channel_config"),
        ({"capabilities": []}, "capabilities"),
        ({"capabilities": ["sms", "sms"]}, "capabilities"),
        ({"capabilities": ["sms", "carrier-pigeon"]}, "capabilities"),
        ({"capabilities": "sms"}, "capabilities"),
    ],
)
def test_put_body_is_validated_strictly(api, us_number, body, field):
    before = api.get(f"/api/v1/numbers/{us_number}").json()["data"]
    assert field in fields_of(api.put(f"/api/v1/numbers/{us_number}", json=body))
    assert api.get(f"/api/v1/numbers/{us_number}").json()["data"] == before


def test_put_reports_every_bad_field_at_once(api, us_number):
    response = api.put(f"/api/v1/numbers/{us_number}", json={"nope": 1, "label": "x" * 101, "status": "on"})
    assert fields_of(response) == {"nope", "label", "status"}


def test_put_accepts_the_limits(api, us_number):
    body = {"label": "x" * 100, "tags": [f"t{i}" for i in range(10)], "channel_config": {"sms": {"mps": 5}}}
    data = api.put(f"/api/v1/numbers/{us_number}", json=body).json()["data"]
    assert (len(data["label"]), len(data["tags"]), data["channel_config"]) == (100, 10, {"sms": {"mps": 5}})


def test_put_updates_only_the_keys_sent(api, us_number):
    api.put(f"/api/v1/numbers/{us_number}", json={"label": "A", "tags": ["x"], "forwarding_number": "+14155550111"})
    api.put(f"/api/v1/numbers/{us_number}", json={"label": "B"})
    detail = api.get(f"/api/v1/numbers/{us_number}").json()["data"]
    assert (detail["label"], detail["tags"], detail["forwarding_number"]) == ("B", ["x"], "+14155550111")


def test_put_clears(api, us_number):
    api.put(
        f"/api/v1/numbers/{us_number}",
        json={
            "webhook_url": "https://hooks.example.com/in",
            "forwarding_number": "+14155550111",
            "sms_forwarding": "+14155550112",
            "compliance_profile_id": "cp_us_acme",
            "tags": ["a"],
        },
    )
    for webhook_clear in ("", None):
        data = api.put(
            f"/api/v1/numbers/{us_number}",
            json={
                "webhook_url": webhook_clear,
                "forwarding_number": "",
                "sms_forwarding": "",
                "compliance_profile_id": webhook_clear,
                "tags": [],
            },
        ).json()["data"]
        assert data["webhook_url"] is data["sms_webhook_url"] is data["voice_webhook_url"] is None
        assert (data["forwarding_number"], data["sms_forwarding"]) == ("", "")
        assert data["compliance_profile_id"] is None
        assert data["tags"] == []


def test_webhook_url_sets_both_webhooks(api, us_number):
    api.put(f"/api/v1/numbers/{us_number}", json={"webhook_url": "http://hooks.example.com/in"})
    detail = api.get(f"/api/v1/numbers/{us_number}").json()["data"]
    assert detail["sms_webhook_url"] == detail["voice_webhook_url"] == "http://hooks.example.com/in"


def test_capability_toggles(api, us_number):
    data = api.put(f"/api/v1/numbers/{us_number}", json={"capabilities": ["sms"]}).json()["data"]
    assert data["capabilities"] == ["sms"]
    data = api.put(f"/api/v1/numbers/{us_number}", json={"capabilities": ["voice", "mms", "sms"]}).json()["data"]
    assert data["capabilities"] == ["voice", "mms", "sms"]
    error = error_of(
        api.put(f"/api/v1/numbers/{us_number}", json={"capabilities": ["sms", "fax"]}), 422, "validation_error"
    )
    assert "fax is fixed at provisioning" in error["details"][0]["message"]
    assert fields_of(api.put(f"/api/v1/numbers/{us_number}", json={"capabilities": ["whatsapp"]})) == {"capabilities"}


def test_fax_cannot_be_turned_off_where_provisioned(api):
    row = first_row(api, country="DE", type="local")
    assert "fax" in row["capabilities"]
    number_id = buy(api, row["number"], country_code="DE")["id"]
    error = error_of(api.put(f"/api/v1/numbers/{number_id}", json={"capabilities": ["voice"]}), 422, "validation_error")
    assert "cannot be turned off" in error["details"][0]["message"]
    assert api.put(f"/api/v1/numbers/{number_id}", json={"capabilities": ["voice", "fax"]}).status_code == 200


def whatsapp_row(api, **params) -> dict:
    return first_row(api, country="GB", type="mobile", capabilities="whatsapp", **params)


def test_whatsapp_and_rcs_are_provisioned_by_the_purchase_and_kept_by_every_put(api):
    row = first_row(api, country="GB", type="mobile", capabilities="sms,whatsapp")
    bought = buy(api, row["number"], country_code="GB", capabilities=["sms", "voice", "whatsapp"])
    assert bought["capabilities"] == ["sms", "voice", "whatsapp"]
    data = api.put(f"/api/v1/numbers/{bought['id']}", json={"capabilities": ["sms"]}).json()["data"]
    assert data["capabilities"] == ["sms", "whatsapp"]  # the toggles as sent; whatsapp as provisioned
    data = api.put(f"/api/v1/numbers/{bought['id']}", json={"capabilities": ["voice", "sms"]}).json()["data"]
    assert data["capabilities"] == ["voice", "sms", "whatsapp"]


@pytest.mark.parametrize("capability", ["whatsapp", "rcs"])
def test_put_refuses_what_only_a_purchase_provisions(api, capability):
    rows = api.get("/api/v1/numbers/available", params={"country": "GB", "type": "mobile", "limit": 200}).json()
    row = next(r for r in rows["data"] if {"whatsapp", "rcs"} <= set(r["capabilities"]))
    number_id = buy(api, row["number"], country_code="GB", capabilities=["sms", "whatsapp", "rcs"])["id"]
    error = error_of(
        api.put(f"/api/v1/numbers/{number_id}", json={"capabilities": ["sms", capability]}), 422, "validation_error"
    )
    assert error["details"] == [
        {"field": "capabilities",
         "message": f"unknown '{capability}': use any of sms, mms, voice, fax ({capability} is provisioned at "
                    "purchase only)"}
    ]
    after = api.get(f"/api/v1/numbers/{number_id}").json()["data"]
    assert after["capabilities"] == ["sms", "whatsapp", "rcs"]  # unchanged: as bought


def test_a_purchase_without_capabilities_provisions_neither_whatsapp_nor_rcs(api):
    rows = api.get("/api/v1/numbers/available", params={"country": "GB", "type": "mobile", "limit": 200}).json()
    row = next(r for r in rows["data"] if {"whatsapp", "rcs"} <= set(r["capabilities"]))
    assert buy(api, row["number"], country_code="GB")["capabilities"] == ["sms", "voice"]


def test_a_purchase_brings_mms_and_fax_with_the_line(api):
    assert buy(api, "+14155550100", capabilities=["sms", "voice"])["capabilities"] == ["sms", "voice", "mms"]
    assert buy(api, "+14155550101", capabilities=["voice"])["capabilities"] == ["voice", "mms"]
    row = first_row(api, country="DE", type="local")
    assert buy(api, row["number"], country_code="DE", capabilities=["voice"])["capabilities"] == ["voice", "fax"]


@pytest.mark.parametrize("capability", ["mms", "fax"])
def test_a_purchase_refuses_what_only_put_toggles(api, capability):
    body = {"phone_number": "+14155550100", "capabilities": ["sms", capability]}
    error = error_of(api.post("/api/v1/numbers/purchase", json=body), 422, "validation_error")
    assert error["details"] == [
        {"field": "capabilities",
         "message": f"unknown '{capability}': use any of sms, voice, whatsapp, rcs ({capability} is toggled with "
                    "PUT /numbers/{id})"}
    ]


def test_a_purchase_of_a_capability_the_number_does_not_offer_is_422(api):
    rows = api.get("/api/v1/numbers/available", params={"country": "GB", "type": "mobile", "limit": 200}).json()
    row = next(r for r in rows["data"] if "rcs" not in r["capabilities"])
    response = api.post(
        "/api/v1/numbers/purchase", json={"phone_number": row["number"], "country_code": "GB", "capabilities": ["rcs"]}
    )
    assert "cannot provide rcs" in error_of(response, 422, "validation_error")["details"][0]["message"]


def test_search_and_list_filter_on_whatsapp_but_not_rcs(api):
    assert fields_of(api.get("/api/v1/numbers/available", params={"country": "GB", "capabilities": "rcs"})) == {
        "capabilities"
    }
    assert fields_of(api.get("/api/v1/numbers", params={"capabilities": "rcs"})) == {"capabilities"}
    row = whatsapp_row(api)
    buy(api, row["number"], country_code="GB", capabilities=["sms", "whatsapp"])
    plain = first_row(api, country="GB", type="mobile")
    buy(api, plain["number"], country_code="GB", capabilities=["sms"])
    listed = api.get("/api/v1/numbers", params={"capabilities": "whatsapp"}).json()["data"]
    assert [item["number"] for item in listed] == [row["number"]]


def test_purchases_and_puts_are_audited_with_their_bodies(api, us_number):
    api.put(f"/api/v1/numbers/{us_number}", json={"label": "x", "capabilities": ["sms"]})
    purchase, put = api.app.store.audit()
    assert purchase["body"] == {"phone_number": "+14155550100"}
    assert put["body"] == {"label": "x", "capabilities": ["sms"]}


# --- routing ----------------------------------------------------------------------------------


def route(api, number: str, body, *, encode: bool = True) -> httpx.Response:
    path_number = number.replace("+", "%2B") if encode else number
    return api.put(f"/api/v1/numbers/{path_number}/routing", json=body)


@pytest.mark.parametrize("encode", [True, False], ids=["%2B", "+"])
def test_routing_sets_the_agent_addressed_by_the_phone_number(api, us_number, encode):
    response = route(api, "+14155550100", {"agent_id": "agt_support"}, encode=encode)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data == {"id": us_number, "number": "+14155550100", "agent_id": "agt_support",
                    "updated_at": data["updated_at"]}
    assert api.get(f"/api/v1/numbers/{us_number}").json()["data"]["agent_id"] == "agt_support"
    # the list shows the page's list-item fields only: the agent is in the detail
    assert "agent_id" not in api.get("/api/v1/numbers").json()["data"][0]


@pytest.mark.parametrize("none", [None, ""])
def test_routing_to_null_or_empty_removes_the_agent(api, us_number, none):
    route(api, "+14155550100", {"agent_id": "agt_support"})
    assert route(api, "+14155550100", {"agent_id": none}).json()["data"]["agent_id"] is None
    assert api.get(f"/api/v1/numbers/{us_number}").json()["data"]["agent_id"] is None


def test_routing_changes_nothing_else_and_is_audited_with_its_body(api, us_number):
    api.put(f"/api/v1/numbers/{us_number}", json={"label": "Support", "tags": ["a"]})
    before = api.get(f"/api/v1/numbers/{us_number}").json()["data"]
    route(api, "+14155550100", {"agent_id": "agt_support"})
    after = api.get(f"/api/v1/numbers/{us_number}").json()["data"]
    assert {k: v for k, v in after.items() if k not in ("agent_id", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("agent_id", "updated_at")
    }
    last = api.app.store.audit()[-1]
    assert (last["method"], last["path"], last["number_id"], last["number"], last["status"], last["body"]) == (
        "PUT", "/api/v1/numbers/+14155550100/routing", us_number, "+14155550100", 200, {"agent_id": "agt_support"}
    )


def test_routing_of_a_number_not_on_the_account_is_404(api, us_number):
    error = error_of(route(api, "+14155550101", {"agent_id": "agt_1"}), 404, "not_found")
    assert "+14155550101" in error["message"]
    error_of(route(api, us_number, {"agent_id": "agt_1"}), 404, "not_found")  # by id: not the address
    api.delete(f"/api/v1/numbers/{us_number}")
    error_of(route(api, "+14155550100", {"agent_id": "agt_1"}), 404, "not_found")


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"agent_id"}),
        ({"agent": "agt_1"}, {"agent", "agent_id"}),
        ({"agent_id": "agt_1", "label": "x"}, {"label"}),
        ({"agent_id": 7}, {"agent_id"}),
        ({"agent_id": ["agt_1"]}, {"agent_id"}),
        ({"agent_id": "agt 1"}, {"agent_id"}),
        ({"agent_id": "agt_1\n"}, {"agent_id"}),
        ({"agent_id": "a" * 129}, {"agent_id"}),
    ],
)
def test_routing_body_is_validated_strictly_and_changes_nothing(api, us_number, body, fields):
    assert fields_of(route(api, "+14155550100", body)) == fields
    assert api.get(f"/api/v1/numbers/{us_number}").json()["data"]["agent_id"] is None
    assert [entry["method"] for entry in api.app.store.audit()] == ["POST"]


def test_routing_body_must_be_a_json_object(api, us_number):
    assert fields_of(api.put("/api/v1/numbers/%2B14155550100/routing", json=["agt_1"])) == {"body"}
    assert fields_of(api.put("/api/v1/numbers/%2B14155550100/routing", content=b"")) == {"body"}


def test_routing_accepts_the_longest_agent_id(api, us_number):
    assert route(api, "+14155550100", {"agent_id": "a" * 128}).status_code == 200


def test_a_short_code_is_routed_by_its_digits(api):
    row = first_row(api, country="US", type="short_code")
    number_id = buy(api, row["number"])["id"]
    assert route(api, row["number"], {"agent_id": "agt_sms"}).json()["data"]["id"] == number_id


# --- list -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "cur_garbage"}, "cursor"),
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"country": "XX"}, "country"),
        ({"capabilities": "fax"}, "capabilities"),
    ],
)
def test_list_parameters_are_validated(api, params, field):
    assert field in fields_of(api.get("/api/v1/numbers", params=params))


def test_list_limits_default_25_max_200_and_filters(api):
    rows = api.get("/api/v1/numbers/available", params={"country": "US", "limit": 210}).json()["data"]
    for row in rows:
        buy(api, row["number"])
    gb = first_row(api, country="GB", type="local")
    buy(api, gb["number"], country_code="GB")
    page = api.get("/api/v1/numbers").json()
    assert len(page["data"]) == 25
    assert page["meta"]["pagination"]["has_more"] is True
    assert page["meta"]["pagination"]["total"] == 211
    assert len(api.get("/api/v1/numbers", params={"limit": 200}).json()["data"]) == 200
    only_gb = api.get("/api/v1/numbers", params={"country": "GB"}).json()
    assert [item["number"] for item in only_gb["data"]] == [gb["number"]]
    assert only_gb["meta"]["pagination"]["total"] == 1
    voice_only = api.get("/api/v1/numbers", params={"capabilities": "mms", "limit": 200}).json()
    assert gb["number"] not in {item["number"] for item in voice_only["data"]}
    assert voice_only["meta"]["pagination"]["total"] == 210


def test_an_empty_account_lists_nothing(api):
    body = api.get("/api/v1/numbers").json()
    assert body["data"] == []
    assert body["meta"]["pagination"] == {"cursor": None, "has_more": False, "total": 0}


# --- release ----------------------------------------------------------------------------------


def test_release_twice_is_404_and_the_number_is_for_sale_again(api, us_number):
    assert api.delete(f"/api/v1/numbers/{us_number}").status_code == 204
    error_of(api.delete(f"/api/v1/numbers/{us_number}"), 404, "not_found")
    again = buy(api, "+14155550100")
    assert again["id"] != us_number


def test_state_changes_are_audited(api, us_number):
    api.put(f"/api/v1/numbers/{us_number}", json={"label": "x"})
    api.put(f"/api/v1/numbers/{us_number}", json={"label": "y" * 101})  # refused: no change, no entry
    api.delete(f"/api/v1/numbers/{us_number}")
    audit = api.app.store.audit()
    assert [(e["method"], e["status"], e["number_id"], e["number"]) for e in audit] == [
        ("POST", 201, us_number, "+14155550100"),
        ("PUT", 200, us_number, "+14155550100"),
        ("DELETE", 204, us_number, "+14155550100"),
    ]
    assert audit[1]["path"] == f"/api/v1/numbers/{us_number}"
    assert all(entry["timestamp"].endswith("Z") for entry in audit)


# --- what JSON and the patterns cannot carry ----------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"channel_config": {"rate": NaN}}',
        b'{"channel_config": {"rate": Infinity}}',
        b'{"channel_config": {"rate": 1e999}}',
        b'{"label": "\\ud800"}',
        b'{"channel_config": {"\\udfff": 1}}',
        b'{"channel_config": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["nan", "infinity", "overflow", "surrogate-value", "surrogate-key", "deep"],
)
def test_a_body_json_cannot_carry_is_422_and_changes_nothing(api, us_number, raw):
    """NaN, infinities and unpaired surrogates would be echoed as invalid JSON (or fail to be
    stored); a body nested past any sane depth used to be a 500."""
    before = api.get(f"/api/v1/numbers/{us_number}").json()["data"]
    response = api.put(f"/api/v1/numbers/{us_number}", content=raw, headers={"Content-Type": "application/json"})
    assert fields_of(response) == {"body"}
    assert api.get(f"/api/v1/numbers/{us_number}").json()["data"] == before


def test_a_port_request_with_an_unpaired_surrogate_is_422(api):
    raw = b'{"numbers": ["+14155551234"], "current_carrier": "\\udfff", "authorization_name": "J"}'
    assert fields_of(api.post("/api/v1/numbers/porting", content=raw)) == {"body"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"tags": ["support\n"]}, "tags"),
        ({"forwarding_number": "+14155550111\n"}, "forwarding_number"),
        ({"sms_forwarding": "+14155550111\n"}, "sms_forwarding"),
        ({"compliance_profile_id": "cp_us_acme\n"}, "compliance_profile_id"),
    ],
)
def test_a_trailing_line_break_fails_the_put_patterns(api, us_number, body, field):
    assert fields_of(api.put(f"/api/v1/numbers/{us_number}", json=body)) == {field}


@pytest.mark.parametrize("params, field", [({"area_code": "415\n"}, "area_code"), ({"contains": "555\n"}, "contains")])
def test_a_trailing_line_break_fails_the_search_patterns(api, params, field):
    response = api.get("/api/v1/numbers/available", params={"country": "US", **params})
    assert fields_of(response) == {field}


def test_a_trailing_line_break_fails_the_number_patterns_of_purchase_and_port(api):
    assert fields_of(api.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550100\n"})) == {"phone_number"}
    port = {"numbers": ["+14155551234\n"], "current_carrier": "Acme", "authorization_name": "J"}
    assert fields_of(api.post("/api/v1/numbers/porting", json=port)) == {"numbers[0]"}


def test_a_key_with_a_trailing_line_break_is_refused():
    app = create_app(None)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/numbers",
        "QUERY_STRING": "",
        "HTTP_X_API_KEY": KEY + "\n",
        "wsgi.input": None,
    }
    statuses = []
    app(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["401 Unauthorized"]
