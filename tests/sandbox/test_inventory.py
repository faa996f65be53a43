"""The deterministic inventory: coverage of the Number Types table, valid numbers, realistic regions,
prices, placeholders, ordering and determinism."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import phonenumbers
import pytest

from orbitctl.sandbox import countries
from orbitctl.sandbox.app import create_app
from orbitctl.sandbox.inventory import Inventory, monthly_cost
from tests.helpers import sandbox_api

PRICE = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return Inventory(seed=0)


def client(seed: int = 0) -> httpx.Client:
    return sandbox_api(seed=seed)


def search(api: httpx.Client, **params) -> list[dict]:
    response = api.get("/api/v1/numbers/available", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def countries_selling(inventory: Inventory, number_type: str) -> set[str]:
    return {c for c in countries.countries() if inventory.search(c, number_type=number_type, limit=1)}


def test_number_types_table(inventory):
    assert len(countries_selling(inventory, "local")) >= 60
    assert len(countries_selling(inventory, "mobile")) >= 40
    assert countries_selling(inventory, "toll_free") == {"US", "CA", "GB", "AU"}
    assert countries_selling(inventory, "short_code") == {"US", "CA", "GB"}


def test_every_sold_e164_number_is_valid_of_its_type_and_country(inventory):
    wanted = {
        "local": {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE},
        "mobile": {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE},
        "toll_free": {phonenumbers.PhoneNumberType.TOLL_FREE},
    }
    checked = 0
    for country in countries.countries():
        for row in inventory.search(country, limit=40):
            if row.type == "short_code":
                assert re.fullmatch(r"\d{5,6}", row.number), row
                continue
            parsed = phonenumbers.parse(row.number, None)
            assert phonenumbers.is_valid_number(parsed), row
            assert phonenumbers.number_type(parsed) in wanted[row.type], row
            home = phonenumbers.region_code_for_number(parsed)
            assert home == country or (row.type == "toll_free" and parsed.country_code == 1), row
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == row.number
            checked += 1
    assert checked > 2000


@pytest.mark.parametrize(
    "country, area_code, region",
    [
        ("US", "415", "California"),
        ("US", "212", "New York"),
        ("US", "312", "Illinois"),
        ("CA", "416", "Ontario"),
        ("GB", "20", "London"),
        ("GB", "161", "Manchester"),
        ("DE", "30", "Berlin"),
        ("FR", "1", "Île-de-France"),
        ("AU", "2", "New South Wales"),
        ("JP", "3", "Tokyo"),
        ("BR", "11", "São Paulo"),
    ],
)
def test_area_codes_have_real_regions(country, area_code, region):
    with client() as api:
        rows = search(api, country=country, area_code=area_code, type="local", limit=20)
    assert rows
    calling_code = str(phonenumbers.country_code_for_region(country))
    for row in rows:
        assert row["region"] == region
        assert row["number"].startswith(f"+{calling_code}{area_code}")


def test_capabilities_and_prices_per_type_and_country():
    with client() as api:
        assert search(api, country="US", type="local", limit=1)[0]["capabilities"] == ["sms", "voice", "mms"]
        assert search(api, country="GB", type="local", limit=1)[0]["capabilities"] == ["voice"]
        assert search(api, country="GB", type="mobile", limit=1)[0]["capabilities"][:2] == ["sms", "voice"]
        assert "fax" in search(api, country="JP", type="local", limit=1)[0]["capabilities"]
        assert search(api, country="US", type="short_code", limit=1)[0]["monthly_cost"] == "1000.00"
        for row in search(api, country="AU", limit=500):
            assert PRICE.match(row["monthly_cost"]) and row["currency"] == "USD"


def test_golden_numbers_cost_ten_times():
    assert monthly_cost("US", "local", "+14155557777") == "15.00"
    assert monthly_cost("US", "local", "+14155557778") == "1.50"
    assert Decimal(monthly_cost("GB", "mobile", "+447400120000")) == 10 * Decimal(countries.MOBILE["GB"])


def test_capability_filter_is_all_of():
    with client() as api:
        assert search(api, country="GB", type="local", capabilities="sms") == []
        rows = search(api, country="GB", capabilities="sms,whatsapp", limit=50)
        assert rows and all(row["type"] == "mobile" and "whatsapp" in row["capabilities"] for row in rows)


@pytest.mark.parametrize(
    "country, number_type, capability, share",
    [("US", "local", "whatsapp", 0.5), ("US", "local", "rcs", 0.25), ("GB", "mobile", "whatsapp", 0.75),
     ("GB", "mobile", "rcs", 0.5), ("DE", "mobile", "rcs", 0.25), ("US", "toll_free", "whatsapp", 0.5)],
)
def test_whatsapp_and_rcs_are_offered_on_a_seeded_share_of_some_numbers(country, number_type, capability, share):
    rows = Inventory(seed=0).search(country, number_type=number_type, limit=2000)
    seeded = [row for row in rows if not re.search(r"^\+1\d{3}55501\d\d$", row.number)]
    having = [row for row in seeded if capability in row.capabilities]
    assert len(seeded) > 400
    assert abs(len(having) / len(seeded) - share) < 0.08
    common = countries.capabilities_for(country, number_type)
    assert all(row.capabilities[: len(common)] == common for row in rows)  # every number offers the common ones
    # deterministic from the seed: the same seed picks the same numbers, another seed others
    again = Inventory(seed=0).search(country, number_type=number_type, limit=2000)
    assert [row.capabilities for row in again] == [row.capabilities for row in rows]
    other = Inventory(seed=7).search(country, number_type=number_type, limit=2000)
    assert {r.number for r in other if capability in r.capabilities} != {r.number for r in having}


def test_the_page_example_range_keeps_the_page_capabilities(inventory):
    rows = inventory.search("US", number_type="local", area_code="415", limit=100)
    example = [row for row in rows if row.number.startswith("+141555501")]
    assert len(example) == 100 and {row.capabilities for row in example} == {("sms", "voice", "mms")}


def test_no_number_of_other_countries_or_types_offers_whatsapp_or_rcs(inventory):
    for country, number_type in [("GB", "local"), ("FR", "mobile"), ("AU", "mobile"), ("US", "short_code")]:
        for row in inventory.search(country, number_type=number_type, limit=300):
            assert not {"whatsapp", "rcs"} & set(row.capabilities), (country, number_type, row.number)


def test_a_row_offers_the_same_capabilities_in_search_and_at_purchase():
    with client() as api:
        row = search(api, country="US", type="local", area_code="212", capabilities="whatsapp", limit=1)[0]
        assert "whatsapp" in row["capabilities"]
        bought = api.post(
            "/api/v1/numbers/purchase", json={"phone_number": row["number"], "capabilities": ["sms", "whatsapp"]}
        )
        assert bought.status_code == 201, bought.text
        assert "whatsapp" in bought.json()["data"]["capabilities"]


def test_contains_filters_on_digits():
    with client() as api:
        rows = search(api, country="US", contains="5550123", limit=50)
    assert rows and all("5550123" in row["number"] for row in rows)


def test_placeholder_countries_flag_every_row():
    with client() as api:
        for country in sorted(countries.PLACEHOLDER):
            rows = search(api, country=country, limit=5)
            assert rows and all(row.get("placeholder") is True for row in rows), country
        assert all("placeholder" not in row for row in search(api, country="US", limit=50))


def test_results_are_ordered_and_deterministic_for_a_seed():
    with client(seed=1) as one, client(seed=1) as same, client(seed=2) as other:
        first = search(one, country="US", area_code="212", limit=300)
        assert first == search(same, country="US", area_code="212", limit=300)
        numbers = [row["number"] for row in first]
        assert numbers == sorted(numbers) and len(set(numbers)) == 300
        assert numbers[:100] == [f"+121255501{n:02d}" for n in range(100)]  # the 555-01XX range
        assert numbers != [row["number"] for row in search(other, country="US", area_code="212", limit=300)]


def test_inventory_ids_are_stable_and_seeded(inventory):
    assert inventory.row_id("US", "+14155550100") == Inventory(seed=0).row_id("US", "+14155550100")
    assert inventory.row_id("US", "+14155550100") != Inventory(seed=1).row_id("US", "+14155550100")


def test_creating_the_app_builds_no_inventory():
    app = create_app(None, seed=5)
    assert app.inventory._blocks == {} and app.inventory._numbers == {}
