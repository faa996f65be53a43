"""The purchase journal: recorded, read back by a new process, pruned, atomic, refusing junk."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest

from orbitctl.apply.journal import Journal
from orbitctl.errors import OrbitctlError
from orbitctl.model import Live, LiveNumber, ownership_tag


def live(number_id: str, tags: tuple[str, ...] = ()) -> LiveNumber:
    return LiveNumber(
        id=number_id, number="+14155550100", country="US", type="local", status="active",
        monthly_cost=Decimal("1"), currency="USD", created_at="", config={}, raw_tags=tags,
    )


def test_an_entry_survives_into_a_new_journal_object(tmp_path):
    path = tmp_path / ".orbitctl" / "journal.json"
    Journal(path).record(id="num_1", number="+14155550100", name="support", stack="prod", reason="500")
    again = Journal(path)
    assert again.pending() == {"num_1": "support"}
    [entry] = again.entries()
    assert (entry.number, entry.stack, entry.reason) == ("+14155550100", "prod", "500")
    assert entry.time.endswith("Z")


def test_pending_can_be_limited_to_one_stack(tmp_path):
    journal = Journal(tmp_path / "j.json")
    journal.record(id="num_1", number="+1", name="a", stack="prod")
    journal.record(id="num_2", number="+2", name="b", stack="dev")
    assert journal.pending("dev") == {"num_2": "b"}
    assert journal.pending() == {"num_1": "a", "num_2": "b"}


def test_clear_removes_the_entry_from_the_file(tmp_path):
    path = tmp_path / "j.json"
    journal = Journal(path)
    journal.record(id="num_1", number="+1", name="a", stack="prod")
    assert journal.clear("num_1") is True
    assert journal.clear("num_1") is False
    assert json.loads(path.read_text())["entries"] == []


def test_prune_forgets_tagged_and_vanished_numbers_only(tmp_path):
    journal = Journal(tmp_path / "j.json")
    journal.record(id="num_tagged", number="+1", name="a", stack="prod")
    journal.record(id="num_gone", number="+2", name="b", stack="prod")
    journal.record(id="num_waiting", number="+3", name="c", stack="prod")
    account = Live(numbers=(live("num_tagged", (ownership_tag("prod", "a"),)), live("num_waiting", ("x",))))
    forgotten = journal.prune(account)
    assert sorted(entry.id for entry in forgotten) == ["num_gone", "num_tagged"]
    assert Journal(journal.path).pending() == {"num_waiting": "c"}


def test_concurrent_records_all_land(tmp_path):
    journal = Journal(tmp_path / "j.json")
    threads = [
        threading.Thread(target=journal.record, kwargs={"id": f"num_{i}", "number": f"+{i}", "name": "p", "stack": "s"})
        for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(Journal(journal.path).pending()) == 20
    assert not list(tmp_path.glob(".journal-*"))  # no temporary file left behind


def test_a_damaged_journal_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "j.json"
    path.write_text("{not json")
    with pytest.raises(OrbitctlError, match=r"j\.json: the purchase journal is not valid"):
        Journal(path).pending()


def test_no_file_means_an_empty_journal(tmp_path):
    assert Journal(tmp_path / "missing" / "j.json").pending() == {}


def test_default_path_is_in_the_checkout_state_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Journal().record(id="num_1", number="+1", name="a", stack="prod")
    assert (tmp_path / ".orbitctl" / "journal.json").is_file()


def test_prune_keeps_a_vanished_number_bought_on_another_account(tmp_path):
    journal = Journal(tmp_path / "j.json")
    journal.record(id="num_real", number="+1", name="a", stack="prod", account="https://api.example.com")
    journal.record(id="num_here", number="+2", name="b", stack="prod", account="http://127.0.0.1:9")
    forgotten = journal.prune(Live(numbers=()), "http://127.0.0.1:9")
    assert [entry.id for entry in forgotten] == ["num_here"]
    assert Journal(journal.path).pending() == {"num_real": "a"}


def test_pending_on_an_account_needs_the_same_id_and_number(tmp_path):
    journal = Journal(tmp_path / "j.json")
    journal.record(id="num_1", number="+14155550100", name="a", stack="prod")
    journal.record(id="num_2", number="+14155550199", name="b", stack="prod")
    on_account = Live(numbers=(live("num_1"), live("num_2")))  # both +14155550100
    assert journal.pending("prod", on_account) == {"num_1": "a"}


def test_the_account_is_the_base_url_without_credentials():
    from orbitctl.apply.journal import account_of

    class Client:
        base_url = "https://user:secret@api.example.com:8443/v"

    assert account_of(Client()) == "https://api.example.com:8443/v"
    assert account_of(object()) == ""


def test_an_entry_without_id_is_resolved_by_its_number_while_untagged(tmp_path):
    journal = Journal(tmp_path / "j.json")
    journal.record(id="", number="+14155550100", name="a", stack="prod", account="http://x")
    untagged = Live(numbers=(live("num_7"),))
    assert journal.pending("prod", untagged) == {"num_7": "a"}
    assert journal.pending("prod") == {}  # nothing to resolve it against
    from dataclasses import replace

    from orbitctl.model import Owner

    taken = Live(numbers=(replace(live("num_7", (ownership_tag("staging", "b"),)), owner=Owner("staging", "b")),))
    assert journal.pending("prod", taken) == {}
    assert journal.prune(untagged, "http://x") == []
    assert [entry.number for entry in journal.prune(Live(numbers=()), "http://x")] == ["+14155550100"]
