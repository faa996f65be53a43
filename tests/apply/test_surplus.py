"""The re-read after the purchases: cheap, and blind to nothing another apply may have tagged."""

from __future__ import annotations

from orbitctl.account.api import NumberRecord
from orbitctl.account.observe import live_number
from orbitctl.apply.surplus import reread
from orbitctl.frozen import freeze
from orbitctl.model import Live, ownership_tag


def record(number_id: str, created_at: str, tags=()) -> NumberRecord:
    fields = {
        "id": number_id, "number": f"+1415555{number_id[-4:]}", "country": "US", "type": "local", "status": "active",
        "monthly_cost": "1.00", "currency": "USD", "created_at": created_at, "tags": list(tags), "label": "",
    }
    return NumberRecord(id=number_id, number=fields["number"], fields=freeze(fields))


class Account:
    def __init__(self, records):
        self.records = {r.id: r for r in records}
        self.details: list[str] = []

    def iter_numbers(self, *, page_size=200, **_):
        return iter(list(self.records.values()))

    def get_number(self, number_id):
        self.details.append(number_id)
        return self.records[number_id]


def test_only_new_changed_and_recently_bought_untagged_numbers_are_read_again():
    mine = ownership_tag("prod", "pool")
    seen = [
        record("num_0001", "2026-01-01T00:00:00Z", [mine]),  # tagged when read: reused
        record("num_0002", "2026-03-01T11:30:00Z"),  # untagged, bought 30 min before the newest: read again
        record("num_0003", "2026-03-01T09:00:00Z"),  # untagged, bought 3 h before: reused
        record("num_0004", "2026-01-01T00:00:00Z", [mine]),  # changed by this apply: read again
    ]
    live = Live(numbers=tuple(live_number(r) for r in seen))
    now = Account([*seen, record("num_0005", "2026-03-01T12:00:00Z", [mine])])  # new since
    now.records["num_0002"] = record("num_0002", "2026-03-01T11:30:00Z", [mine])  # tagged meanwhile

    again = reread(now, live, {"num_0004"})

    assert sorted(now.details) == ["num_0002", "num_0004", "num_0005"]
    owners = {number.id: number.owner for number in again.numbers}
    assert owners["num_0002"] is not None and owners["num_0003"] is None
    assert [number.position for number in sorted(again.numbers, key=lambda n: n.position)] == [0, 1, 2, 3, 4]


def test_numbers_this_apply_bought_and_tagged_come_from_the_listing_with_their_tag():
    mine, other = ownership_tag("prod", "pool"), ownership_tag("prod", "other")
    live = Live(numbers=())
    listed = [record(f"num_000{i}", f"2026-03-01T12:00:0{i}Z") for i in range(1, 5)]  # the listing has no tags
    now = Account(listed)
    now.records["num_0003"] = record("num_0003", "2026-03-01T12:00:03Z", [other])  # another apply's, say
    now.records["num_0004"] = record("num_0004", "2026-03-01T12:00:04Z", [mine])  # bought, PUT not confirmed

    again = reread(now, live, {"num_0001", "num_0002", "num_0004"}, tagged={"num_0001": mine, "num_0002": other})

    assert sorted(now.details) == ["num_0003", "num_0004"]  # read again: new to it, or not seen tagged
    numbers = {number.id: number for number in again.numbers}
    assert [numbers[i].owner.name for i in ("num_0001", "num_0002", "num_0003", "num_0004")] == [
        "pool", "other", "other", "pool"
    ]
    assert numbers["num_0001"].raw_tags == (mine,) and numbers["num_0001"].created_at == "2026-03-01T12:00:01Z"
    assert [numbers[i].position for i in sorted(numbers)] == [0, 1, 2, 3]
