"""Buying a pool larger than one search: waves of purchases, each after a fresh search; entries
sharing a selection; the inventory running out. Against the executor's in-memory fake (the offer
book alone against a shelf of rows), with the API's search cap lowered to a few rows."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from decimal import Decimal

import pytest

from orbitctl.account import inventory
from orbitctl.account.api import AvailableNumber
from orbitctl.apply.journal import Journal
from orbitctl.apply.outcome import Status
from orbitctl.apply.purchase import SURVEY_FRESH_SECONDS, OfferBook
from orbitctl.plan.pricing import candidates
from tests.apply.test_executor import US_LOCAL, FakeOrbit, make_plan, purchase, run

CAP = 5


@pytest.fixture(autouse=True)
def small_searches(search_cap):
    """Every search shows at most CAP rows: the fake honours the limit orbitctl asks for."""
    search_cap(CAP)


@pytest.fixture
def journal(tmp_path):
    return Journal(tmp_path / ".orbitctl" / "journal.json")


def purchased(fake: FakeOrbit) -> list[str]:
    return [call[1] for call in fake.calls_of("purchase")]


def test_a_pool_larger_than_one_search_is_bought_in_waves(journal):
    fake = FakeOrbit(inventory_size=40, delay=0.002)
    result = run(make_plan(*[purchase("pool") for _ in range(17)]), fake, journal, parallelism=4)
    assert not result.failed, [outcome.message for outcome in result.failed]
    assert len(fake.owned("pool")) == 17
    assert len(purchased(fake)) == len(set(purchased(fake))) == 17  # nothing tried twice
    assert len(fake.calls_of("search")) >= 17 // CAP + 1


def test_entries_sharing_a_selection_never_claim_the_same_offer(journal):
    fake = FakeOrbit(inventory_size=40, delay=0.003)
    plan = make_plan(*[purchase("a") for _ in range(9)], *[purchase("b") for _ in range(8)])
    result = run(plan, fake, journal, parallelism=8)
    assert not result.failed, [outcome.message for outcome in result.failed]
    assert len(purchased(fake)) == len(set(purchased(fake))) == 17
    assert len(fake.owned("a")) == 9 and len(fake.owned("b")) == 8
    a_numbers = {fields["number"] for fields in fake.owned("a")}
    assert not a_numbers & {fields["number"] for fields in fake.owned("b")}


class HeldUntilTheNextSearch(FakeOrbit):
    """A fake whose purchases of the ``held`` numbers wait until a second search has been answered
    (at most ``HOLD_TIMEOUT`` seconds: then ``waited_out`` names them): while every worker waits on
    one of them, only a search already started in the background can answer."""

    def __init__(self, *args, held: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.held = held
        self.waited_out: list[str] = []
        self._searches = 0
        self._second_search = threading.Event()

    def search_available(self, *args, **kwargs):
        rows = super().search_available(*args, **kwargs)
        with self.lock:
            self._searches += 1
            if self._searches >= 2:
                self._second_search.set()
        return rows

    def purchase(self, phone_number, **kwargs):
        if phone_number in self.held and not self._second_search.wait(HOLD_TIMEOUT):
            self.waited_out.append(phone_number)
        return super().purchase(phone_number, **kwargs)


#: Long enough for a background search on a busy machine; only a failing test waits it out.
HOLD_TIMEOUT = 30.0


def test_the_next_wave_is_searched_before_the_current_one_runs_out(journal, search_cap):
    search_cap(100)  # a page large enough for a background search to be worth it at parallelism 4
    parallelism = 4
    inventory = FakeOrbit(inventory_size=400).inventory
    # the first wave holds the 34 rows at 1.00 of the first 100 (in the order they are bought); once
    # fewer than two per worker are left, the next wave is searched: the purchases of those last 7
    # wait for that search, so they would wait in vain if it only began once the wave ran out
    first_wave = [number for number in sorted(inventory)[:100] if inventory[number].monthly_cost == 1]
    assert len(first_wave) == 34
    fake = HeldUntilTheNextSearch(inventory_size=400, held=set(first_wave[-(2 * parallelism - 1):]))
    result = run(make_plan(*[purchase("pool") for _ in range(150)]), fake, journal, parallelism=parallelism)
    assert not result.failed, [outcome.message for outcome in result.failed]
    assert len(purchased(fake)) == len(set(purchased(fake))) == 150
    assert fake.waited_out == []
    calls = [call[0] for call in fake.calls if call[0] in ("search", "purchase")]
    second_search = [index for index, call in enumerate(calls) if call == "search"][1]
    assert calls[:second_search].count("purchase") <= len(first_wave) - (2 * parallelism - 1)


def test_a_wave_buys_the_cheapest_it_sees_before_searching_again(journal):
    fake = FakeOrbit(inventory_size=30)  # costs 1.00, 1.50, 2.00, 1.00, ... by number
    result = run(make_plan(*[purchase("pool") for _ in range(4)]), fake, journal, parallelism=1)
    assert not result.failed
    # the first search shows ...0 to ...4, of which 0 and 3 cost 1.00: those are bought, not 1
    # (1.50); the next shows 1, 2, 4, 5, 6: only 6 costs 1.00; the next 1, 2, 4, 5, 7: none
    # does, so the cheapest of them, 1 (1.50)
    assert purchased(fake) == ["+14155550000", "+14155550003", "+14155550006", "+14155550001"]


def test_when_the_inventory_runs_out_the_purchases_made_stand_and_the_rest_say_what_is_missing(journal):
    fake = FakeOrbit(inventory_size=9, delay=0.002)
    plan = make_plan(*[purchase("otp") for _ in range(8)], *[purchase("backup") for _ in range(4)])
    result = run(plan, fake, journal, parallelism=4)

    assert len(result.succeeded) == 9 and len(fake.numbers) == 9
    assert len(fake.owned("otp")) + len(fake.owned("backup")) == 9  # each bought one configured
    assert journal.entries() == []  # nothing bought and left unconfigured
    failed = result.failed
    assert len(failed) == 3 and all(outcome.out_of_stock for outcome in failed)
    missing = {"otp": 8 - len(fake.owned("otp")), "backup": 4 - len(fake.owned("backup"))}
    for outcome in failed:
        assert outcome.status is Status.FAILED and outcome.number is None
        assert "the inventory has run out" in outcome.message
        assert "3 of the 12 numbers to buy with it are missing" in outcome.message
        for name, count in missing.items():
            if count:
                assert f"'{name}' {count}" in outcome.message
        assert "Lower count, or loosen the selection" in outcome.message
        assert outcome.to_json()["out_of_stock"] is True
    assert len(purchased(fake)) == 9  # no purchase sent for a number it did not see


def test_a_single_entry_out_of_stock_is_told_to_loosen_its_selection(journal):
    result = run(make_plan(purchase("a")), FakeOrbit(inventory_size=0), journal)
    [outcome] = result.outcomes
    assert outcome.out_of_stock and "Loosen the selection" in outcome.message
    assert "Lower count" not in outcome.message


class Shelf:
    """Searches as the API answers them: the lowest numbers not yet bought, at most ``limit``, by
    area code and ``contains``. ``during_next_search`` is called once, inside the next search."""

    def __init__(self, *numbers: str):
        self.rows = {
            number: AvailableNumber(number=number, country="US", type="local", capabilities=("sms", "voice"),
                                    monthly_cost=Decimal("1.00"), currency="USD", id=f"inv_{number[1:]}")
            for number in numbers
        }
        self.during_next_search = None

    def search_available(self, country, *, type=None, capabilities=(), area_code=None, contains=None, limit=100):
        rows = sorted(
            (row for row in self.rows.values()
             if (area_code is None or row.number[2:5] == area_code) and (contains is None or contains in row.number)),
            key=lambda row: row.number,
        )[:limit]
        hook, self.during_next_search = self.during_next_search, None
        if hook is not None:
            hook()
        return rows


def test_rows_hidden_by_purchases_that_end_during_a_search_are_searched_for_again(search_cap):
    search_cap(2)
    a, b, c = "+12025550100", "+13055550100", "+18015550100"  # three area codes
    shelf = Shelf(a, b, c)
    book = OfferBook(shelf, wanted={US_LOCAL.key(): 4}, parallelism=2)
    assert [book.take(US_LOCAL).number, book.take(US_LOCAL).number] == [a, b]

    def bought(*numbers: str) -> None:
        for number in numbers:
            del shelf.rows[number]
            book.settled(US_LOCAL)

    # the next search shows a and b, still being bought, and only then are they: it is full, and
    # the narrower searches (by their area codes) show nothing new; c, hidden behind them, is found
    # by searching again, not declared out of stock
    shelf.during_next_search = lambda: bought(a, b)
    assert book.take(US_LOCAL).number == c
    bought(c)
    assert book.take(US_LOCAL) is None  # nothing under way, and nothing left


# --- the plan's searches as the first wave --------------------------------------------------


def plan_priced_from(fake: FakeOrbit, *actions, ended_at: float):
    """The plan of ``actions`` as the pipeline leaves it: with the survey it was priced from."""
    found = inventory.survey(fake, US_LOCAL, wanted=len(actions))
    fake.calls.clear()
    return replace(make_plan(*actions), surveys={US_LOCAL.key(): replace(found, ended_at=ended_at)})


def test_a_fresh_plan_s_searches_are_the_first_wave_and_later_waves_search_again(journal):
    fake = FakeOrbit(inventory_size=40)
    plan = plan_priced_from(fake, *[purchase("pool") for _ in range(12)], ended_at=time.monotonic())
    result = run(plan, fake, journal, parallelism=1)
    assert not result.failed, [outcome.message for outcome in result.failed]
    calls = [call for call in fake.calls if call[0] in ("search", "purchase")]
    first_search = [call[0] for call in calls].index("search")  # 12 numbers, 5 rows a search: later waves search
    seen = {offer.number for offer in plan.surveys[US_LOCAL.key()].offers}
    assert first_search >= 1 and all(call[1] in seen for call in calls[:first_search])  # the plan's rows first
    assert len(purchased(fake)) == len(set(purchased(fake))) == 12


def test_a_stale_plan_s_searches_are_searched_again(journal):
    fake = FakeOrbit(inventory_size=40)
    plan = plan_priced_from(
        fake, *[purchase("pool") for _ in range(3)], ended_at=time.monotonic() - SURVEY_FRESH_SECONDS - 1
    )
    result = run(plan, fake, journal, parallelism=1)
    assert not result.failed, [outcome.message for outcome in result.failed]
    assert fake.calls[0][0] == "search"


def test_rows_of_the_plan_s_searches_taken_meanwhile_are_skipped(journal):
    fake = FakeOrbit(inventory_size=40)
    plan = plan_priced_from(fake, *[purchase("pool") for _ in range(4)], ended_at=time.monotonic())
    first = candidates(US_LOCAL, plan.surveys[US_LOCAL.key()].offers)  # the order apply tries them in
    taken = [offer.number for offer in first[:2]]
    for number in taken:  # bought by someone else since the plan
        fake.inventory.pop(number)
    result = run(plan, fake, journal, parallelism=2)
    assert not result.failed, [outcome.message for outcome in result.failed]
    assert set(taken) <= set(purchased(fake))  # tried from the plan's rows, refused (409)
    assert len(fake.owned("pool")) == 4
    assert not {fields["number"] for fields in fake.owned("pool")} & set(taken)


def test_the_first_wave_from_the_plan_s_searches_is_one_search_s_worth(journal):
    """The plan's searches may hold a whole pool's rows; those beyond one search's would age
    while the wave is bought: they are searched for again."""
    fake = FakeOrbit(inventory_size=40)
    fake.inventory = {number: replace(row, monthly_cost=Decimal("1.00")) for number, row in fake.inventory.items()}
    plan = plan_priced_from(fake, *[purchase("pool") for _ in range(12)], ended_at=time.monotonic())
    assert len(plan.surveys[US_LOCAL.key()].offers) > CAP  # all of them as cheap: all in the first wave but for the cut
    run(plan, fake, journal, parallelism=1)
    kinds = [call[0] for call in fake.calls if call[0] in ("search", "purchase")]
    assert kinds.index("search") <= CAP
