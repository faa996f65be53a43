"""The purchase journal: recorded, read back by a new process, pruned, atomic, refusing junk."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
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
    assert Journal(path).entries() == []


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
    assert journal.prune(Live(numbers=()), "http://x") == []  # absent, young: the server may still commit it


# --- the write-ahead intents -----------------------------------------------------------------

def tagged(number_id: str, number: str, stack: str, name: str) -> LiveNumber:
    from dataclasses import replace

    from orbitctl.model import Owner

    return replace(
        live(number_id, (ownership_tag(stack, name),)), number=number, owner=Owner(stack, name)
    )


def untagged_number(number_id: str, number: str) -> LiveNumber:
    from dataclasses import replace

    return replace(live(number_id), number=number)


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr("orbitctl.apply.journal._now", lambda: moment)


T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_an_intent_becomes_the_bought_id_in_one_entry(tmp_path):
    journal = Journal(tmp_path / "j.json")
    intent, _ = journal.intend(number="+14155550100", name="a", stack="prod", account="http://x")
    other, _ = journal.intend(number="+14155550101", name="a", stack="prod", account="http://x")
    assert intent.is_intent and intent.key == "?prod:+14155550100"
    journal.bought(intent, "num_1")
    entries = {entry.key: entry for entry in Journal(journal.path).entries()}
    assert set(entries) == {"num_1", other.key}
    assert (entries["num_1"].number, entries["num_1"].name, entries["num_1"].account) == ("+14155550100", "a", "http://x")


def test_intents_resolve_each_way_against_the_account(tmp_path):
    journal = Journal(tmp_path / "j.json")
    for number, name in (("+14155550101", "adopt"), ("+14155550102", "done"), ("+14155550103", "theirs")):
        journal.intend(number=number, name=name, stack="prod", account="http://x")
    journal.intend(number="+14155550104", name="elsewhere", stack="prod", account="http://y")
    account = Live(
        numbers=(
            untagged_number("num_1", "+14155550101"),
            tagged("num_2", "+14155550102", "prod", "done"),
            tagged("num_3", "+14155550103", "staging", "main"),
            untagged_number("num_4", "+14155550104"),
        )
    )
    # adopted: only the untagged one of this account; never a number tagged by anyone
    assert journal.pending("prod", account, "http://x") == {"num_1": "adopt"}
    forgotten = journal.prune(account, "http://x")
    assert sorted(entry.name for entry in forgotten) == ["done", "theirs"]
    assert sorted(entry.name for entry in Journal(journal.path).entries()) == ["adopt", "elsewhere"]


def test_an_absent_intent_is_kept_until_it_is_older_than_the_grace(tmp_path, monkeypatch):
    from orbitctl.apply.journal import INTENT_GRACE

    journal = Journal(tmp_path / "j.json")
    at(monkeypatch, T0)
    journal.intend(number="+14155550101", name="a", stack="prod", account="http://x")
    journal.intend(number="+14155550102", name="b", stack="prod", account="http://x")
    journal.record(id="num_9", number="+14155550109", name="c", stack="prod", account="http://x")
    empty = Live(numbers=())

    at(monkeypatch, T0 + INTENT_GRACE - timedelta(seconds=1))
    # the bought number (id known) has left the account: forgotten; the intents are kept
    assert [entry.id for entry in journal.prune(empty, "http://x")] == ["num_9"]
    assert len(journal.entries()) == 2
    # a number that shows up meanwhile (the server committed late) is adopted, not left untagged
    late = Live(numbers=(untagged_number("num_5", "+14155550102"),))
    assert journal.pending("prod", late, "http://x") == {"num_5": "b"}

    at(monkeypatch, T0 + INTENT_GRACE)
    assert sorted(entry.number for entry in journal.prune(empty, "http://x")) == ["+14155550101", "+14155550102"]
    assert journal.entries() == []


def test_an_entry_written_while_the_account_was_read_is_kept(tmp_path, monkeypatch):
    # another stack's apply recorded its purchase after this apply read the account
    journal = Journal(tmp_path / "j.json")
    at(monkeypatch, T0)
    journal.record(id="num_old", number="+1", name="a", stack="other", account="http://x")
    at(monkeypatch, T0 + timedelta(seconds=5))
    journal.record(id="num_new", number="+2", name="b", stack="other", account="http://x")
    at(monkeypatch, T0 + timedelta(seconds=6))
    forgotten = journal.prune(Live(numbers=()), "http://x", observed_at=T0 + timedelta(seconds=4))
    assert [entry.id for entry in forgotten] == ["num_old"]
    assert [entry.id for entry in journal.entries()] == ["num_new"]


def test_two_journal_objects_of_one_file_never_lose_each_others_entries(tmp_path):
    # two processes (two stacks of one checkout) each keep a Journal of the same file
    path = tmp_path / "j.json"
    first, second = Journal(path), Journal(path)
    first.intend(number="+1", name="a", stack="prod")
    second.intend(number="+2", name="b", stack="staging")
    first.clear("?prod:+1")
    second.record(id="num_3", number="+3", name="c", stack="staging")
    assert sorted(entry.key for entry in Journal(path).entries()) == ["?staging:+2", "num_3"]


def test_every_write_is_fsynced_with_its_folder(tmp_path, monkeypatch):
    import os
    import stat

    synced = []
    real_fsync = os.fsync

    def fsync(descriptor):
        synced.append(stat.S_ISDIR(os.fstat(descriptor).st_mode))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    Journal(tmp_path / "j.json").intend(number="+1", name="a", stack="prod")
    assert synced == [False, True]  # the file, then the folder holding the rename
