"""One apply of a stack at a time from a checkout; two stacks side by side."""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner

from orbitctl.apply.lock import apply_lock, lock_path
from orbitctl.cli import cli
from orbitctl.errors import OrbitctlError


def test_a_second_holder_of_a_stack_is_refused_at_once_and_the_lock_is_free_after(tmp_path):
    with (
        apply_lock(tmp_path, "prod"),
        pytest.raises(OrbitctlError, match="another 'orbitctl apply' of stack 'prod' is running") as refused,
        apply_lock(tmp_path, "prod"),
    ):
        pass  # pragma: no cover - never reached
    assert "pid " in str(refused.value)  # who holds it
    with apply_lock(tmp_path, "prod") as path:  # released: taken again
        assert path == lock_path(tmp_path, "prod") == tmp_path / "locks" / "prod.lock"


def test_two_stacks_hold_their_locks_side_by_side(tmp_path):
    with apply_lock(tmp_path, "prod"), apply_lock(tmp_path, "staging"):
        assert (tmp_path / "locks" / "staging.lock").exists()


def test_a_timeout_waits_for_the_holder_and_takes_the_lock_once_free(tmp_path):
    held, release = threading.Event(), threading.Event()

    def holder():
        with apply_lock(tmp_path, "prod"):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        held.wait(5)
        waits = []
        threading.Timer(0.4, release.set).start()
        started = time.monotonic()
        with apply_lock(tmp_path, "prod", timeout=5, on_wait=waits.append):
            waited = time.monotonic() - started
        assert 0.3 < waited < 4 and len(waits) == 1
    finally:
        release.set()
        thread.join()


def test_a_timeout_that_runs_out_is_refused_saying_how_long_it_waited(tmp_path):
    with apply_lock(tmp_path, "prod"):
        started = time.monotonic()
        with (
            pytest.raises(OrbitctlError, match=r"still held after waiting 0\.3 s"),
            apply_lock(tmp_path, "prod", timeout=0.3),
        ):
            pass  # pragma: no cover - never reached
        assert time.monotonic() - started >= 0.3


def test_apply_while_another_apply_runs_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text("version: 1\nstack: prod\nnumbers:\n  a:\n    country: US\n")
    with apply_lock(tmp_path / ".orbitctl", "prod"):
        result = CliRunner().invoke(cli, ["--sandbox", "apply", "m.yaml", "--auto-approve"])
    assert result.exit_code == 1
    assert "another 'orbitctl apply' of stack 'prod' is running from this checkout" in result.stderr
    assert "nothing was changed" in result.stderr
    follow_up = CliRunner().invoke(cli, ["--sandbox", "plan", "m.yaml", "--detailed-exitcode"])
    assert follow_up.exit_code == 2, follow_up.stderr  # still one to purchase: nothing was bought


def test_lock_timeout_takes_durations_and_refuses_junk(tmp_path, monkeypatch):
    from orbitctl.cli.options import DURATION

    assert [DURATION.convert(text, None, None) for text in ("30s", "5m", "1h", "250ms", "2", "1.5m")] == [
        30.0, 300.0, 3600.0, 0.25, 2.0, 90.0,
    ]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text("version: 1\nstack: prod\nnumbers:\n  a:\n    country: US\n")
    result = CliRunner().invoke(cli, ["--sandbox", "apply", "m.yaml", "--auto-approve", "--lock-timeout", "5x"])
    assert result.exit_code == 1
    assert "'5x' is not a duration" in result.stderr and "30s, 5m or 1h" in result.stderr
