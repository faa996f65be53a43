"""The journal's file: changes appended and committed in groups, compacted, a torn last line
tolerated, a journal of format 1 read and migrated."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from orbitctl.apply import journal_file
from orbitctl.apply.journal import Journal
from orbitctl.errors import OrbitctlError


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def keys(path) -> list[str]:
    return sorted(entry.key for entry in Journal(path).entries())


@pytest.fixture
def syncs(monkeypatch):
    """The journal's fdatasyncs (appends), each as the keys on disk at that moment; slow (20 ms),
    as a disk's are, so that writers queue up behind one another."""
    seen: list[list[str]] = []
    real = journal_file._datasync

    def datasync(descriptor: int) -> None:
        real(descriptor)
        path = os.readlink(f"/proc/self/fd/{descriptor}")
        seen.append(keys(path))
        time.sleep(0.02)

    monkeypatch.setattr(journal_file, "_datasync", datasync)
    return seen


def test_changes_are_appended_one_line_each_and_flush_rewrites_one_document(tmp_path):
    path = tmp_path / "j.json"
    journal = Journal(path)
    first, _ = journal.intend(number="+1", name="a", stack="prod")
    journal.intend(number="+2", name="a", stack="prod")
    journal.bought(first, "num_1")
    written = lines(path)
    assert written[0]["format_version"] == "2" and [row["id"] for row in written[0]["entries"]] == [""]
    assert [("put" if "put" in line else "drop") for line in written[1:]] == ["put", "put", "drop"]
    assert keys(path) == ["?prod:+2", "num_1"]
    journal.flush()
    [document] = lines(path)
    assert sorted(row["id"] or row["number"] for row in document["entries"]) == ["+2", "num_1"]
    assert keys(path) == ["?prod:+2", "num_1"]


def test_the_file_stays_bounded_by_its_entries(tmp_path):
    path = tmp_path / "j.json"
    journal = Journal(path)
    journal.intend(number="+0", name="a", stack="prod")  # one entry that stays
    sizes = []
    for i in range(1, 3 * journal_file.REWRITE_AFTER):
        intent, _ = journal.intend(number=f"+{i}", name="a", stack="prod")
        journal.clear(intent.key)
        sizes.append(len(path.read_bytes().splitlines()))
    assert max(sizes) <= journal_file.REWRITE_AFTER + 1
    assert min(sizes[journal_file.REWRITE_AFTER :]) < 10  # rewritten, not only at the start
    assert keys(path) == ["?prod:+0"]


@pytest.mark.parametrize("torn", [b'{"put": {"id": "", "numb', b"\x00\x00\x00\x00"])
def test_a_torn_last_line_is_ignored_and_cut_off_before_the_next_append(tmp_path, torn):
    path = tmp_path / "j.json"
    journal = Journal(path)
    journal.intend(number="+1", name="a", stack="prod")
    journal.intend(number="+2", name="a", stack="prod")
    with open(path, "ab") as stream:  # a write cut short by a kill or a power cut
        stream.write(torn)
    assert keys(path) == ["?prod:+1", "?prod:+2"]
    for writer in (Journal(path), journal):  # a new process, and the one that had read the file
        writer.intend(number=f"+{len(keys(path)) + 1}", name="a", stack="prod")
    assert len(lines(path)) == 4  # every line whole again
    assert keys(path) == ["?prod:+1", "?prod:+2", "?prod:+3", "?prod:+4"]


def test_a_damaged_line_before_the_last_is_an_error(tmp_path):
    path = tmp_path / "j.json"
    journal = Journal(path)
    journal.intend(number="+1", name="a", stack="prod")
    with open(path, "ab") as stream:
        stream.write(b'{"put": {"id": "", "numb\n{"drop": "?prod:+1"}\n')
    with pytest.raises(OrbitctlError, match=r"j\.json: the purchase journal is not valid"):
        Journal(path).entries()


