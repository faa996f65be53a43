"""Apply killed at random moments, then applied again until the plan is empty: is anything bought
twice unseen, left untagged, or done without saying so?

    .venv/bin/python benchmarks/kill_cycles.py [--cycles 25] [--numbers 40] [--latency-ms 40]
                                              [--hold-ms 400] [--seed 1]

A sandbox served in this process (``serve_in_thread``) with ``--latency-ms`` on every request;
``orbitctl apply`` runs as a process of its own, as a user or CI runs it, from a checkout (a
folder with ``.git``). Each cycle:

1. the manifest changes (a pool of between half of ``--numbers`` and ``--numbers`` numbers, and
   two single entries, one of them in every other cycle only), so there is something to buy;
2. an apply starts and is killed, by SIGKILL or SIGTERM (chosen at random), either at a random
   moment, or (every other cycle) while a purchase is in flight: the sandbox holds every
   purchase's response ``--hold-ms`` after committing it, and the kill comes as soon as a
   purchase of this apply has committed;
3. applies (``--auto-approve --allow-release --force``) follow until ``plan --detailed-exitcode``
   says there is nothing to do; then the cycle waits for requests the killed apply left running
   in the sandbox to end (a late commit) and plans again, applying once more if needed.

Figures: cycles; kills (SIGKILL, SIGTERM; in flight); purchases; extra purchases (committed
beyond what the cycle's additions needed: bought twice, then adopted and released); releases;
at the end of each cycle, the numbers beyond what the manifest wants and the untagged numbers
(both must be 0); and whether every interrupted apply said what it had done (SIGTERM: its
summary names every number it bought; SIGKILL: every action that ended before the kill had its
line printed). Run by hand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from orbitctl.model import Owner
from orbitctl.sandbox.server import serve_in_thread
from orbitctl.sandbox.store import read_state

KEY = "dv_test_sk_benchmark"
STACK = "bench"
#: Follow-up applies a cycle may need before its plan is empty (more means orbitctl does not converge).
MAX_FOLLOW_UPS = 6


def manifest(pool: int, with_b: bool, fresh: tuple[str, int] | None) -> str:
    entries = f"  pool:\n    country: US\n    count: {pool}\n    label: Pool\n  a:\n    country: US\n    label: A\n"
    if with_b:
        entries += "  b:\n    country: US\n    label: B\n"
    if fresh:
        entries += f"  {fresh[0]}:\n    country: US\n    count: {fresh[1]}\n    label: Fresh\n"
    return f"version: 1\nstack: {STACK}\nnumbers:\n{entries}"


def owners(state_path: Path) -> tuple[Counter[str], list[str]]:
    """Numbers by entry of the stack, and the untagged numbers."""
    by_entry: Counter[str] = Counter()
    untagged = []
    for fields in read_state(state_path)["numbers"].values():
        owner = next((o for o in map(Owner.from_tag, fields.get("tags") or []) if o is not None), None)
        if owner is None:
            untagged.append(fields["number"])
        else:
            by_entry[owner.name] += 1
    return by_entry, untagged


def tagged(state_path: Path) -> set[str]:
    """The numbers carrying an ownership tag of the stack."""
    return {
        fields["number"]
        for fields in read_state(state_path)["numbers"].values()
        if any((owner := Owner.from_tag(tag)) is not None and owner.stack == STACK for tag in fields.get("tags") or [])
    }


def audit(state_path: Path) -> list[dict]:
    return list(read_state(state_path)["audit"])


def purchases(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["method"] == "POST" and e["path"].endswith("/purchase")]


class Orbitctl:
    def __init__(self, url: str, checkout: Path):
        self.env = {**os.environ, "ORBIT_API_URL": url, "ORBIT_API_KEY": KEY, "PYTHONUNBUFFERED": "1"}
        self.env.pop("ORBITCTL_STATE_DIR", None)
        self.checkout = checkout

    def start_apply(self, out: Path, err: Path) -> subprocess.Popen:
        with out.open("wb") as stdout, err.open("wb") as stderr:
            return subprocess.Popen(
                [sys.executable, "-m", "orbitctl", "apply", "numbers.yaml", "--auto-approve", "--allow-release",
                 "--force", "--parallelism", "4"],
                cwd=self.checkout, env=self.env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            )

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "orbitctl", *args], cwd=self.checkout, env=self.env,
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
        )

    def converged(self) -> bool:
        result = self.run("plan", "numbers.yaml", "--detailed-exitcode")
        if result.returncode not in (0, 2):
            raise SystemExit(f"plan failed: {result.stdout}{result.stderr}")
        return result.returncode == 0

    def apply(self) -> subprocess.CompletedProcess:
        return self.run("apply", "numbers.yaml", "--auto-approve", "--allow-release", "--force", "--parallelism", "4")


def said_what_it_did(kind: str, out: str, err: str, committed: list[str], tagged_before_kill: set[str]) -> bool:
    """SIGTERM: the closing message names every number this apply bought (or says none was, or
    that it stopped before any change, and bought nothing).
    SIGKILL: every number this apply tagged before the kill has its line."""
    printed = set(re.findall(r"bought (\+\d+)", out))
    if kind == "SIGTERM":
        if "interrupted (SIGTERM) before any change" in err:
            return not committed  # stopped while reading the account or planning
        if "interrupted by SIGTERM" not in err and "Apply " not in out:
            return False  # neither the interruption message nor a summary (it had finished)
        named = set(re.findall(r"(\+\d+) for '", err)) | printed
        return set(committed) <= named
    return tagged_before_kill <= printed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=25)
    parser.add_argument("--numbers", type=int, default=40, help="the largest pool (default 40)")
    parser.add_argument("--latency-ms", type=float, default=40)
    parser.add_argument("--hold-ms", type=float, default=400, help="purchase responses held (in-flight kills)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    folder = Path(tempfile.mkdtemp(prefix="orbitctl-kill-cycles-"))
    checkout = folder / "checkout"
    (checkout / ".git").mkdir(parents=True)
    state = folder / "sandbox.json"
    totals: Counter[str] = Counter()
    interrupted_ok = interrupted = 0
    failures: list[str] = []
    started = time.monotonic()

    with serve_in_thread(state_path=state, latency_ms=args.latency_ms, hold_purchase_ms=args.hold_ms) as server:
        orbitctl = Orbitctl(server.url, checkout)
        quiet = (args.latency_ms + args.hold_ms) / 1000 * 3 + 0.5  # a request the kill left in the sandbox ends
        for cycle in range(1, args.cycles + 1):
            pool = rng.randint(max(1, args.numbers // 2), args.numbers)
            with_b = cycle % 2 == 0
            in_flight = cycle % 2 == 1
            # a cycle that kills a purchase in flight has numbers to buy: a new entry (the next
            # cycle drops it again, releasing its numbers)
            fresh = (f"fresh-{cycle}", rng.randint(3, 8)) if in_flight else None
            (checkout / "numbers.yaml").write_text(manifest(pool, with_b, fresh))
            wanted = Counter({"pool": pool, "a": 1, **({"b": 1} if with_b else {}), **dict([fresh] if fresh else [])})
            before, _ = owners(state)
            needed = sum(max(0, count - before[name]) for name, count in wanted.items())
            audit_start = len(audit(state))
            tagged_at_start = tagged(state)

            kind = rng.choice(["SIGKILL", "SIGTERM"])
            out, err = folder / f"apply-{cycle}.out", folder / f"apply-{cycle}.err"
            process = orbitctl.start_apply(out, err)
            try:
                if in_flight:
                    deadline = time.monotonic() + 60
                    while not purchases(audit(state)[audit_start:]) and process.poll() is None:
                        if time.monotonic() > deadline:
                            break
                        time.sleep(0.01)
                else:
                    time.sleep(rng.uniform(0.3, 3.0))
                tagged_by_it = tagged(state) - tagged_at_start  # actions of this apply that ended
                totals["while running"] += process.poll() is None
                process.send_signal(signal.Signals[kind])
                totals[kind] += 1
                totals["in flight"] += in_flight
                process.wait(timeout=120)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            committed = [e["number"] for e in purchases(audit(state)[audit_start:])]
            interrupted += 1
            if said_what_it_did(kind, out.read_text(), err.read_text(), committed, tagged_by_it):
                interrupted_ok += 1
            else:
                failures.append(f"cycle {cycle}: the {kind} apply did not say what it had done ({err})")

            for _ in range(MAX_FOLLOW_UPS):
                if orbitctl.converged():
                    time.sleep(quiet)  # a purchase the kill left in the sandbox may still commit
                    if orbitctl.converged():
                        break
                orbitctl.apply()
            else:
                failures.append(f"cycle {cycle}: the plan was not empty after {MAX_FOLLOW_UPS} applies")

            entries = audit(state)[audit_start:]
            bought = len(purchases(entries))
            released = sum(1 for e in entries if e["method"] == "DELETE")
            after, untagged = owners(state)
            surplus = sum(max(0, after[name] - count) for name, count in after.items() if name in wanted)
            surplus += sum(count for name, count in after.items() if name not in wanted)
            short = sum(max(0, count - after[name]) for name, count in wanted.items())
            totals["purchases"] += bought
            totals["extra purchases"] += bought - needed
            totals["releases"] += released
            totals["left extra"] += surplus
            totals["left untagged"] += len(untagged)
            if surplus or untagged or short:
                failures.append(f"cycle {cycle}: {surplus} extra, {len(untagged)} untagged, {short} missing")
            print(
                f"cycle {cycle:2}: {kind:7} {'in flight' if in_flight else 'at random':9}  pool {pool:2}  "
                f"bought {bought:2} (needed {needed:2})  released {released:2}  "
                f"extra left {surplus}  untagged {len(untagged)}",
                flush=True,
            )

    print()
    print(f"cycles: {args.cycles} ({totals['SIGKILL']} SIGKILL, {totals['SIGTERM']} SIGTERM; "
          f"{totals['in flight']} while a purchase was in flight; {totals['while running']} signalled while "
          "apply still ran)")
    print(f"purchases: {totals['purchases']}; extra purchases (bought beyond need, then adopted and released): "
          f"{totals['extra purchases']}; releases: {totals['releases']}")
    print(f"numbers left beyond the manifest: {totals['left extra']}; untagged numbers left: {totals['left untagged']}")
    print(f"interrupted applies that said what they had done: {interrupted_ok} of {interrupted}")
    print(f"time: {time.monotonic() - started:.0f} s; files in {folder}")
    for failure in failures:
        print("FAIL:", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
