"""Apply killed, signalled and raced, as a process: judged by the sandbox's account and audit.

Each test runs ``orbitctl apply`` as a subprocess against a served sandbox whose
``hold_purchase_ms`` keeps a committed purchase's response back, so that a signal or a kill lands
while the purchase is in flight. Every process started is killed in a ``finally``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from orbitctl.apply.journal import Journal
from orbitctl.model import Owner
from tests.conftest import TEST_API_KEY
from tests.helpers import STACK, account, owned, plan_is_empty, purchases, run, write_manifest

#: How long the sandbox holds each purchase's response: long enough to signal into.
HOLD_MS = 1000
#: Upper bound for anything a test waits on.
PATIENCE = 20.0


def _default_signals() -> None:
    """In the child: SIGINT and SIGHUP as a shell in the foreground would leave them (a suite run
    in the background starts its children with SIGINT ignored)."""
    for number in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)


class Apply:
    """``orbitctl apply ARGS`` in a process of its own, in ``cwd``, against ``url``."""

    def __init__(self, url: str, cwd: Path, *args: str):
        env = {**os.environ, "ORBIT_API_URL": url, "ORBIT_API_KEY": TEST_API_KEY, "PYTHONUNBUFFERED": "1"}
        env.pop(STATE_DIR_ENV, None)
        self.out, self.err = (cwd / f".apply-{os.getpid()}-{id(self)}.{kind}" for kind in ("out", "err"))
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orbitctl", "apply", *args, "--auto-approve"],
                cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                preexec_fn=_default_signals,
            )

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def wait(self, timeout: float = PATIENCE) -> int:
        return self.process.wait(timeout=timeout)

    @property
    def stdout(self) -> str:
        return self.out.read_text()

    @property
    def stderr(self) -> str:
        return self.err.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=PATIENCE)


STATE_DIR_ENV = "ORBITCTL_STATE_DIR"


@pytest.fixture
def applies():
    """Factory of ``Apply`` processes; every one still running is killed when the test ends."""
    started: list[Apply] = []

    def start(*args, **kwargs) -> Apply:
        process = Apply(*args, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def wait_for_purchases(server, count: int) -> list[dict]:
    """Until ``count`` purchases have committed on the sandbox (their responses may be held)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        committed = purchases(server)
        if len(committed) >= count:
            return committed
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} purchases committed within {PATIENCE} s")


def without_hold(sandbox_server, server):
    """The same account at the same URL, answering at once: for the applies after the one
    interrupted (the held response of the killed one is dropped)."""
    port = int(server.url.rsplit(":", 1)[1])
    server.stop()
    return sandbox_server(state_path=server.state_path, port=port)


def untagged(server) -> list[str]:
    return [fields["number"] for fields in account(server).values() if not _owner(fields)]


def _owner(fields: dict) -> Owner | None:
    return next((owner for owner in map(Owner.from_tag, fields.get("tags") or []) if owner), None)


def journal_of(checkout: Path) -> list[dict]:
    """The journal's entries, as any apply reads them (after a kill, changes may be appended)."""
    return [asdict(entry) for entry in Journal(checkout / ".orbitctl" / "journal.json").entries()]


# --- kills and signals ------------------------------------------------------------------------


