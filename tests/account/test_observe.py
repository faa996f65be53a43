"""observe: list + parallel details -> Live, ownership parsed, configuration normalised."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from orbitctl.account.api import AuthenticationError, NumberRecord, TransportError
from orbitctl.account.observe import COMPARED_FIELDS, live_number, observe, split_ownership
from orbitctl.model import Owner


def record(id_, number="+14155550100", **fields):
    base = {"id": id_, "number": number, "country": "US", "type": "local", "status": "active",
            "monthly_cost": "1.50", "currency": "USD", "created_at": "2026-01-01T00:00:00Z"}
    base.update(fields)
    return NumberRecord(id=id_, number=number, fields=base)


class FakeClient:
    def __init__(self, listed, details):
        self.listed, self.details = listed, details
        self.detail_calls = []
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def iter_numbers(self, *, page_size=200):
        assert page_size == 200
        yield from self.listed

    def get_number(self, number_id):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        import time

        time.sleep(0.01)
        with self.lock:
            self.active -= 1
            self.detail_calls.append(number_id)
        return self.details[number_id]


def test_fetches_detail_for_list_items_missing_compared_fields():
    listed = [record(f"num_{i}") for i in range(5)]
    details = {r.id: record(r.id, tags=["x"], label="L") for r in listed}
    client = FakeClient(listed, details)
    live = observe(client, parallelism=4)
    assert sorted(client.detail_calls) == [r.id for r in listed]
    assert [n.config["tags"] for n in live.numbers] == [("x",)] * 5


def test_skips_detail_when_list_item_carries_every_compared_field():
    full = dict.fromkeys(COMPARED_FIELDS) | {"tags": [], "capabilities": ["sms"]}
    listed = [record("num_1", **full)]
    client = FakeClient(listed, {})
    live = observe(client)
    assert client.detail_calls == []
    assert live.numbers[0].id == "num_1"


def test_a_list_item_lacking_only_the_agent_still_fetches_the_detail():
    # a list that shows every other compared field but not agent_id: the agent's drift must be seen
    full = dict.fromkeys(COMPARED_FIELDS - {"agent_id"}) | {"tags": [], "capabilities": ["sms"]}
    listed = [record("num_1", **full), record("num_2", **full, agent_id=None)]
    details = {"num_1": record("num_1", **full, agent_id="agt_support")}
    client = FakeClient(listed, details)
    live = observe(client)
    assert client.detail_calls == ["num_1"]
    assert [n.config["agent_id"] for n in live.numbers] == ["agt_support", None]


def test_details_run_in_parallel_bounded_by_parallelism():
    listed = [record(f"num_{i}") for i in range(12)]
    client = FakeClient(listed, {r.id: r for r in listed})
    observe(client, parallelism=3)
    assert 1 < client.peak <= 3


def test_progress_reports_every_detail():
    listed = [record(f"num_{i}") for i in range(3)]
    client = FakeClient(listed, {r.id: r for r in listed})
    seen = []
    observe(client, parallelism=2, on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_ownership_tag_parsed_and_removed_from_user_tags():
    live = live_number(record("num_1", tags=["support", "orbitctl__prod__main", "us-west"]))
    assert live.owner == Owner("prod", "main")
    assert live.config["tags"] == ("support", "us-west")
    assert live.raw_tags == ("support", "orbitctl__prod__main", "us-west")


def test_second_ownership_tag_stays_a_user_tag():
    owner, user = split_ownership(["orbitctl__a__x", "orbitctl__b__y"])
    assert owner == Owner("a", "x") and user == ("orbitctl__b__y",)


def test_malformed_ownership_tag_is_unmanaged():
    live = live_number(record("num_1", tags=["orbitctl__prod"]))
    assert live.owner is None and live.config["tags"] == ("orbitctl__prod",)


def test_webhooks_equal_become_one_url_and_different_become_a_mapping():
    same = live_number(record("n", sms_webhook_url="https://a", voice_webhook_url="https://a"))
    differ = live_number(record("n", sms_webhook_url="https://a", voice_webhook_url=None))
    none = live_number(record("n", sms_webhook_url=None, voice_webhook_url=""))
    assert same.config["webhook_url"] == "https://a"
    assert dict(differ.config["webhook_url"]) == {"sms": "https://a", "voice": None}
    assert none.config["webhook_url"] is None


def test_cleared_values_normalised_and_absent_keys_left_out():
    live = live_number(
        record("n", forwarding_number=None, sms_forwarding="", compliance_profile_id="", agent_id="")
    )
    assert live.config["forwarding_number"] == ""
    assert live.config["sms_forwarding"] == ""
    assert live.config["compliance_profile_id"] is None
    assert live.config["agent_id"] is None
    assert "channel_config" not in live.config and "webhook_url" not in live.config
    assert "agent_id" not in live_number(record("n")).config  # not observed: not assumed none
    assert live.monthly_cost == Decimal("1.50")


def test_channel_config_is_frozen():
    live = live_number(record("n", channel_config={"sms": {"encoding": "gsm7"}}))
    assert live.config["channel_config"]["sms"]["encoding"] == "gsm7"
    with pytest.raises(TypeError):
        live.config["channel_config"]["sms"]["encoding"] = "ucs2"


def test_each_number_knows_its_place_in_the_account_listing():
    listed = [record("num_c", "+14155550100"), record("num_a", "+14155550101"), record("num_b", "+14155550102")]
    client = FakeClient(listed, {r.id: record(r.id, r.number, tags=[]) for r in listed})
    positions = {number.id: number.position for number in observe(client).numbers}
    assert positions == {"num_c": 0, "num_a": 1, "num_b": 2}


def test_a_number_listed_twice_is_observed_once():
    listed = [record("num_1"), record("num_2", "+14155550101"), record("num_1")]
    client = FakeClient(listed, {r.id: record(r.id, r.number, tags=[]) for r in listed})
    assert [number.id for number in observe(client).numbers] == ["num_1", "num_2"]


def test_a_number_released_between_list_and_detail_is_left_out():
    from orbitctl.account.api import NotFoundError

    listed = [record("num_1"), record("num_2", "+14155550101")]

    class Releasing(FakeClient):
        def get_number(self, number_id):
            if number_id == "num_2":
                raise NotFoundError("No number with id num_2 on this account.")
            return super().get_number(number_id)

    client = Releasing(listed, {"num_1": record("num_1", tags=[])})
    assert [number.id for number in observe(client).numbers] == ["num_1"]


class FailingClient(FakeClient):
    """Its first detail fails; the others take 10 ms each."""

    def get_number(self, number_id):
        if number_id == "num_0":
            raise AuthenticationError("Reading number num_0 failed: Orbit refused the API key")
        return super().get_number(number_id)


def test_a_failed_detail_is_raised_and_the_details_not_yet_started_are_skipped():
    listed = [record(f"num_{i}") for i in range(40)]
    client = FailingClient(listed, {r.id: r for r in listed})
    threads_before = threading.active_count()
    with pytest.raises(AuthenticationError):
        observe(client, parallelism=2)
    assert len(client.detail_calls) < 10  # not the 39 others: what had started finished, no more
    assert client.active == 0 and threading.active_count() == threads_before  # every thread ended


def test_a_failed_listing_is_raised_after_the_details_asked_for_finish():
    listed = [record(f"num_{i}") for i in range(3)]

    class ListingFails(FakeClient):
        def iter_numbers(self, *, page_size=200):
            yield from self.listed
            raise TransportError("Listing the account's numbers (page 2) failed: no answer")

    client = ListingFails(listed, {r.id: r for r in listed})
    with pytest.raises(TransportError):
        observe(client, parallelism=3)
    assert client.active == 0
