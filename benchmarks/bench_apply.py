"""Apply a plan purchasing N numbers against the served sandbox, at parallelism 1 and 16.

    .venv/bin/python benchmarks/bench_apply.py [--numbers 500] [--latency-ms 50]

For each parallelism, a fresh sandbox account (`orbitctl sandbox serve` in a process of its own,
so that its work does not share orbitctl's interpreter lock; `--in-thread` serves it in this
process instead), a manifest
with one pool of N numbers, `build_plan` (not timed in the apply figure), then `execute` timed.
Each purchase is a POST and a PUT, so the floor is about 2·N·L/P plus one inventory search.
Prints both times, the bound and the ratio P=1 / P=16, and checks the account holds exactly N
numbers. Run by hand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from orbitctl.account.client import OrbitClient
from orbitctl.apply.executor import execute
from orbitctl.apply.journal import Journal
from orbitctl.pipeline import build_plan
from orbitctl.sandbox.server import serve_in_thread

KEY = "dv_test_sk_benchmark"
STACK = "bench"


@contextlib.contextmanager
def served_sandbox(state: Path, latency_ms: float, *, in_thread: bool) -> Iterator[str]:
    """The URL of a sandbox serving ``state`` with ``latency_ms``, stopped on exit."""
    if in_thread:
        with serve_in_thread(state_path=state, latency_ms=latency_ms) as server:
            yield server.url
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "orbitctl", "sandbox", "serve", "--port", str(port),
        "--state", str(state), "--latency-ms", str(latency_ms), "--quiet",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the sandbox did not start: {process.stderr.read().decode(errors='replace')}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def apply_once(workdir: Path, n: int, latency_ms: float, parallelism: int, *, in_thread: bool) -> tuple[float, float]:
    """(seconds planning, seconds applying) on a fresh account; exits when the result is wrong."""
    manifest = workdir / "numbers.yaml"
    manifest.write_text(
        f"version: 1\nstack: {STACK}\nnumbers:\n  pool:\n    country: US\n    count: {n}\n"
        "    label: pool member\n    tags: [bench]\n"
    )
    with (
        served_sandbox(workdir / "state.json", latency_ms, in_thread=in_thread) as url,
        OrbitClient(KEY, url) as client,
    ):
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
    parser.add_argument("--in-thread", action="store_true", help="serve the sandbox in this process")
    args = parser.parse_args()
    n, latency = args.numbers, args.latency_ms / 1000

    where = "in this process" if args.in_thread else "in its own process"
    print(f"apply: purchase N={n} numbers (POST + PUT each), L={args.latency_ms:g} ms per request, sandbox {where}")
    print(f"{'P':>4} {'plan s':>8} {'apply s':>9} {'bound s':>8} {'apply/bound':>12}")
    times = {}
    for parallelism in (1, 16):
        with tempfile.TemporaryDirectory() as tmp:
            planning, applying = apply_once(Path(tmp), n, args.latency_ms, parallelism, in_thread=args.in_thread)
        bound = latency + 2 * n * latency / parallelism
        times[parallelism] = applying
        ratio = applying / bound if bound else float("nan")
        print(f"{parallelism:>4} {planning:>8.2f} {applying:>9.2f} {bound:>8.2f} {ratio:>12.2f}")
    print(f"speed-up P=16 over P=1: {times[1] / times[16]:.1f}x")


if __name__ == "__main__":
    main()