def test_a_kill_while_a_purchase_is_in_flight_buys_no_second_number(checkout, sandbox_server, orbit_env, applies):
    server = sandbox_server(hold_purchase_ms=HOLD_MS)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n    label: A\n")
    process = applies(server.url, checkout, str(manifest))

    [committed] = wait_for_purchases(server, 1)
    process.signal(signal.SIGKILL)  # the purchase is bought; its response has not arrived
    assert process.wait() == -signal.SIGKILL

    # the intent was on disk before the purchase went out
    [intent] = journal_of(checkout)
    assert (intent["number"], intent["name"], intent["stack"], intent["id"]) == (committed["number"], "a", STACK, "")
    assert untagged(server) == [committed["number"]]

    orbit_env(server.url)
    again = run("apply", str(manifest), "--auto-approve")

    assert again.exit_code == 0, again.output + again.stderr
    assert "1 adopted" in again.output and "0 purchased" in again.output
    assert len(purchases(server)) == 1
    [number] = owned(server, "a")
    assert number["number"] == committed["number"] and number["label"] == "A"
    assert untagged(server) == [] and journal_of(checkout) == []
    assert plan_is_empty(manifest)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_mid_apply_finishes_the_purchase_under_way_starts_nothing_and_says_what_it_did(
    checkout, sandbox_server, orbit_env, applies, signum
):
    server = sandbox_server(hold_purchase_ms=HOLD_MS)
    manifest = write_manifest(checkout / "m.yaml", "  pool:\n    country: US\n    count: 3\n")
    process = applies(server.url, checkout, str(manifest), "--parallelism", "1")

    [committed] = wait_for_purchases(server, 1)
    process.signal(signum)
    code = process.wait()

    name = signal.Signals(signum).name
    assert code == 1, process.stderr
    assert f"Received {name}: no new action starts" in process.stderr
    assert f"pool: purchase done: bought {committed['number']}" in process.stdout  # as it ended
    assert f"interrupted by {name}: 1 of 3 actions done, 2 not started" in process.stderr
    assert f"Bought: {committed['number']} for 'pool'" in process.stderr and "Plan again" in process.stderr
    assert "Apply interrupted: 1 purchased" in process.stdout and "Traceback" not in process.stderr
    assert len(purchases(server)) == 1  # nothing started after the signal
    assert [fields["number"] for fields in owned(server, "pool")] == [committed["number"]]  # and it was finished
    assert journal_of(checkout) == []

    server = without_hold(sandbox_server, server)
    orbit_env(server.url)
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    assert len(owned(server, "pool")) == 3 and len(purchases(server)) == 3 and untagged(server) == []


def test_a_second_signal_exits_at_once_with_the_purchase_under_way_journaled(
    checkout, sandbox_server, orbit_env, applies
):
    server = sandbox_server(hold_purchase_ms=4000)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n  b:\n    country: US\n")
    process = applies(server.url, checkout, str(manifest), "--parallelism", "1")

    [committed] = wait_for_purchases(server, 1)
    process.signal(signal.SIGINT)
    time.sleep(0.3)
    started = time.monotonic()
    process.signal(signal.SIGTERM)  # as GitHub Actions does after SIGINT
    code = process.wait()

    assert code == 1 and time.monotonic() - started < 2.5  # well before the held response
    assert "Received SIGTERM again: stopping at once" in process.stderr
    assert "Every purchase sent is recorded in" in process.stderr
    assert [(entry["number"], entry["id"]) for entry in journal_of(checkout)] == [(committed["number"], "")]

    server = without_hold(sandbox_server, server)
    orbit_env(server.url)
    again = run("apply", str(manifest), "--auto-approve")
    assert again.exit_code == 0, again.output + again.stderr
    assert "1 adopted" in again.output and "1 purchased" in again.output
    assert len(purchases(server)) == 2 and untagged(server) == []
    assert {len(owned(server, "a")), len(owned(server, "b"))} == {1}


