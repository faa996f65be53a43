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
    file held open (and a flock of the lock file held open), not an opening and reading of both;
    also when another process (here another journal object) appended meanwhile."""
    import builtins
    import io

    path = tmp_path / "j.json"
    journal, other = Journal(path), Journal(path)
    journal.intend(number="+0", name="a", stack="prod")
    other.intend(number="+1", name="a", stack="prod")  # both have the file and its lock open now
    journal.intend(number="+2", name="a", stack="prod")
    opened = []

    def counted(real):
        return lambda file, *args, **kw: opened.append(file) or real(file, *args, **kw)

    monkeypatch.setattr(os, "open", counted(os.open))
    monkeypatch.setattr(builtins, "open", counted(builtins.open))
    monkeypatch.setattr(io, "open", counted(io.open))
    for i in range(3, 13):
        writer = journal if i % 2 else other  # each reads the other's appended line first
        intent, _ = writer.intend(number=f"+{i}", name="a", stack="prod")
        writer.bought(intent, f"num_{i}")
    assert opened == []
    expected = sorted(["?prod:+0", "?prod:+1", "?prod:+2", *(f"num_{i}" for i in range(3, 13))])
    assert sorted(entry.key for entry in journal.entries()) == expected
    assert sorted(entry.key for entry in other.entries()) == expected


def test_a_journal_that_cannot_be_written_is_still_read(tmp_path, monkeypatch):
    """``plan`` reads the journal of a read-only checkout: the file is opened for reading alone;
    a change then fails with the reason, and nothing is sent before it (the executor's rule)."""
    path = tmp_path / "j.json"
    Journal(path).intend(number="+1", name="a", stack="prod")
    real_open = os.open

    def read_only(file, flags, *args, **kw):
        if str(file) == str(path) and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, *args, **kw)

    monkeypatch.setattr(os, "open", read_only)
    journal = Journal(path)
    assert [entry.key for entry in journal.entries()] == ["?prod:+1"]
    with pytest.raises(PermissionError):
        journal.intend(number="+2", name="a", stack="prod")
    monkeypatch.setattr(os, "open", real_open)
    assert [entry.key for entry in Journal(path).entries()] == ["?prod:+1"]


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


def test_a_lock_file_that_cannot_be_checked_is_let_go_with_the_reason(tmp_path, monkeypatch):
    import fcntl

    from orbitctl.statedir import LockFile

    lock_path = tmp_path / "journal.lock"
    lock = LockFile(lock_path, what="the purchase journal x")
    with lock.held():
        pass
    real_stat = os.stat

    def refused(file, *args, **kw):
        if str(file) == str(lock_path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_stat(file, *args, **kw)

    monkeypatch.setattr(os, "stat", refused)
    with pytest.raises(OrbitctlError, match="cannot lock the purchase journal x: Permission denied"), lock.held():
        pass
    monkeypatch.setattr(os, "stat", real_stat)
    with open(lock_path, "a") as other:  # not held any more: another process takes it at once
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_lock_file_excludes_the_threads_that_share_it(tmp_path):
    from orbitctl.statedir import LockFile

    lock = LockFile(tmp_path / "journal.lock", what="x")
    inside, most = [0], [0]
    guard = threading.Lock()

    def hold() -> None:
        for _ in range(20):
            with lock.held():
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.001)
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most[0] == 1
