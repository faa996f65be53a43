"""inventory.survey: several searches where one is capped, and whether they saw everything."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orbitctl.account.api import AvailableNumber
from orbitctl.account.inventory import search_budget, survey
from orbitctl.model import Selection

US_SMS = Selection(country="US", capabilities=("sms",))


class CappedInventory:
    """An inventory whose search shows at most ``cap`` rows, lowest numbers first (as the sandbox
    does), filtering by area code (the national number's first digits) and contains (digits of
    the E.164 number); every search is logged."""

    def __init__(self, numbers, cap: int):
        self.rows = sorted(numbers)
        self.cap = cap
        self.searches: list[tuple] = []

    def search_available(self, country, *, type=None, capabilities=(), area_code=None, contains=None, limit=100):
        self.searches.append((area_code, contains, limit))
        found = [
            number
            for number in self.rows
            if (area_code is None or number[2:].startswith(area_code)) and (not contains or contains in number[1:])
        ]
        return [
            AvailableNumber(number=number, country="US", type="local", capabilities=("sms", "voice"),
                            monthly_cost=Decimal("1.50"), currency="USD")
            for number in found[: min(limit, self.cap)]
        ]


def area(code: str, count: int, exchange: str = "555") -> list[str]:
    return [f"+1{code}{exchange}{index:04d}" for index in range(count)]


@pytest.fixture
def cap(search_cap):
    return search_cap


def test_one_search_that_is_not_full_sees_everything():
    inventory = CappedInventory(area("202", 30), cap=500)
    found = survey(inventory, US_SMS, wanted=40)
    assert len(found.offers) == 30 and found.complete
    assert len(inventory.searches) == 1


def test_a_full_search_with_enough_numbers_stops_there(cap):
    cap(5)
    inventory = CappedInventory(area("202", 30), cap=5)
    found = survey(inventory, US_SMS, wanted=5)
    assert len(found.offers) == 5 and not found.complete
    assert inventory.searches == [(None, None, 5)]


@pytest.mark.parametrize("parallelism", [1, 3])
def test_a_survey_that_found_enough_does_not_work_out_narrower_searches(cap, monkeypatch, parallelism):
    """Narrowing reads every row's area code (a parse each): a survey about to stop skips it."""
    from orbitctl.account import inventory as module

    cap(5)
    narrowed = []
    real = module._narrower
    monkeypatch.setattr(module, "_narrower", lambda query, offers: narrowed.append(query) or real(query, offers))
    inventory = CappedInventory(area("202", 30) + area("303", 30), cap=5)
    found = survey(inventory, US_SMS, wanted=30, enough=5, parallelism=parallelism)
    assert len(found.offers) == 5 and not found.complete and not narrowed
    found = survey(inventory, US_SMS, wanted=30, parallelism=parallelism)  # not enough yet: narrowed
    assert len(found.offers) >= 10 and narrowed


def test_a_full_search_is_searched_again_by_the_area_codes_its_rows_show(cap):
    cap(5)
    inventory = CappedInventory(area("202", 3) + area("206", 3) + area("212", 40), cap=5)
    found = survey(inventory, US_SMS, wanted=12)
    assert ("206", None, 5) in inventory.searches and ("202", None, 5) in inventory.searches
    assert len({offer.number for offer in found.offers}) == len(found.offers) >= 6
    # area codes the rows did not show may hold more: never complete
    assert not found.complete


def test_an_area_code_is_narrowed_by_its_next_digit_until_every_number_is_seen(cap):
    cap(5)
    numbers = area("415", 4, "555") + area("415", 4, "666") + area("415", 3, "777")
    inventory = CappedInventory(numbers, cap=5)
    found = survey(inventory, Selection(country="US", area_code="415"), wanted=20)
    assert sorted(offer.number for offer in found.offers) == sorted(numbers)
    assert found.complete  # 4155, 4156, 4157 each showed fewer than the cap
    assert ("415", "4155", 5) in inventory.searches and ("415", "4150", 5) in inventory.searches


def test_the_selections_own_contains_is_narrowed_on_both_sides(cap):
    cap(3)
    numbers = ["+12025550777", "+12025557770", "+12027775550", "+12067770001", "+12067770002"]
    inventory = CappedInventory(numbers, cap=3)
    found = survey(inventory, Selection(country="US", area_code="202", contains="777"), wanted=30)
    assert {offer.number for offer in found.offers} == {"+12025550777", "+12025557770", "+12027775550"}
    assert ("202", "7770", 3) in inventory.searches and ("202", "0777", 3) in inventory.searches
    assert found.complete


def test_excluded_numbers_neither_count_nor_come_back(cap):
    cap(5)
    numbers = area("202", 12)
    inventory = CappedInventory(numbers, cap=5)
    found = survey(inventory, Selection(country="US", area_code="202"), wanted=3, exclude=set(numbers[:2]))
    assert [offer.number for offer in found.offers] == numbers[2:5]
    assert len(inventory.searches) == 1


def test_only_rows_kept_count_towards_what_is_wanted(cap):
    cap(5)
    numbers = area("202", 3) + area("206", 5)
    inventory = CappedInventory(numbers, cap=5)
    found = survey(inventory, US_SMS, wanted=4, keep=lambda offer: offer.number.startswith("+1206"))
    # the first search showed two of 206: not enough, so 206 was searched
    assert inventory.searches[1] == ("206", None, 5)
    assert len([offer for offer in found.offers if offer.number.startswith("+1206")]) == 5


def test_the_searches_stop_at_the_budget(cap):
    cap(2)
    inventory = CappedInventory(area("202", 400), cap=2)
    found = survey(inventory, Selection(country="US", area_code="202"), wanted=50)
    assert len(inventory.searches) == search_budget(50) == 2 * 25 + 8
    assert not found.complete


def test_parallel_searches_find_what_one_at_a_time_finds(cap):
    cap(5)
    numbers = area("415", 4, "555") + area("415", 4, "666")
    found = survey(CappedInventory(numbers, cap=5), Selection(country="US", area_code="415"), wanted=9, parallelism=4)
    assert sorted(offer.number for offer in found.offers) == numbers and found.complete


def test_a_pin_is_searched_by_its_national_digits_once():
    inventory = CappedInventory(area("415", 3), cap=500)
    found = survey(inventory, Selection(country="US", number="+14155550001"))
    assert inventory.searches == [(None, "4155550001", 100)]
    assert [offer.number for offer in found.offers] == ["+14155550001"]
