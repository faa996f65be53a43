"""The remembered porting requests (apply/ports.py): written before the request is sent, confirmed
or let go after, read back for the plan, pruned once the numbers arrive."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from orbitctl.account.api import NotFoundError, PortingRequest
from orbitctl.apply.ports import PortBook, read_progress
from orbitctl.errors import OrbitctlError
from orbitctl.model import PORT_UNCONFIRMED, Live, PortIn
from tests.plan.test_planner import live

ACCOUNT = "https://api.orbit.example"
P1, P2, P3 = "+14155551234", "+14155551235", "+12125551234"
ACME = PortIn("Acme Telecom", "Jo Doe", account_number="ACC-1", pin_env="CARRIER_PIN")


def answer(port_id: str, numbers, status="pending") -> PortingRequest:
    return PortingRequest(
        id=port_id,
        numbers=tuple(numbers),
        status=status,
        created_at=datetime(2026, 3, 8, 12, tzinfo=UTC),
        estimated_completion=datetime(2026, 3, 22, tzinfo=UTC),
    )


def begin(book, *numbers, account=ACCOUNT):
    return book.begin(stack="prod", account=account, names={n: f"e{n[-1]}" for n in numbers}, port_in=ACME)


def test_a_request_is_on_disk_before_it_is_sent_then_confirmed(tmp_path):
    book = PortBook(tmp_path / "ports.json")
    record = begin(book, P1, P2)
    on_disk = PortBook(tmp_path / "ports.json").records()
    assert [(r.port_id, r.status, r.numbers) for r in on_disk] == [(None, PORT_UNCONFIRMED, (P1, P2))]
    book.confirm(record, answer("port_1", [P1, P2]))
    (confirmed,) = PortBook(tmp_path / "ports.json").records()
    assert (confirmed.port_id, confirmed.status) == ("port_1", "pending")
    assert (confirmed.created_at, confirmed.estimated_completion) == ("2026-03-08T12:00:00Z", "2026-03-22T00:00:00Z")
    document = json.loads((tmp_path / "ports.json").read_text())
    assert set(document["requests"][0]) == {
        "key", "stack", "account", "names", "current_carrier", "authorization_name", "account_number",
        "recorded_at", "port_id", "status", "created_at", "estimated_completion",
    }  # no PIN, nor its variable


def test_a_refused_request_is_let_go_and_the_others_stay(tmp_path):
    book = PortBook(tmp_path / "ports.json")
    kept, refused = begin(book, P1), begin(book, P2)
    book.abandon(refused.key)
    assert [r.key for r in PortBook(tmp_path / "ports.json").records()] == [kept.key]


def test_forget_lets_go_of_numbers_and_drops_an_emptied_record(tmp_path):
    book = PortBook(tmp_path / "ports.json")
    begin(book, P1, P2)
    begin(book, P3)
    assert book.forget([P2, P3, "+19999999999"]) == [P2, P3]
    (left,) = PortBook(tmp_path / "ports.json").records()
    assert left.numbers == (P1,)


def test_prune_lets_go_of_requests_whose_numbers_arrived_or_were_requested_again(tmp_path):
    book = PortBook(tmp_path / "ports.json")
    landed = begin(book, P1, P2)
    half = begin(book, P3, "+14155551236")
    superseded = begin(book, "+14155551237")
    newer = begin(book, "+14155551237")
    elsewhere = begin(book, P1, account="http://sandbox.invalid")
    account = Live(numbers=(live("num_1", P1), live("num_2", P2), live("num_3", P3)))
    gone = book.prune(account, ACCOUNT)
    assert {record.key for record in gone} == {landed.key, superseded.key}
    assert {r.key for r in PortBook(tmp_path / "ports.json").records()} == {half.key, newer.key, elsewhere.key}


def test_a_damaged_file_is_one_clear_error(tmp_path):
    (tmp_path / "ports.json").write_text('{"requests": [{"key": 1}]}')
    with pytest.raises(OrbitctlError, match=r"ports\.json: the file of porting requests orbitctl submitted"):
        PortBook(tmp_path / "ports.json").records()


class Client:
    """Answers GET /porting/{id} from ``statuses``; an id it does not know is a 404."""

    def __init__(self, statuses):
        self.statuses = statuses
        self.asked: list[str] = []

    def get_port(self, port_id):
        self.asked.append(port_id)
        if port_id not in self.statuses:
            raise NotFoundError(f"Reading porting request {port_id} failed: HTTP 404", status=404)
        return answer(port_id, [], self.statuses[port_id])


def test_progress_reads_each_open_request_once_and_the_latest_request_of_a_number_wins(tmp_path):
    book = PortBook(tmp_path / "ports.json")
    book.confirm(begin(book, P1, P2), answer("port_old", [P1, P2]))
    book.confirm(begin(book, P2), answer("port_new", [P2]))
    client = Client({"port_old": "rejected", "port_new": "in_progress"})
    found = read_progress(client, book.records(ACCOUNT), Live(numbers=()))
    assert {number: (p.port_id, p.status) for number, p in found.items()} == {
        P1: ("port_old", "rejected"),
        P2: ("port_new", "in_progress"),
    }
    assert sorted(client.asked) == ["port_new", "port_old"]
    assert found[P2].estimated_completion == "2026-03-22T00:00:00Z" and found[P2].name == "e5"


def test_progress_skips_numbers_on_the_account_and_falls_back_to_what_was_recorded(tmp_path):
    book = PortBook(tmp_path / "ports.json")
    book.confirm(begin(book, P1), answer("port_1", [P1]))
    book.confirm(begin(book, P2), answer("port_gone", [P2]))
    begin(book, P3)  # never confirmed
    client = Client({"port_1": "completed"})
    found = read_progress(client, book.records(), Live(numbers=(live("num_1", P1),)))
    assert set(found) == {P2, P3} and client.asked == ["port_gone"]
    assert found[P2].status == "pending"  # as recorded: a 404 is never taken as "no port"
    assert found[P2].note.startswith("Orbit's status could not be read (")
    assert (found[P3].status, found[P3].port_id) == (PORT_UNCONFIRMED, None)
    assert f"orbitctl port forget {P3}" in found[P3].note