def test_output_json_keeps_stdout_one_document_with_the_lines_on_stderr(checkout, sandbox_server, orbit_env):
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n  b:\n    country: US\n")
    result = run("apply", str(manifest), "--auto-approve", "--output", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["purchase"] == 2
    assert "a: purchase done: bought" in result.stderr and "b: purchase done: bought" in result.stderr


def test_each_outcome_reaches_a_pipe_as_its_action_ends(checkout, sandbox_server, applies):
    # a CI log: stdout is a file here, not a terminal; the first line is there while the second
    # purchase is still held
    server = sandbox_server(hold_purchase_ms=800)
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n  b:\n    country: US\n")
    process = applies(server.url, checkout, str(manifest), "--parallelism", "1")
    wait_for_purchases(server, 2)
    assert process.process.poll() is None  # the second response is still held
    assert process.stdout.count("purchase done: bought") == 1
    assert process.wait() == 0
    assert process.stdout.count("purchase done: bought") == 2


# --- the checkout's lock, whatever the working directory -------------------------------------


def test_two_working_directories_of_one_checkout_share_the_lock(checkout, sandbox_server, orbit_env, applies,
                                                                 monkeypatch):
    repo = checkout / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    server = sandbox_server(hold_purchase_ms=HOLD_MS)
    manifest = write_manifest(repo / "numbers.yaml", "  pool:\n    country: US\n    count: 2\n")
    first = applies(server.url, repo, "numbers.yaml", "--parallelism", "1")  # cd repo && apply numbers.yaml
    wait_for_purchases(server, 1)  # it holds the lock now

    orbit_env(server.url)
    monkeypatch.chdir(repo / "sub")  # cd repo/sub && apply ../numbers.yaml
    refused = run("apply", "../numbers.yaml", "--auto-approve")
    assert refused.exit_code == 1
    assert "another 'orbitctl apply' of stack 'prod' is running from this checkout" in refused.stderr
    assert str(repo / ".orbitctl" / "locks" / "prod.lock") in refused.stderr

    waited = run("apply", "../numbers.yaml", "--auto-approve", "--lock-timeout", "20s")
    assert first.wait() == 0, first.stderr
    assert waited.exit_code == 0, waited.output + waited.stderr
    assert "waiting up to 20 s" in waited.stderr and "No changes" in waited.output
    assert len(purchases(server)) == 2 and len(owned(server, "pool")) == 2
    assert not (repo / "sub" / ".orbitctl").exists()
    assert plan_is_empty(manifest)


def test_the_state_dir_can_be_named_by_the_environment(checkout, sandbox_server, orbit_env, monkeypatch):
    server = sandbox_server(fail_configure=1000)
    orbit_env(server.url)
    monkeypatch.setenv(STATE_DIR_ENV, str(checkout / "elsewhere"))
    manifest = write_manifest(checkout / "m.yaml", "  a:\n    country: US\n")
    monkeypatch.setattr("orbitctl.account.retry.RetryPolicy.delay", lambda *args, **kwargs: 0.0)
    assert run("apply", str(manifest), "--auto-approve").exit_code == 1
    entries = json.loads((checkout / "elsewhere" / "journal.json").read_text())["entries"]
    assert [entry["name"] for entry in entries] == ["a"]
    assert not (checkout / ".orbitctl").exists()


# --- two checkouts at once -------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_two_checkouts_at_once_buy_exactly_what_is_wanted_or_name_every_surplus_number(
    tmp_path, sandbox_server, orbit_env, applies, count
):
    # a laptop and CI: two checkouts, two journals, two locks, one account
    server = sandbox_server(hold_purchase_ms=300)
    checkouts = [tmp_path / "laptop", tmp_path / "ci"]
    for folder in checkouts:
        (folder / ".git").mkdir(parents=True)
        write_manifest(folder / "numbers.yaml", f"  pool:\n    country: US\n    count: {count}\n")
    both = [applies(server.url, folder, "numbers.yaml") for folder in checkouts]
    codes = [process.wait() for process in both]

    orbit_env(server.url)
    assert untagged(server) == []
    surplus = len(owned(server, "pool")) - count
    assert surplus >= 0
    if surplus == 0:
        return  # exactly what is wanted (an entry stopped buying, or the other found nothing to do)
    failed = [process for process, code in zip(both, codes, strict=True) if code == 1]
    reported = " ".join(process.stderr for process in failed)
    assert "more numbers than they want" in reported and "The next plan releases them" in reported
    fresh = json.loads(run("plan", str(checkouts[0] / "numbers.yaml"), "--output", "json").output)
    released = [action["number"] for action in fresh["actions"] if action["action"] == "release"]
    assert len(released) == surplus
    for number in released:  # every surplus number named, as the next plan releases it
        assert number in reported
