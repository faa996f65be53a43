"""Availability and cost at plan time: searches_needed, candidates, price, cost_delta."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orbitctl.errors import PlanError
from orbitctl.model import Action, ActionKind, Offer, Plan, Selection, cost_delta
from orbitctl.plan.pricing import candidates, describe, price, searches_needed

US_SMS = Selection(country="US", area_code="415", capabilities=("sms",))
POOL_SEL = Selection(country="US", max_monthly_cost=Decimal("2.00"), capabilities=("sms",))
PIN = Selection(country="US", number="+14155550100")


def offer(number, cost="1.00", *, country="US", type="local", caps=("sms", "voice"), currency="USD"):
    return Offer(
        number=number,
        country=country,
        type=type,
        capabilities=tuple(caps),
        monthly_cost=Decimal(cost),
        currency=currency,
    )


def purchase(name, selection):
    return Action(kind=ActionKind.PURCHASE, name=name, selection=selection, number=selection.number)


def replace_(name, selection, old_cost):
    return Action(
        kind=ActionKind.REPLACE,
        name=name,
        id="n-old",
        number="+12125550100",
        selection=selection,
        previous_monthly_cost=Decimal(old_cost),
    )


def release(name, cost):
    return Action(kind=ActionKind.RELEASE, name=name, id="n-rel", monthly_cost=Decimal(cost))


def make_plan(*actions, currency="USD"):
    return Plan(stack="prod", actions=tuple(actions), unchanged=0, currency=currency)


def price_problems(p, offers):
    with pytest.raises(PlanError) as caught:
        price(p, offers)
    return caught.value.problems


def test_searches_needed_one_per_distinct_selection_with_counts_in_action_order():
    same_as_pool = Selection(country="US", max_monthly_cost=Decimal("2.00"), capabilities=("sms",))
    p = make_plan(
        purchase("main", US_SMS),
        purchase("pool", POOL_SEL),
        purchase("pool", POOL_SEL),
        purchase("other", same_as_pool),
        replace_("r", PIN, "1.00"),
        release("gone", "1.00"),
    )
    assert searches_needed(p) == [(US_SMS, 1), (POOL_SEL, 3), (PIN, 1)]
    assert searches_needed(make_plan(release("gone", "1.00"))) == []


def test_candidates_filter_and_order_cheapest_then_lowest_number():
    offers = [
        offer("+14155550103", "1.50"),
        offer("+14155550102", "1.00"),
        offer("+14155550101", "1.00"),
        offer("+14155550104", "0.50", caps=("voice",)),  # lacks sms
        offer("+12125550100", "0.10"),  # not in area code 415
        offer("+14155550105", "0.10", type="mobile"),
    ]
    assert [o.number for o in candidates(US_SMS, offers)] == [
        "+14155550101",
        "+14155550102",
        "+14155550103",
    ]


def test_candidates_respect_max_monthly_cost_and_an_exact_pin():
    offers = [offer("+14155550100", "2.00"), offer("+14155550101", "2.01"), offer("+14155550102", "0.5")]
    assert [o.number for o in candidates(POOL_SEL, offers)] == ["+14155550102", "+14155550100"]
    assert [o.number for o in candidates(PIN, offers)] == ["+14155550100"]


def test_a_number_another_entry_pins_is_a_candidate_only_for_the_pinning_selection():
    offers = [offer("+14155550100", "0.50"), offer("+14155550101", "1.00")]
    reserved = frozenset({"+14155550100"})
    assert [o.number for o in candidates(US_SMS, offers, reserved=reserved)] == ["+14155550101"]
    assert [o.number for o in candidates(PIN, offers, reserved=reserved)] == ["+14155550100"]
    assert [o.number for o in candidates(US_SMS, offers)] == ["+14155550100", "+14155550101"]


def test_price_sets_each_buy_cost_and_the_delta():
    p = make_plan(
        purchase("pool", POOL_SEL),
        purchase("pool", POOL_SEL),
        replace_("main", US_SMS, "3.00"),
        release("gone", "0.25"),
    )
    offers = {
        POOL_SEL.key(): [offer("+14155550102", "1.25"), offer("+14155550101", "1.00")],
        US_SMS.key(): [offer("+14155550109", "2.00")],
    }
    priced = price(p, offers)
    assert [a.monthly_cost for a in priced.actions] == [
        Decimal("1.00"),
        Decimal("1.25"),
        Decimal("2.00"),
        Decimal("0.25"),
    ]
    # 1.00 + 1.25 + (2.00 - 3.00) - 0.25
    assert priced.monthly_cost_delta == Decimal("1.00") and priced.currency == "USD"
    assert priced.actions[2].previous_monthly_cost == Decimal("3.00")
    assert p.actions[0].monthly_cost is None  # the input plan is not changed


def test_price_takes_the_currency_of_the_offers():
    priced = price(make_plan(purchase("gb", Selection(country="GB"))), {
        Selection(country="GB").key(): [offer("+442071234567", "3.00", country="GB", currency="GBP")]
    })
    assert (priced.currency, priced.monthly_cost_delta) == ("GBP", Decimal("3.00"))


def test_price_of_a_plan_with_nothing_to_buy_keeps_the_release_savings():
    priced = price(make_plan(release("a", "1.50"), currency="EUR"), {})
    assert (priced.monthly_cost_delta, priced.currency) == (Decimal("-1.50"), "EUR")


def test_price_of_a_plan_that_neither_buys_nor_releases_keeps_its_currency():
    update = Action(kind=ActionKind.UPDATE, name="a", id="n1", number="+14155550100")
    priced = price(make_plan(update, currency="EUR"), {})
    assert (priced.monthly_cost_delta, priced.currency) == (Decimal("0"), "EUR")


def test_nothing_available_is_a_clear_error():
    assert price_problems(make_plan(purchase("main", US_SMS)), {US_SMS.key(): []}) == [
        "entry 'main': no number available for country=US type=local area_code=415 "
        "capabilities=sms; loosen the selection (another area_code, no contains, fewer "
        "capabilities) or try later"
    ]


def test_a_missing_search_counts_as_nothing_available():
    assert "no number available" in price_problems(make_plan(purchase("main", US_SMS)), {})[0]


def test_pinned_number_not_in_the_inventory_is_a_clear_error():
    found = price_problems(make_plan(purchase("legacy", PIN)), {PIN.key(): [offer("+14155550101")]})
    assert found == [
        "entry 'legacy': pinned number +14155550100 is neither on the account nor available to "
        "buy (country=US type=local number=+14155550100); check the number, or drop number: to "
        "buy any matching one"
    ]


def test_pinned_number_in_the_inventory_that_does_not_fit_says_why():
    pin = Selection(country="US", number="+14155550100", capabilities=("sms", "fax"))
    found = price_problems(make_plan(purchase("legacy", pin)), {pin.key(): [offer("+14155550100", type="mobile")]})
    assert found == [
        "entry 'legacy': pinned number +14155550100 is in the inventory but does not fit the "
        "entry (type is mobile, wanted local; capabilities lack fax): change the entry to match "
        "the number"
    ]



def test_pinned_number_in_the_inventory_says_every_capability_that_does_not_fit():
    pin = Selection(country="US", number="+14155550100", capabilities=("sms", "mms", "whatsapp"))
    fixed = offer("+14155550100", caps=("sms", "fax"))
    found = price_problems(make_plan(purchase("legacy", pin)), {pin.key(): [fixed]})
    assert found == [
        "entry 'legacy': pinned number +14155550100 is in the inventory but does not fit the "
        "entry (capabilities lack mms,whatsapp; capabilities: it has fax, fixed at provisioning, which "
        "the entry leaves out): change the entry to match the number"
    ]


def test_everything_dearer_than_max_names_the_cheapest_price():
    offers = {POOL_SEL.key(): [offer("+14155550101", "3.00"), offer("+14155550102", "2.50")]}
    assert price_problems(make_plan(purchase("pool", POOL_SEL)), offers) == [
        "entry 'pool': every number available for country=US type=local capabilities=sms costs "
        "more than max_monthly_cost 2.00; the cheapest is 2.50 USD (+14155550102): raise "
        "max_monthly_cost or change the selection"
    ]


def test_too_few_for_a_pool_is_a_clear_error():
    p = make_plan(*[purchase("pool", POOL_SEL)] * 3)
    offers = {POOL_SEL.key(): [offer("+14155550101"), offer("+14155550102"), offer("+14155550103", "9")]}
    assert price_problems(p, offers) == [
        "entry 'pool' needs 3 numbers for country=US type=local capabilities=sms within "
        "max_monthly_cost 2.00, but only 2 are available: lower count, loosen the selection or "
        "try later"
    ]


def test_too_few_for_two_entries_sharing_a_selection_names_both():
    sel = Selection(country="US")
    p = make_plan(purchase("a", sel), purchase("b", sel))
    found = price_problems(p, {sel.key(): [offer("+14155550101")]})
    assert found[0].startswith("entries 'a', 'b' need 2 numbers for country=US type=local, but only 1")


def test_every_unservable_selection_is_reported_at_once():
    p = make_plan(purchase("main", US_SMS), purchase("legacy", PIN))
    assert len(price_problems(p, {})) == 2


def test_offers_in_another_currency_than_the_releases_are_refused():
    sel = Selection(country="GB")
    p = make_plan(purchase("gb", sel), release("old", "1.00"))
    found = price_problems(p, {sel.key(): [offer("+442071234567", country="GB", currency="GBP")]})
    assert found == [
        "the plan's monthly costs are in several currencies (GBP, USD): orbitctl cannot sum "
        "them; plan the numbers of each currency in a separate stack"
    ]


def test_cost_delta_ignores_unpriced_actions_and_counts_each_kind():
    actions = [
        purchase("a", US_SMS),  # unpriced
        Action(kind=ActionKind.PURCHASE, name="b", monthly_cost=Decimal("1.10")),
        Action(kind=ActionKind.REPLACE, name="c", monthly_cost=Decimal("2.00")),  # no old cost known
        release("d", "0.60"),
        Action(kind=ActionKind.UPDATE, name="e", monthly_cost=Decimal("9")),
    ]
    assert cost_delta(actions) == Decimal("2.50")


def test_describe_names_every_stated_selection_key():
    sel = Selection(country="US", type="mobile", area_code="415", contains="77", capabilities=("voice", "sms"))
    assert describe(sel) == "country=US type=mobile area_code=415 contains=77 capabilities=sms,voice"


DE_VOICE = Selection(country="DE", capabilities=("voice",))


def test_a_number_with_fax_fixed_is_never_a_candidate_for_an_entry_leaving_fax_out():
    with_fax = offer("+4930100", "1.00", country="DE", caps=("voice", "fax"))
    without = offer("+4930200", "2.00", country="DE", caps=("voice",))
    assert candidates(DE_VOICE, [with_fax, without]) == [without]
    assert candidates(Selection(country="DE", capabilities=("voice", "fax")), [with_fax, without]) == [with_fax]
    assert candidates(Selection(country="DE"), [with_fax, without]) == [with_fax, without]  # not managed


def test_when_every_number_has_fax_fixed_the_plan_says_to_add_fax():
    with_fax = offer("+4930100", country="DE", caps=("voice", "fax"))
    [problem] = price_problems(make_plan(purchase("de", DE_VOICE)), {DE_VOICE.key(): [with_fax]})
    assert "entry 'de'" in problem and "fax" in problem and "fixed at provisioning" in problem
    assert "add fax to the entry's capabilities" in problem


def test_the_inventory_search_sends_only_the_capabilities_the_api_filters_by():
    from orbitctl.account.inventory import survey

    class Recorder:
        def search_available(self, country, **filters):
            self.filters = filters
            return []

    client = Recorder()
    survey(client, Selection(country="DE", capabilities=("voice", "fax")))
    assert client.filters["capabilities"] == ("voice",)


def test_a_number_another_entry_pins_is_never_priced_for_an_any_number_entry():
    any_415 = Selection(country="US", area_code="415")
    offers = [offer("+14155550100", "1.00"), offer("+14155550101", "1.50")]
    priced = price(make_plan(purchase("legacy", PIN), purchase("support", any_415)), {
        PIN.key(): offers[:1], any_415.key(): offers,
    })
    assert [action.monthly_cost for action in priced.actions] == [Decimal("1.00"), Decimal("1.50")]
    only_the_pin = price_problems(make_plan(purchase("legacy", PIN), purchase("support", any_415)), {
        PIN.key(): offers[:1], any_415.key(): offers[:1],
    })
    assert only_the_pin and "entry 'support'" in only_the_pin[0]


# --- selections the searches could not count in full -------------------------------------------


def test_too_few_found_where_the_searches_saw_everything_fails_the_plan():
    offers = {POOL_SEL.key(): [offer("+14155550101"), offer("+14155550102")]}
    [problem] = price_problems(make_plan(*[purchase("pool", POOL_SEL)] * 3), offers)
    assert "needs 3 numbers" in problem and "only 2 are available" in problem


def test_too_few_found_where_the_searches_could_not_see_everything_is_a_note_not_an_error():
    found = [offer("+14155550101", "1.00"), offer("+14155550102", "1.00"), offer("+14155550103", "2.00")]
    plan = make_plan(*[purchase("pool", POOL_SEL)] * 3, *[purchase("other", POOL_SEL)] * 2)
    priced = price(plan, {POOL_SEL.key(): found}, partial={POOL_SEL.key()}, search_cap=3)
    [note] = priced.availability
    assert (note.names, note.needed, note.found, note.search_cap) == (("pool", "other"), 5, 3, 3)
    assert note.selection == POOL_SEL
    # the members beyond those found cost the median of the prices found
    assert [a.monthly_cost for a in priced.actions] == [Decimal("1.00")] * 2 + [Decimal("2.00")] + [Decimal("1.00")] * 2
    assert priced.monthly_cost_delta == Decimal("6.00")


def test_members_beyond_two_numbers_found_cost_the_dearer_of_the_two():
    """The median of an even number of prices found is the upper middle one."""
    found = [offer("+14155550101", "1.00"), offer("+14155550102", "1.80")]
    plan = make_plan(*[purchase("pool", POOL_SEL)] * 4)
    priced = price(plan, {POOL_SEL.key(): found}, partial={POOL_SEL.key()}, search_cap=2)
    assert [a.monthly_cost for a in priced.actions] == [Decimal("1.00")] + [Decimal("1.80")] * 3


def test_enough_found_needs_no_note_even_when_the_searches_could_not_see_everything():
    found = [offer("+14155550101"), offer("+14155550102")]
    priced = price(make_plan(*[purchase("pool", POOL_SEL)] * 2), {POOL_SEL.key(): found}, partial={POOL_SEL.key()})
    assert priced.availability == ()


def test_nothing_affordable_fails_the_plan_even_when_the_searches_could_not_see_everything():
    dear = [offer("+14155550101", "5.00")]
    with pytest.raises(PlanError) as caught:
        price(make_plan(purchase("pool", POOL_SEL)), {POOL_SEL.key(): dear}, partial={POOL_SEL.key()})
    assert "costs more than max_monthly_cost 2.00" in caught.value.problems[0]