def test_a_journal_of_format_1_is_read_and_rewritten_in_format_2_at_the_first_change(tmp_path):
    path = tmp_path / "j.json"
    rows = [
        {"id": "num_1", "number": "+1", "name": "a", "stack": "prod", "time": "2026-03-01T12:00:00Z",
         "reason": "bought, not configured yet", "account": "http://x"},
        {"id": "", "number": "+2", "name": "b", "stack": "prod", "time": "2026-03-01T12:00:01Z",
         "reason": "purchase sent", "account": "http://x"},
    ]
    path.write_text(json.dumps({"format_version": "1", "entries": rows}, indent=2) + "\n")  # as 0.x wrote it
    journal = Journal(path)
    assert journal.pending() == {"num_1": "a"}
    assert keys(path) == ["?prod:+2", "num_1"]
    journal.intend(number="+3", name="c", stack="prod")
    [document] = lines(path)
    assert document["format_version"] == "2"
    assert keys(path) == ["?prod:+2", "?prod:+3", "num_1"]
    assert next(e for e in Journal(path).entries() if e.id == "num_1").reason == "bought, not configured yet"


def test_concurrent_intents_share_one_sync_and_each_is_on_disk_when_it_returns(tmp_path, syncs):
    journal = Journal(tmp_path / "j.json")
    journal.intend(number="+0", name="a", stack="prod")  # the file exists: the rest are appends
    start = threading.Barrier(32)
    on_disk_at_return: list[bool] = []

    def intend(i: int) -> None:
        start.wait()
        intent, _ = journal.intend(number=f"+{i}", name="a", stack="prod")
        on_disk_at_return.append(any(intent.key in synced for synced in syncs))

    threads = [threading.Thread(target=intend, args=(i,)) for i in range(1, 33)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert on_disk_at_return == [True] * 32
    assert len(syncs) <= 6  # one per group of intents that started together, not one each
    assert len(keys(journal.path)) == 33


def test_changes_not_waited_for_reach_the_disk_in_their_order_with_the_next_write(tmp_path, syncs):
    path = tmp_path / "j.json"
    journal = Journal(path)
    first, _ = journal.intend(number="+1", name="a", stack="prod")
    second, _ = journal.intend(number="+2", name="a", stack="prod")
    journal.bought(first, "num_1", wait=False)
    journal.clear("num_1", first.key, wait=False)  # tagged: after the id, so nothing is left of it
    journal.bought(second, "num_2", wait=False)
    assert keys(path) == ["?prod:+1", "?prod:+2"]  # not written yet: the intents stand for them
    journal.intend(number="+3", name="a", stack="prod")  # the next write takes them along, first
    assert syncs[-1] == ["?prod:+3", "num_2"]
    journal.clear("num_2", wait=False)
    journal.flush()
    assert keys(path) == ["?prod:+3"]


def test_a_file_put_back_shorter_under_the_same_first_line_is_read_again(tmp_path):
    path = tmp_path / "j.json"
    journal = Journal(path)
    journal.intend(number="+1", name="a", stack="prod")
    saved = path.read_bytes()  # e.g. a cache restoring an older copy
    journal.intend(number="+2", name="a", stack="prod")
    assert keys(path) == ["?prod:+1", "?prod:+2"]
    path.write_bytes(saved)
    assert sorted(entry.key for entry in journal.entries()) == ["?prod:+1"]


def test_quiet_in_a_signal_handler_interrupting_a_write_of_its_own_thread_returns(tmp_path, monkeypatch):
    journal = Journal(tmp_path / "j.json")
    first, _ = journal.intend(number="+1", name="a", stack="prod")
    real = journal_file._datasync

    def datasync(descriptor: int) -> None:  # a second signal arrives in the middle of the write
        journal.bought(first, "num_1", wait=False)
        with journal.quiet(timeout=1):
            pass
        real(descriptor)

    monkeypatch.setattr(journal_file, "_datasync", datasync)
    writer = threading.Thread(target=journal.intend, kwargs={"number": "+2", "name": "a", "stack": "prod"}, daemon=True)
    writer.start()
    writer.join(timeout=10)
    assert not writer.is_alive()  # not waiting for the file lock it holds itself
    assert keys(journal.path) == ["?prod:+1", "?prod:+2"]


def test_a_change_opens_no_file_once_the_journal_is_open(tmp_path, monkeypatch):
    """A purchase waits for its intent: each change is a stat, a write and an fdatasync of the
    file held open (and a flock of the lock file held open), not an opening and reading of both."""
    journal = Journal(tmp_path / "j.json")
    journal.intend(number="+0", name="a", stack="prod")
    journal.intend(number="+1", name="a", stack="prod")  # the first append: the file was made by a rewrite
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *args, **kw: opened.append(path) or real_open(path, *args, **kw))
    for i in range(2, 12):
        intent, _ = journal.intend(number=f"+{i}", name="a", stack="prod")
        journal.bought(intent, f"num_{i}")
    assert opened == []
    assert keys(tmp_path / "j.json") == sorted(["?prod:+0", "?prod:+1", *(f"num_{i}" for i in range(2, 12))])


