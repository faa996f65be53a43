"""Apply a plan purchasing N numbers against the served sandbox, at parallelism 1 and 16.

    .venv/bin/python benchmarks/bench_apply.py [--numbers 500] [--latency-ms 50]

For each parallelism, a fresh sandbox account (served over HTTP with the latency), a manifest
with one pool of N numbers, `build_plan` (not timed in the apply figure), then `execute` timed.
Each purchase is a POST and a PUT, so the floor is about 2·N·L/P plus one inventory search.
Prints both times, the bound and the ratio P=1 / P=16, and checks the account holds exactly N
numbers. Run by hand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from orbitctl.client import OrbitClient
from orbitctl.executor import execute
from orbitctl.journal import Journal
from orbitctl.pipeline import build_plan
from orbitctl.sandbox.server import serve_in_thread

KEY = "dv_test_sk_benchmark"
STACK = "bench"


def apply_once(workdir: Path, n: int, latency_ms: float, parallelism: int) -> tuple[float, float]:
    """(seconds planning, seconds applying) on a fresh account; exits when the result is wrong."""
    manifest = workdir / "numbers.yaml"
    manifest.write_text(
        f"version: 1\nstack: {STACK}\nnumbers:\n  pool:\n    country: US\n    count: {n}\n"
        "    label: pool member\n    tags: [bench]\n"
    )
    with serve_in_thread(state_path=workdir / "state.json", latency_ms=latency_ms) as server:
        with OrbitClient(KEY, server.url) as client:
            started = time.perf_counter()
            plan, _, live = build_plan(client, [manifest], parallelism=parallelism, progress=False)
            planned = time.perf_counter()
            result = execute(plan, client, parallelism=parallelism, journal=Journal(workdir / "journal.json"), live=live)
            applied = time.perf_counter()
            on_account = sum(1 for _ in client.iter_numbers())
    if result.failed or on_account != n:
        print(f"P={parallelism}: {len(result.failed)} failed, {on_account} numbers on the account (wanted {n})")
        for outcome in result.failed[:5]:
            print("  ", outcome.message)
        sys.exit(1)
    return planned - started, applied - planned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    n, latency = args.numbers, args.latency_ms / 1000

    print(f"apply: purchase N={n} numbers (POST + PUT each), L={args.latency_ms:g} ms per request")
    print(f"{'P':>4} {'plan s':>8} {'apply s':>9} {'bound s':>8} {'apply/bound':>12}")
    times = {}
    for parallelism in (1, 16):
        with tempfile.TemporaryDirectory() as tmp:
            planning, applying = apply_once(Path(tmp), n, args.latency_ms, parallelism)
        bound = latency + 2 * n * latency / parallelism
        times[parallelism] = applying
        print(f"{parallelism:>4} {planning:>8.2f} {applying:>9.2f} {bound:>8.2f} {applying / bound:>12.2f}")
    print(f"speed-up P=16 over P=1: {times[1] / times[16]:.1f}x")


if __name__ == "__main__":
    main()
