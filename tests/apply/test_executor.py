"""The executor against an in-memory fake of the client: ordering, the concurrency bound, and each
failure mode of the buy-configure-read-back sequence."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest

from orbitctl.account.api import (
    AvailableNumber,
    ConflictError,
    NotFoundError,
    NumberRecord,
    RateLimitedError,
    RoutingRecord,
    ServerError,
    TransportError,
    ValidationError,
)
from orbitctl.account.observe import live_number
from orbitctl.apply.executor import execute
from orbitctl.apply.journal import Journal
from orbitctl.apply.outcome import Status
from orbitctl.frozen import freeze, thaw
from orbitctl.model import REGULATORY_HOLD, Action, ActionKind, Change, Live, Plan, Selection, ownership_tag

STACK = "prod"
US_LOCAL = Selection(country="US", type="local", capabilities=("sms",))


class FakeOrbit:
    """Enough of OrbitClient for the executor, with scripted failures and a log of every call."""

    def __init__(self, inventory_size: int = 20, *, delay: float = 0.0):
        self.inventory = {
            f"+1415555{index:04d}": AvailableNumber(
                number=f"+1415555{index:04d}", country="US", type="local",
                capabilities=("sms", "voice"), monthly_cost=Decimal("1.00") + Decimal(index % 3) / 2,
                currency="USD", id=f"inv_{index:04d}",
            )
            for index in range(inventory_size)
        }
        self.numbers: dict[str, dict] = {}
        self.calls: list[tuple] = []
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.next_id = 0
        # scripts: number -> exception raised by purchase (after committing when commit_first)
        self.purchase_errors: dict[str, list[tuple[Exception, bool]]] = {}
        self.configure_errors: dict[str, Exception] = {}
        self.taken_by_others: set[str] = set()
        self.hold_numbers: set[str] = set()
        self.ignored_keys: set[str] = set()
        # phone number -> exception raised by route; whether route's answer shows the agent
        self.routing_errors: dict[str, Exception] = {}
        self.routing_echoes = True

    def _enter(self, *call):
        with self.lock:
            self.calls.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.delay:
            time.sleep(self.delay)

    def _leave(self):
        with self.lock:
            self.in_flight -= 1

    def add_number(self, number: str, **fields) -> str:
        with self.lock:
            self.next_id += 1
            number_id = f"num_{self.next_id:04d}"
            self.inventory.pop(number, None)
            self.numbers[number_id] = {
                "id": number_id, "number": number, "country": "US", "type": "local",
                "status": "active", "capabilities": ["sms", "voice"], "tags": [],
                "monthly_cost": "1.00", "currency": "USD", "created_at": f"2026-01-01T00:00:{self.next_id:02d}Z",
                **fields,
            }
            return number_id

    def record(self, number_id: str) -> NumberRecord:
        fields = self.numbers[number_id]
        return NumberRecord(id=number_id, number=fields["number"], fields=freeze(dict(fields)))

    # --- the client's interface ----------------------------------------------------------

    def search_available(self, country, *, type=None, capabilities=(), area_code=None, contains=None, limit=100):
        self._enter("search", country)
        try:
            with self.lock:  # a purchase in another thread takes its row out meanwhile
                rows = [row for row in self.inventory.values() if row.country == country]
            if contains:
                rows = [row for row in rows if contains in row.number]
            return sorted(rows, key=lambda row: row.number)[:limit]
        finally:
            self._leave()

    def purchase(self, phone_number, *, country_code, capabilities=(), compliance_profile_id=None, inventory_id=None):
        self._enter("purchase", phone_number, compliance_profile_id, inventory_id)
        try:
            script = self.purchase_errors.get(phone_number)
            if script:
                error, commit_first = script.pop(0)
                if commit_first:
                    self._commit(phone_number, compliance_profile_id)
                raise error
            if phone_number in self.taken_by_others or phone_number not in self.inventory:
                raise ConflictError("no longer available", status=409)
            return self.record(self._commit(phone_number, compliance_profile_id))
        finally:
            self._leave()

    def _commit(self, phone_number, compliance_profile_id):
        status = REGULATORY_HOLD if phone_number in self.hold_numbers else "active"
        return self.add_number(phone_number, status=status, compliance_profile_id=compliance_profile_id)

    def iter_numbers(self, *, page_size=200, **_):
        self._enter("list")
        self._leave()
        return iter([self.record(number_id) for number_id in sorted(self.numbers)])

    def get_number(self, number_id):
        self._enter("get", number_id)
        try:
            if number_id not in self.numbers:
                raise NotFoundError("no such number", status=404)
            return self.record(number_id)
        finally:
            self._leave()

    def configure(self, number_id, **fields):
        self._enter("configure", number_id, thaw(fields))
        try:
            if number_id in self.configure_errors:
                raise self.configure_errors[number_id]
            if number_id not in self.numbers:
                raise NotFoundError("no such number", status=404)
            for key, value in thaw(fields).items():
                if key not in self.ignored_keys:
                    self.numbers[number_id][key] = value
            return self.record(number_id)
        finally:
            self._leave()

    def route(self, phone_number, agent_id):
        self._enter("route", phone_number, agent_id)
        try:
            if phone_number in self.routing_errors:
                raise self.routing_errors[phone_number]
            with self.lock:
                found = [fields for fields in self.numbers.values() if fields["number"] == phone_number]
            if not found:
                raise NotFoundError(f"no number {phone_number}", status=404)
            if "agent_id" not in self.ignored_keys:
                found[0]["agent_id"] = agent_id
            shown = {"number": phone_number, "agent_id": found[0].get("agent_id")} if self.routing_echoes else {}
            return RoutingRecord(number=phone_number, fields=freeze(shown))
        finally:
            self._leave()

    def release(self, number_id):
        self._enter("release", number_id)
        try:
            if self.numbers.pop(number_id, None) is None:
                raise NotFoundError("no such number", status=404)
        finally:
            self._leave()

    # --- what happened -------------------------------------------------------------------

    def calls_of(self, method: str) -> list[tuple]:
        return [call for call in self.calls if call[0] == method]

    def owned(self, name: str) -> list[dict]:
        tag = ownership_tag(STACK, name)
        return [fields for fields in self.numbers.values() if tag in fields["tags"]]


def purchase(name="pool", selection=US_LOCAL, **config) -> Action:
    return Action(
        kind=ActionKind.PURCHASE, name=name, selection=selection,
        config=freeze({"label": name, **config}), tag=ownership_tag(STACK, name),
        monthly_cost=Decimal("1.00"),
    )


def existing(kind: ActionKind, fake: FakeOrbit, number_id: str, name: str, changes=(), **extra) -> Action:
    fields = fake.numbers[number_id]
    tag = None if kind in (ActionKind.RELEASE, ActionKind.ORPHAN) else ownership_tag(STACK, name)
    return Action(kind=kind, name=name, id=number_id, number=fields["number"], changes=tuple(changes), tag=tag, **extra)


def make_plan(*actions: Action) -> Plan:
    return Plan(stack=STACK, actions=tuple(actions), unchanged=0)


def live_of(fake: FakeOrbit) -> Live:
    return Live(numbers=tuple(live_number(fake.record(number_id)) for number_id in sorted(fake.numbers)))


@pytest.fixture
def journal(tmp_path):
    return Journal(tmp_path / ".orbitctl" / "journal.json")


def run(plan, fake, journal, **kw):
    return execute(plan, fake, journal=journal, live=live_of(fake), **kw)


# --- ordering and concurrency -----------------------------------------------------------------


def test_groups_run_in_order_purchases_and_adopts_then_updates_then_releases(journal):
    fake = FakeOrbit()
    old = fake.add_number("+14155559001", tags=[ownership_tag(STACK, "gone")])
    kept = fake.add_number("+14155559002", tags=[ownership_tag(STACK, "kept")], label="x")
    stray = fake.add_number("+14155559003")
    swapped = fake.add_number("+14155559004", tags=[ownership_tag(STACK, "swap")])
    plan = make_plan(
        existing(ActionKind.RELEASE, fake, old, "gone"),
        existing(ActionKind.UPDATE, fake, kept, "kept", [Change("label", "x", "y")]),
        Action(kind=ActionKind.REPLACE, name="swap", id=swapped, number="+14155559004",
               selection=US_LOCAL, config=freeze({"label": "swap"}), tag=ownership_tag(STACK, "swap")),
        purchase("new"),
        existing(ActionKind.ADOPT, fake, stray, "stray"),
    )
    result = run(plan, fake, journal, parallelism=4)

    assert not result.failed, [o.message for o in result.failed]
    changing = [call for call in fake.calls if call[0] in ("purchase", "configure", "release")]
    position = {}
    for index, call in enumerate(changing):
        position.setdefault((call[0], call[1]), index)
    first_update = position[("configure", kept)]
    assert position[("configure", stray)] < first_update
    purchases = [index for index, call in enumerate(changing) if call[0] == "purchase"]
    assert len(purchases) == 2 and max(purchases) < first_update
    assert position[("release", old)] > first_update
    assert position[("release", swapped)] > first_update
    assert [o.action.name for o in result.outcomes] == ["gone", "kept", "swap", "new", "stray"]
    assert len(fake.owned("swap")) == 1 and fake.owned("swap")[0]["number"] != "+14155559004"


def test_at_most_parallelism_requests_run_at_once(journal):
    fake = FakeOrbit(inventory_size=40, delay=0.02)
    plan = make_plan(*[purchase("pool") for _ in range(12)])
    result = run(plan, fake, journal, parallelism=3)
    assert not result.failed
    assert 1 < fake.max_in_flight <= 3
    assert len(fake.owned("pool")) == 12


def test_concurrent_purchases_of_one_selection_never_pick_the_same_number(journal):
    fake = FakeOrbit(inventory_size=30, delay=0.005)
    plan = make_plan(*[purchase("pool") for _ in range(10)])
    result = run(plan, fake, journal, parallelism=10)
    bought = [call[1] for call in fake.calls_of("purchase")]
    assert len(bought) == len(set(bought)) == 10
    assert len({o.number for o in result.outcomes}) == 10
    assert len(fake.calls_of("search")) == 1  # one shared search for the selection


def test_picks_cheapest_then_lowest_number(journal):
    fake = FakeOrbit(inventory_size=6)  # costs 1.00, 1.50, 2.00, 1.00, 1.50, 2.00
    result = run(make_plan(purchase("a"), purchase("a")), fake, journal, parallelism=1)
    assert sorted(o.number for o in result.outcomes) == ["+14155550000", "+14155550003"]


def test_one_failure_does_not_stop_the_others(journal):
    fake = FakeOrbit()
    ids = [fake.add_number(f"+1415555900{i}", tags=[ownership_tag(STACK, f"n{i}")], label="x") for i in range(3)]
    fake.configure_errors[ids[1]] = ValidationError("label too long", status=422)
    plan = make_plan(
        *[existing(ActionKind.UPDATE, fake, i, f"n{k}", [Change("label", "x", "y")]) for k, i in enumerate(ids)]
    )
    result = run(plan, fake, journal)
    assert [o.status for o in result.outcomes] == [Status.OK, Status.FAILED, Status.OK]
    assert fake.numbers[ids[0]]["label"] == "y" and fake.numbers[ids[2]]["label"] == "y"
    assert "label too long" in result.outcomes[1].message


# --- purchase failure modes -------------------------------------------------------------------


def test_a_conflict_moves_on_to_the_next_candidate(journal):
    fake = FakeOrbit()
    fake.taken_by_others.add("+14155550000")
    result = run(make_plan(purchase("a")), fake, journal)
    assert result.outcomes[0].ok
    assert [call[1] for call in fake.calls_of("purchase")] == ["+14155550000", "+14155550003"]
    assert fake.owned("a")[0]["number"] == "+14155550003"


def bought_meanwhile(fake: FakeOrbit, number: str, tags=()) -> str:
    """``number`` lands on the account after the search showed it: a purchase of it gets 409."""
    row = fake.inventory[number]
    number_id = fake.add_number(number, tags=list(tags))
    fake.inventory[number] = row
    fake.taken_by_others.add(number)
    return number_id


@pytest.mark.parametrize("tags", [[ownership_tag(STACK, "pool")], [ownership_tag(STACK, "other")], []])
def test_a_conflict_on_a_number_another_apply_bought_here_stops_buying_for_that_entry_only(journal, tags):
    # another apply buying on this account at the same time: of this stack (any entry), or not
    # tagged yet. Buying on would fill the entry twice
    fake = FakeOrbit()
    bought_meanwhile(fake, "+14155550000", tags)
    plan = make_plan(purchase("pool"), purchase("pool"), purchase("pool"), purchase("b"))
    result = run(plan, fake, journal, parallelism=1)
    pool, b = result.outcomes[:3], result.outcomes[3]
    assert all(outcome.status is Status.FAILED for outcome in pool)
    assert "+14155550000 was bought on this account by another apply" in pool[0].message
    assert all("stopped buying for 'pool'" in outcome.message for outcome in pool)
    assert b.ok and fake.owned("b")
    assert [call[1] for call in fake.calls_of("purchase")] == ["+14155550000", "+14155550003"]  # b's only
    assert Journal(journal.path).entries() == []  # the refused intent is not kept


def test_a_conflict_on_a_number_of_another_stack_moves_on(journal):
    fake = FakeOrbit()
    bought_meanwhile(fake, "+14155550000", [ownership_tag("staging", "pool")])
    result = run(make_plan(purchase("pool"), purchase("pool")), fake, journal, parallelism=1)
    assert all(outcome.ok for outcome in result.outcomes)
    assert len(fake.owned("pool")) == 2


def test_a_conflict_on_a_number_an_interrupted_apply_sent_adopts_it_as_this_purchase(journal):
    # an apply killed while its purchase of +14155550000 was under way: the server committed it
    # after this apply read the account; buying it again answers 409
    journal.intend(number="+14155550000", name="pool", stack=STACK)
    fake = FakeOrbit()
    number_id = bought_meanwhile(fake, "+14155550000")
    result = run(make_plan(purchase("pool"), purchase("pool")), fake, journal, parallelism=1)
    assert all(outcome.ok for outcome in result.outcomes), [o.message for o in result.outcomes]
    assert result.outcomes[0].id == number_id
    assert len(fake.owned("pool")) == 2 and len(fake.numbers) == 2
    assert Journal(journal.path).entries() == []


def test_every_purchase_is_journaled_before_it_is_sent(journal):
    fake = FakeOrbit()
    seen = []
    real_purchase = fake.purchase

    def purchase_checking_the_journal(phone_number, **kw):
        seen.append([(entry.number, entry.name, entry.is_intent) for entry in Journal(journal.path).entries()])
        return real_purchase(phone_number, **kw)

    fake.purchase = purchase_checking_the_journal
    result = run(make_plan(purchase("a"), purchase("b")), fake, journal, parallelism=1)
    assert all(outcome.ok for outcome in result.outcomes)
    assert seen == [[("+14155550000", "a", True)], [("+14155550003", "b", True)]]
    assert Journal(journal.path).entries() == []


def test_once_stopped_no_action_starts_and_those_not_started_say_so(journal):
    fake = FakeOrbit()
    stop = threading.Event()
    ended = []

    def progress(outcome):
        ended.append(outcome)
        stop.set()  # a signal while the first action ran

    number_id = fake.add_number("+14155559001", tags=[ownership_tag(STACK, "gone")])
    plan = make_plan(purchase("a"), purchase("b"), existing(ActionKind.RELEASE, fake, number_id, "gone"))
    result = run(plan, fake, journal, parallelism=1, stop=stop, progress=progress)
    assert [outcome.status for outcome in result.outcomes] == [Status.OK, Status.NOT_STARTED, Status.NOT_STARTED]
    assert len(fake.calls_of("purchase")) == 1 and not fake.calls_of("release")
    assert ended == [result.outcomes[0]]
    assert result.not_started == result.outcomes[1:] and not result.failed
    summary = result.summary_line()
    assert summary.startswith("Apply interrupted: 1 purchased") and "2 not started" in summary


@pytest.mark.parametrize("error", [ServerError("503", status=503), TransportError("connection dropped")])
def test_lost_purchase_response_is_found_on_the_account_not_bought_again(journal, error):
    fake = FakeOrbit()
    fake.purchase_errors["+14155550000"] = [(error, True)]
    result = run(make_plan(purchase("a", label="A")), fake, journal)
    assert result.outcomes[0].ok, result.outcomes[0].message
    assert len(fake.calls_of("purchase")) == 1
    assert len(fake.numbers) == 1
    assert fake.owned("a")[0]["label"] == "A"


def test_failed_purchase_not_on_the_account_is_tried_again_after_looking(journal):
    fake = FakeOrbit()
    fake.purchase_errors["+14155550000"] = [(ServerError("500", status=500), False)]
    result = run(make_plan(purchase("a")), fake, journal)
    assert result.outcomes[0].ok
    methods = [call[0] for call in fake.calls if call[0] in ("purchase", "list")]
    assert methods == ["purchase", "list", "purchase"]
    assert len(fake.numbers) == 1


def test_a_rate_limited_purchase_waits_and_is_sent_again_without_looking(journal):
    fake = FakeOrbit()
    fake.purchase_errors["+14155550000"] = [(RateLimitedError("429", status=429, retry_after=0.01), False)]
    result = run(make_plan(purchase("a")), fake, journal)
    assert result.outcomes[0].ok
    assert [call[0] for call in fake.calls if call[0] in ("purchase", "list")] == ["purchase", "purchase"]
    assert len(fake.numbers) == 1


def test_purchase_refused_for_a_definite_reason_is_not_retried(journal):
    fake = FakeOrbit()
    fake.purchase_errors["+14155550000"] = [(ValidationError("bad", status=422), False)]
    result = run(make_plan(purchase("a")), fake, journal)
    assert result.outcomes[0].status is Status.FAILED
    assert len(fake.calls_of("purchase")) == 1 and not fake.calls_of("list")
    assert not fake.numbers


def test_nothing_available_fails_the_action_naming_the_selection(journal):
    fake = FakeOrbit(inventory_size=0)
    result = run(make_plan(purchase("a")), fake, journal)
    assert result.outcomes[0].status is Status.FAILED
    assert "no available number" in result.outcomes[0].message and "country=US type=local" in result.outcomes[0].message


def test_configure_failure_after_purchase_journals_the_number(journal):
    fake = FakeOrbit()
    original = fake.configure

    def failing(number_id, **fields):
        raise ServerError("internal error", status=500)

    fake.configure = failing
    result = run(make_plan(purchase("a")), fake, journal)
    outcome = result.outcomes[0]
    assert outcome.status is Status.FAILED and outcome.journaled
    assert outcome.number == "+14155550000" and outcome.number in outcome.message
    saved = json.loads(journal.path.read_text())
    assert [(e["id"], e["number"], e["name"], e["stack"]) for e in saved["entries"]] == [
        (outcome.id, "+14155550000", "a", STACK)
    ]
    assert Journal(journal.path).pending() == {outcome.id: "a"}

    # the next apply adopts it (the planner turns the journal into an ADOPT) and clears the entry
    fake.configure = original
    adopt = existing(ActionKind.ADOPT, fake, outcome.id, "a", [Change("label", None, "a")])
    second = run(make_plan(adopt), fake, journal)
    assert second.outcomes[0].ok
    assert fake.owned("a") and Journal(journal.path).pending() == {}
    assert len(fake.calls_of("purchase")) == 1


def test_read_back_mismatch_is_reported_naming_the_key(journal):
    fake = FakeOrbit()
    fake.ignored_keys.add("label")
    result = run(make_plan(purchase("a", label="Wanted")), fake, journal)
    outcome = result.outcomes[0]
    assert outcome.status is Status.FAILED
    assert [m.key for m in outcome.mismatches] == ["label"]
    assert "label" in outcome.message and not outcome.journaled


def test_ownership_tag_not_taken_journals_the_number(journal):
    fake = FakeOrbit()
    fake.ignored_keys.add("tags")
    result = run(make_plan(purchase("a")), fake, journal)
    assert result.outcomes[0].journaled
    assert journal.pending() == {result.outcomes[0].id: "a"}


def test_regulatory_hold_counts_as_done_and_status_is_not_sent(journal):
    fake = FakeOrbit()
    fake.hold_numbers.add("+14155550000")
    result = run(make_plan(purchase("a", status="active")), fake, journal)
    outcome = result.outcomes[0]
    assert outcome.ok and outcome.held
    sent = fake.calls_of("configure")[0][2]
    assert "status" not in sent
    assert fake.numbers[outcome.id]["status"] == REGULATORY_HOLD
    assert "1 in regulatory hold" in result.summary_line()


def test_placeholder_inventory_id_and_compliance_profile_are_forwarded(journal):
    fake = FakeOrbit(inventory_size=1)
    row = fake.inventory["+14155550000"]
    fake.inventory["+14155550000"] = AvailableNumber(**{**row.__dict__, "placeholder": True})
    run(make_plan(purchase("a", compliance_profile_id="cp_1")), fake, journal)
    assert fake.calls_of("purchase") == [("purchase", "+14155550000", "cp_1", "inv_0000")]


def test_plain_rows_are_bought_by_number_alone(journal):
    fake = FakeOrbit(inventory_size=1)
    run(make_plan(purchase("a")), fake, journal)
    assert fake.calls_of("purchase") == [("purchase", "+14155550000", None, None)]


# --- existing numbers -------------------------------------------------------------------------


def test_adopt_keeps_user_tags_and_adds_the_ownership_tag(journal):
    fake = FakeOrbit()
    stray = fake.add_number("+14155559001", tags=["billing"])
    run(make_plan(existing(ActionKind.ADOPT, fake, stray, "legacy")), fake, journal)
    assert fake.numbers[stray]["tags"] == ["billing", ownership_tag(STACK, "legacy")]


def test_stated_tags_are_sent_as_the_full_set_with_the_ownership_tag(journal):
    fake = FakeOrbit()
    mine = fake.add_number("+14155559001", tags=["old", ownership_tag(STACK, "a")])
    change = Change("tags", freeze(["old"]), freeze(["new", "more"]))
    run(make_plan(existing(ActionKind.UPDATE, fake, mine, "a", [change])), fake, journal)
    assert fake.numbers[mine]["tags"] == ["new", "more", ownership_tag(STACK, "a")]


def test_move_rewrites_only_the_ownership_tag(journal):
    fake = FakeOrbit()
    mine = fake.add_number("+14155559001", tags=["keep", ownership_tag(STACK, "old-name")], label="L")
    action = existing(ActionKind.MOVE, fake, mine, "new-name", previous_name="old-name")
    result = run(make_plan(action), fake, journal)
    assert result.outcomes[0].ok
    assert fake.numbers[mine]["tags"] == ["keep", ownership_tag(STACK, "new-name")]
    assert fake.numbers[mine]["label"] == "L"


def test_orphan_removes_only_the_ownership_tag(journal):
    fake = FakeOrbit()
    mine = fake.add_number("+14155559001", tags=["keep", ownership_tag(STACK, "a"), "also"], label="L")
    before = dict(fake.numbers[mine])
    result = run(make_plan(existing(ActionKind.ORPHAN, fake, mine, "a")), fake, journal)
    assert result.outcomes[0].ok
    after = fake.numbers[mine]
    assert after["tags"] == ["keep", "also"]
    assert {k: v for k, v in after.items() if k != "tags"} == {k: v for k, v in before.items() if k != "tags"}
    assert [call[2] for call in fake.calls_of("configure")] == [{"tags": ["keep", "also"]}]


def test_without_the_observation_the_executor_reads_the_tags(journal):
    fake = FakeOrbit()
    stray = fake.add_number("+14155559001", tags=["billing"])
    execute(make_plan(existing(ActionKind.ADOPT, fake, stray, "x")), fake, journal=journal)
    assert fake.calls_of("get")
    assert fake.numbers[stray]["tags"] == ["billing", ownership_tag(STACK, "x")]


def test_replace_keeps_the_old_number_when_the_new_one_cannot_be_bought(journal):
    fake = FakeOrbit(inventory_size=0)
    old = fake.add_number("+14155559001", tags=[ownership_tag(STACK, "a")])
    action = Action(
        kind=ActionKind.REPLACE,
        name="a",
        id=old,
        number="+14155559001",
        selection=US_LOCAL,
        config=freeze({}),
        tag=ownership_tag(STACK, "a"),
    )
    result = run(make_plan(action), fake, journal)
    assert result.outcomes[0].status is Status.FAILED
    assert "kept" in result.outcomes[0].message
    assert old in fake.numbers and not fake.calls_of("release")


def test_replace_buys_configures_then_releases_and_reports_both_numbers(journal):
    fake = FakeOrbit()
    old = fake.add_number("+14155559001", tags=[ownership_tag(STACK, "a")], monthly_cost="3.00")
    action = Action(
        kind=ActionKind.REPLACE,
        name="a",
        id=old,
        number="+14155559001",
        selection=US_LOCAL,
        config=freeze({"label": "A"}),
        tag=ownership_tag(STACK, "a"),
        previous_monthly_cost=Decimal("3.00"),
    )
    result = run(make_plan(action), fake, journal)
    outcome = result.outcomes[0]
    assert outcome.ok and outcome.released_id == old and outcome.number == "+14155550000"
    assert old not in fake.numbers
    assert result.monthly_cost_delta == Decimal("-2.00")


def test_release_of_a_number_already_gone_counts_as_done(journal):
    fake = FakeOrbit()
    gone = fake.add_number("+14155559001", tags=[ownership_tag(STACK, "a")])
    action = existing(ActionKind.RELEASE, fake, gone, "a")
    del fake.numbers[gone]
    result = execute(make_plan(action), fake, journal=journal)
    assert result.outcomes[0].ok


def test_progress_is_called_once_per_action(journal):
    fake = FakeOrbit()
    seen = []
    run(make_plan(purchase("a"), purchase("b")), fake, journal, progress=seen.append)
    assert sorted(o.action.name for o in seen) == ["a", "b"]


def test_a_purchase_interrupted_before_it_is_configured_stays_in_the_journal(journal):
    fake = FakeOrbit()

    def interrupted(number_id, **fields):
        raise KeyboardInterrupt

    fake.configure = interrupted
    with pytest.raises(KeyboardInterrupt):
        run(make_plan(purchase("a")), fake, journal)
    [bought] = fake.calls_of("purchase")
    assert list(Journal(journal.path).pending().values()) == ["a"]
    assert [entry.number for entry in Journal(journal.path).entries()] == [bought[1]]


def test_an_unexpected_error_while_configuring_a_bought_number_journals_it(journal):
    fake = FakeOrbit()

    def broken(number_id, **fields):
        raise ValueError("a bug")

    fake.configure = broken
    outcome = run(make_plan(purchase("a")), fake, journal).outcomes[0]
    assert outcome.status is Status.FAILED and "a bug" in outcome.message
    assert Journal(journal.path).pending() == {outcome.id: "a"}


def test_a_configured_purchase_leaves_nothing_in_the_journal(journal):
    fake = FakeOrbit()
    result = run(make_plan(purchase("a"), purchase("b")), fake, journal)
    assert all(outcome.ok for outcome in result.outcomes)
    assert Journal(journal.path).pending() == {}


def test_a_bought_number_the_journal_cannot_hold_is_named_with_how_to_adopt_it(journal):
    class FillsUp(Journal):
        """The intent lands; the disk is full from then on."""

        writes = 0

        def _write(self, entries):
            FillsUp.writes += 1
            if FillsUp.writes > 1:
                raise OSError(28, "No space left on device")
            super()._write(entries)

    fake = FakeOrbit()
    fake.configure_errors = {"num_0001": ServerError("internal error", status=500)}
    outcome = run(make_plan(purchase("a")), fake, FillsUp(journal.path)).outcomes[0]
    assert outcome.status is Status.FAILED and not outcome.journaled
    assert outcome.number in outcome.message and "No space left on device" in outcome.message
    assert f'number: "{outcome.number}"' in outcome.message
    # the intent written before the purchase still names it: the next plan adopts it by number
    [intent] = Journal(journal.path).entries()
    assert intent.is_intent and intent.number == outcome.number and intent.name == "a"


def test_no_purchase_is_sent_when_its_intent_cannot_be_journaled(journal):
    class Unwritable(Journal):
        def _write(self, entries):
            raise OSError(28, "No space left on device")

    fake = FakeOrbit()
    result = run(make_plan(purchase("a"), purchase("b")), fake, Unwritable(journal.path))
    assert not fake.calls_of("purchase")
    for outcome in result.outcomes:
        assert outcome.status is Status.FAILED and outcome.id is None
        assert "not buying" in outcome.message and "No space left on device" in outcome.message


def test_a_number_retagged_after_planning_is_not_released(journal):
    fake = FakeOrbit()
    number_id = fake.add_number("+14155559001", tags=[ownership_tag(STACK, "gone")])
    planned = live_of(fake)
    [as_planned] = planned.numbers
    action = existing(ActionKind.RELEASE, fake, number_id, "gone", live_fingerprint=as_planned.fingerprint)
    fake.numbers[number_id]["tags"] = [ownership_tag("staging", "main")]  # someone else, meanwhile

    outcome = execute(make_plan(action), fake, journal=journal, live=planned).outcomes[0]

    assert outcome.status is Status.FAILED and "changed on the account" in outcome.message
    assert number_id in fake.numbers and not fake.calls_of("release")


def test_a_number_unchanged_since_planning_is_released(journal):
    fake = FakeOrbit()
    number_id = fake.add_number("+14155559001", tags=[ownership_tag(STACK, "gone")])
    planned = live_of(fake)
    action = existing(ActionKind.RELEASE, fake, number_id, "gone", live_fingerprint=planned.numbers[0].fingerprint)
    assert execute(make_plan(action), fake, journal=journal, live=planned).outcomes[0].ok
    assert number_id not in fake.numbers


@pytest.mark.parametrize(
    "kind, changes",
    [
        (ActionKind.ADOPT, ()),
        (ActionKind.UPDATE, (Change("tags", ("a",), ("b",)),)),
        (ActionKind.MOVE, ()),
        (ActionKind.ORPHAN, ()),
    ],
)
def test_a_number_another_stack_took_after_planning_keeps_its_tags(journal, kind, changes):
    fake = FakeOrbit()
    number_id = fake.add_number("+14155559001", tags=["a", ownership_tag(STACK, "x")])
    planned = live_of(fake)
    action = existing(kind, fake, number_id, "x", changes, live_fingerprint=planned.numbers[0].fingerprint)
    theirs = [ownership_tag("staging", "main")]
    fake.numbers[number_id]["tags"] = theirs  # someone else, meanwhile

    outcome = execute(make_plan(action), fake, journal=journal, live=planned).outcomes[0]

    assert outcome.status is Status.FAILED and "changed on the account" in outcome.message
    assert fake.numbers[number_id]["tags"] == theirs and not fake.calls_of("configure")


def test_a_label_update_needs_no_fresh_read(journal):
    fake = FakeOrbit()
    number_id = fake.add_number("+14155559001", tags=[ownership_tag(STACK, "x")])
    planned = live_of(fake)
    action = existing(
        ActionKind.UPDATE,
        fake,
        number_id,
        "x",
        (Change("label", "", "X"),),
        live_fingerprint=planned.numbers[0].fingerprint,
    )
    assert execute(make_plan(action), fake, journal=journal, live=planned).outcomes[0].ok
    assert not fake.calls_of("get") and fake.numbers[number_id]["label"] == "X"


def test_a_number_another_stack_bought_while_our_purchase_failed_is_not_taken_for_ours(journal):
    fake = FakeOrbit()
    original = fake.purchase

    def lost_to_another_stack(phone_number, **kwargs):
        if phone_number == "+14155550000":
            fake.calls.append(("purchase", phone_number, None, None))
            fake.add_number(phone_number, tags=[ownership_tag("staging", "main")])
            raise ServerError("503", status=503)  # ours did not commit; theirs did
        return original(phone_number, **kwargs)

    fake.purchase = lost_to_another_stack
    outcome = run(make_plan(purchase("a")), fake, journal).outcomes[0]

    theirs = [fields for fields in fake.numbers.values() if fields["number"] == "+14155550000"]
    assert theirs[0]["tags"] == [ownership_tag("staging", "main")]
    assert outcome.ok and outcome.number != "+14155550000"


@pytest.mark.parametrize("parallelism", [1, 4])
def test_a_number_pinned_by_one_entry_is_never_bought_for_another(journal, parallelism):
    # the pin's own purchase fails this time; the any-number entry must still leave it alone,
    # else the next plan finds the pinned number owned by the wrong entry
    pin = "+14155550000"  # the cheapest, lowest number: the any-number entry's first pick
    pinned = purchase("legacy", Selection(country="US", type="local", number=pin))
    for plan in (make_plan(pinned, purchase("any")), make_plan(purchase("any"), pinned)):
        fake = FakeOrbit()
        fake.purchase_errors[pin] = [(ValidationError("try later", status=422), False)]
        run(plan, fake, journal, parallelism=parallelism)
        [bought] = fake.owned("any")
        assert bought["number"] != pin


@pytest.mark.parametrize("unreadable", ["list", "get"])
def test_a_purchase_that_may_have_happened_is_journaled_by_its_number(journal, unreadable):
    # the response is lost after the purchase committed, and the account cannot be read to tell
    fake = FakeOrbit()
    fake.purchase_errors["+14155550000"] = [(ServerError("503", status=503), True)]
    failing = ServerError("500 after 6 attempts", status=500)
    if unreadable == "list":
        fake.iter_numbers = lambda **_: (_ for _ in ()).throw(failing)
    else:
        fake.get_number = lambda number_id: (_ for _ in ()).throw(failing)

    outcome = run(make_plan(purchase("a")), fake, journal).outcomes[0]

    assert outcome.status is Status.FAILED and outcome.journaled
    assert "+14155550000" in outcome.message and "next `orbitctl apply`" in outcome.message
    [bought_id] = fake.numbers
    assert Journal(journal.path).pending(STACK, live_of(fake)) == {bought_id: "a"}


# --- agent routing: PUT /numbers/{phoneNumber}/routing after the configure PUT ---------------------


def requests_made(fake: FakeOrbit) -> list[tuple]:
    """The configure and routing requests, in order."""
    return [call for call in fake.calls if call[0] in ("configure", "route")]


def tagged_number(fake: FakeOrbit, name: str = "x", **fields) -> str:
    return fake.add_number("+14155559001", tags=[ownership_tag(STACK, name)], label="Old", agent_id=None, **fields)


def test_a_label_and_agent_update_is_one_action_making_both_requests(journal):
    fake = FakeOrbit()
    number_id = tagged_number(fake)
    changes = (Change("label", "Old", "New"), Change("agent_id", None, "agt_support"))
    outcome = run(make_plan(existing(ActionKind.UPDATE, fake, number_id, "x", changes)), fake, journal).outcomes[0]
    assert outcome.ok, outcome.message
    assert requests_made(fake) == [
        ("configure", number_id, {"label": "New"}),  # the configure PUT never carries agent_id
        ("route", "+14155559001", "agt_support"),
    ]
    assert fake.numbers[number_id]["agent_id"] == "agt_support" and fake.numbers[number_id]["label"] == "New"


@pytest.mark.parametrize("before, after", [(None, "agt_b"), ("agt_a", "agt_b"), ("agt_a", None)])
def test_an_agent_only_update_makes_only_the_routing_request(journal, before, after):
    fake = FakeOrbit()
    number_id = tagged_number(fake)
    fake.numbers[number_id]["agent_id"] = before
    action = existing(ActionKind.UPDATE, fake, number_id, "x", (Change("agent_id", before, after),))
    assert run(make_plan(action), fake, journal).outcomes[0].ok
    assert requests_made(fake) == [("route", "+14155559001", after)]
    assert fake.numbers[number_id]["agent_id"] == after


@pytest.mark.parametrize(
    "error",
    [NotFoundError("not found (HTTP 404)", status=404), ValidationError("agent_id: must be an agent id", status=422)],
    ids=["404", "422"],
)
def test_a_refused_routing_request_fails_the_action_naming_it(journal, error):
    fake = FakeOrbit()
    first, second = tagged_number(fake, "x"), fake.add_number("+14155559002", tags=[ownership_tag(STACK, "y")])
    fake.routing_errors["+14155559001"] = error
    plan = make_plan(
        existing(ActionKind.UPDATE, fake, first, "x", (Change("label", "Old", "New"), Change("agent_id", None, "agt"))),
        existing(ActionKind.UPDATE, fake, second, "y", (Change("agent_id", None, "agt_y"),)),
    )
    result = run(plan, fake, journal)
    failed, other = result.outcomes
    assert failed.status is Status.FAILED
    assert failed.message == (
        "the configure request (PUT /numbers/{id}) succeeded; the routing request "
        f"(PUT /numbers/{{phoneNumber}}/routing) failed: {error}"
    )
    assert fake.numbers[first]["label"] == "New" and fake.numbers[first]["agent_id"] is None
    assert other.ok and fake.numbers[second]["agent_id"] == "agt_y"  # one failure stops nothing else


def test_a_failed_configure_request_is_named_and_the_routing_request_is_not_sent(journal):
    fake = FakeOrbit()
    number_id = tagged_number(fake)
    fake.configure_errors[number_id] = ValidationError("label: too long", status=422)
    changes = (Change("label", "Old", "New"), Change("agent_id", None, "agt_support"))
    outcome = run(make_plan(existing(ActionKind.UPDATE, fake, number_id, "x", changes)), fake, journal).outcomes[0]
    assert outcome.status is Status.FAILED
    assert outcome.message == (
        "the configure request (PUT /numbers/{id}) failed: label: too long; "
        "the routing request (PUT /numbers/{phoneNumber}/routing) was not sent"
    )
    assert not fake.calls_of("route")


def test_a_routing_answer_without_the_agent_is_read_back_with_a_get(journal):
    fake = FakeOrbit()
    number_id = tagged_number(fake)
    fake.routing_echoes = False
    action = existing(ActionKind.UPDATE, fake, number_id, "x", (Change("agent_id", None, "agt_support"),))
    assert run(make_plan(action), fake, journal).outcomes[0].ok
    assert fake.calls_of("get") == [("get", number_id)]


def test_an_agent_the_api_did_not_take_is_reported(journal):
    fake = FakeOrbit()
    number_id = tagged_number(fake)
    fake.ignored_keys.add("agent_id")
    for echoes in (True, False):
        fake.routing_echoes = echoes
        action = existing(ActionKind.UPDATE, fake, number_id, "x", (Change("agent_id", None, "agt_support"),))
        outcome = run(make_plan(action), fake, journal).outcomes[0]
        assert outcome.status is Status.FAILED
        assert [(m.key, m.asked, m.got) for m in outcome.mismatches] == [("agent_id", "agt_support", None)]


def test_a_purchase_sets_the_agent_after_the_tagging_put(journal):
    fake = FakeOrbit()
    plain, routed = purchase("plain"), purchase("routed", agent_id="agt_support")
    result = run(make_plan(plain, routed), fake, journal)
    assert all(outcome.ok for outcome in result.outcomes), [o.message for o in result.outcomes]
    [bought] = fake.owned("routed")
    assert [call[0] for call in requests_made(fake) if call[1] in (bought["id"], bought["number"])] == [
        "configure",
        "route",
    ]
    assert "agent_id" not in fake.calls_of("configure")[0][2] and bought["agent_id"] == "agt_support"
    assert fake.calls_of("route") == [("route", bought["number"], "agt_support")]  # none sent for "plain"


def test_a_purchase_whose_routing_fails_keeps_the_number_tagged_and_out_of_the_journal(journal):
    fake = FakeOrbit()
    fake.routing_errors["+14155550000"] = ValidationError("agent_id: unknown agent", status=422)
    outcome = run(make_plan(purchase("a", agent_id="agt_support")), fake, journal).outcomes[0]
    assert outcome.status is Status.FAILED and not outcome.journaled
    assert outcome.message == (
        "bought and configured +14155550000, but the routing request (PUT /numbers/{phoneNumber}/routing) "
        "failed: agent_id: unknown agent; the next apply sets its agent"
    )
    assert fake.owned("a") and journal.pending() == {}


def test_an_adopt_routes_the_number_once_it_carries_its_tag(journal):
    fake = FakeOrbit()
    number_id = fake.add_number("+14155559001", tags=["keep"], agent_id=None)
    adopt = existing(ActionKind.ADOPT, fake, number_id, "x", (Change("agent_id", None, "agt_x"),))
    assert run(make_plan(adopt), fake, journal).outcomes[0].ok
    assert requests_made(fake) == [
        ("configure", number_id, {"tags": ["keep", ownership_tag(STACK, "x")]}),
        ("route", "+14155559001", "agt_x"),
    ]


def test_an_adopt_whose_tag_was_not_taken_is_not_routed(journal):
    fake = FakeOrbit()
    number_id = fake.add_number("+14155559001", tags=[], agent_id=None)
    fake.ignored_keys.add("tags")
    adopt = existing(ActionKind.ADOPT, fake, number_id, "x", (Change("agent_id", None, "agt_x"),))
    outcome = run(make_plan(adopt), fake, journal).outcomes[0]
    assert outcome.status is Status.FAILED and not fake.calls_of("route")
    assert outcome.message.endswith("; the routing request (PUT /numbers/{phoneNumber}/routing) was not sent")


@pytest.mark.parametrize("parallelism", [1, 3])
def test_an_outcome_that_cannot_be_reported_stops_the_actions_not_started(journal, parallelism):
    """Stdout gone (a closed pipe): the actions under way finish, no other starts, the error
    reaches the caller, and every purchase made is in the journal or tagged."""
    fake = FakeOrbit(inventory_size=40, delay=0.01)
    reported = []

    def progress(outcome):
        reported.append(outcome)
        if len(reported) == 2:
            raise BrokenPipeError("stdout closed")

    plan = make_plan(*[purchase("pool") for _ in range(12)])
    with pytest.raises(BrokenPipeError):
        run(plan, fake, journal, parallelism=parallelism, progress=progress)
    bought = fake.calls_of("purchase")
    assert 2 <= len(bought) <= 2 + parallelism  # the one that failed to report and those under way
    assert len(fake.owned("pool")) == len(bought)  # each one bought was configured and tagged