def test_two_journals_on_one_file_see_each_other_s_appends_and_rewrites(tmp_path):
    """Two processes (here two objects) keeping the file open: each change by one is read by the
    other, also after the other rewrote the file (a new file renamed over the one held open)."""
    path = tmp_path / "j.json"
    one, two = Journal(path), Journal(path)
    one.intend(number="+1", name="a", stack="prod")
    two.intend(number="+2", name="a", stack="prod")
    one.intend(number="+3", name="a", stack="prod")
    assert sorted(entry.key for entry in two.entries()) == ["?prod:+1", "?prod:+2", "?prod:+3"]
    two.flush()  # rewritten: `one` holds the old file open
    one.clear("?prod:+2")
    assert sorted(entry.key for entry in two.entries()) == ["?prod:+1", "?prod:+3"]
    for i in range(4, 4 + journal_file.REWRITE_AFTER + 2):  # rewritten by `two` along the way
        two.intend(number=f"+{i}", name="a", stack="prod")
    one.clear("?prod:+1")
    assert len(two.entries()) == journal_file.REWRITE_AFTER + 3
    assert "?prod:+1" not in {entry.key for entry in two.entries()}


def test_a_torn_line_another_writer_cut_and_replaced_by_a_line_as_long_is_read(tmp_path):
    path = tmp_path / "j.json"
    reader, writer = Journal(path), Journal(path)
    writer.intend(number="+1", name="a", stack="prod")
    writer.intend(number="+2", name="a", stack="prod")
    drop_line = json.dumps({"drop": "?prod:+2"}).encode() + b"\n"  # what the writer appends next
    with open(path, "ab") as stream:  # a kill mid-append leaves part of a line, as long as that one
        stream.write(b"x" * len(drop_line))
    assert sorted(entry.key for entry in reader.entries()) == ["?prod:+1", "?prod:+2"]  # the torn tail seen
    writer.clear("?prod:+2")  # cuts the torn tail, appends the drop line: the file's size as before
    assert path.read_bytes().endswith(drop_line)
    assert sorted(entry.key for entry in reader.entries()) == ["?prod:+1"]


def test_the_journal_s_lock_file_removed_meanwhile_is_made_again_and_still_excludes(tmp_path):
    from orbitctl.statedir import LockFile

    lock_path = tmp_path / ".orbitctl" / "journal.lock"
    one, two = LockFile(lock_path, what="x"), LockFile(lock_path, what="x")
    with one.held():
        pass
    lock_path.unlink()  # `one` holds the removed file open
    with two.held():  # makes the file again
        taken = threading.Event()

        def take() -> None:
            with one.held():
                taken.set()

        waiter = threading.Thread(target=take)
        waiter.start()
        assert not taken.wait(0.2)  # `one` locks the file now at the path, held by `two`
    waiter.join(5)
    assert taken.is_set()
