"""Apply a plan purchasing a pool of N numbers against the served sandbox, at several parallelisms.

    .venv/bin/python benchmarks/bench_apply.py [--numbers 500] [--latency-ms 50] [--parallelism 1,16]
    .venv/bin/python benchmarks/bench_apply.py --numbers 2000 --parallelism 32   # a pool of 2,000

For each parallelism, a fresh sandbox account (`orbitctl sandbox serve` in a process of its own,
so that its work does not share orbitctl's interpreter lock; `--in-thread` serves it in this
process instead), a manifest with one pool of N numbers, `build_plan` (not timed in the apply
figure), then `execute` timed. The bound: each purchase is a POST and a PUT one after the other,
P purchases at a time, so 2·N·L/P, plus one inventory search (L) before the first; the sandbox
shows at most 500 numbers a search, so a pool larger than that is bought in waves, each after a
search of its own (those further searches are the apply's own cost, not in the bound). Prints
the plan and apply times, the bound and apply/bound, the CPU seconds (user + sys) orbitctl's
process spent applying, and checks that the account holds exactly N numbers and that the next
plan is empty; last, the peak resident memory of orbitctl's process (the sandbox's own process
not included; with --in-thread or --floor, the sandbox's inventory, about 100 MB, is in it).

`--whole` times the whole command instead, as a user runs it: `orbitctl apply numbers.yaml
--auto-approve --parallelism P` in a process of its own (the interpreter's start, reading the
manifest, the plan with its inventory searches, the purchases, the read-back for a surplus and
the report all counted), from a fresh Git checkout against a fresh sandbox, `--runs` times,
then the same checks (exactly N numbers, `orbitctl plan --detailed-exitcode` exits 0). The
child runs without PYTHONDONTWRITEBYTECODE, after one `orbitctl --version` to write the
bytecode cache, as on a machine where orbitctl was installed and run before.

A shared machine is often too busy for the bound: `--floor` also times, on a fresh account in the
same run, the same N POST + PUT pairs sent by a bare loop of P threads over one OrbitClient (a
purchase and configure for each of N numbers read from the sandbox's inventory; no plan, search,
journal, waves or read-back), and prints
apply/floor: what orbitctl's apply adds to the requests themselves on this machine, now.
`--raw-floor` times the same pairs sent with the standard library's http.client (one keep-alive
connection a thread, next to no client CPU): what the sandbox and the machine allow at all.
Run by hand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orbitctl.account.api import API_KEY_HEADER, API_PREFIX
from orbitctl.account.client import OrbitClient
from orbitctl.apply.executor import execute
from orbitctl.apply.journal import Journal
from orbitctl.pipeline import build_plan

KEY = "dv_test_sk_benchmark"
STACK = "bench"


@contextlib.contextmanager
def served_sandbox(state: Path | None, latency_ms: float, *, in_thread: bool) -> Iterator[str]:
    """The URL of a sandbox serving ``state`` (None: an account in memory) with ``latency_ms``,
    stopped on exit."""
    if in_thread:
        from orbitctl.sandbox.server import serve_in_thread  # here only: the sandbox's inventory is 100 MB

        with serve_in_thread(state_path=state, latency_ms=latency_ms) as server:
            yield server.url
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "orbitctl", "sandbox", "serve", "--port", str(port),
        "--latency-ms", str(latency_ms), "--quiet", *(["--state", str(state)] if state else []),
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


def apply_once(
    workdir: Path, n: int, latency_ms: float, parallelism: int, *, in_thread: bool, state_file: bool,
    journal_dir: Path | None = None,
) -> tuple[float, float, float]:
    """(seconds planning, seconds applying, CPU seconds applying) on a fresh account; exits when
    the result is wrong."""
    manifest = workdir / "numbers.yaml"
    manifest.write_text(manifest_text(n))
    with (
        served_sandbox(workdir / "state.json" if state_file else None, latency_ms, in_thread=in_thread) as url,
        OrbitClient(KEY, url) as client,
    ):
        started = time.perf_counter()
        plan, _, live = build_plan(client, [manifest], parallelism=parallelism, progress=False)
        planned = time.perf_counter()
        journal = Journal((journal_dir or workdir) / "journal.json")
        cpu = time.process_time()
        result = execute(plan, client, parallelism=parallelism, journal=journal, live=live)
        applied = time.perf_counter()
        cpu = time.process_time() - cpu
        on_account = sum(1 for _ in client.iter_numbers())
        again, _, _ = build_plan(client, [manifest], parallelism=parallelism, progress=False)
    if result.failed or on_account != n or again.has_changes:
        print(f"P={parallelism}: {len(result.failed)} failed, {on_account} numbers on the account (wanted {n}), "
              f"{len(again.actions)} actions in the next plan (wanted 0)")
        for outcome in result.failed[:5]:
            print("  ", outcome.message)
        sys.exit(1)
    return planned - started, applied - planned, cpu


def manifest_text(n: int) -> str:
    return (
        f"version: 1\nstack: {STACK}\nnumbers:\n  pool:\n    country: US\n    count: {n}\n"
        "    label: pool member\n    tags: [bench]\n"
    )


def caching_bytecode() -> dict[str, str]:
    """This environment, with Python writing its bytecode cache (as on most machines)."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def whole_once(workdir: Path, n: int, latency_ms: float, parallelism: int) -> float:
    """Seconds the whole ``orbitctl apply`` process takes on a fresh account; exits when the
    result is wrong."""
    subprocess.run(["git", "init", "-q", str(workdir)], check=True)
    (workdir / "numbers.yaml").write_text(manifest_text(n))
    environ = caching_bytecode()
    orbitctl = [sys.executable, "-m", "orbitctl"]
    with served_sandbox(None, latency_ms, in_thread=False) as url:
        environ.update(ORBIT_API_KEY=KEY, ORBIT_API_URL=url)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*orbitctl, *args], cwd=workdir, env=environ, capture_output=True, text=True)

        started = time.perf_counter()
        applied = run("apply", "numbers.yaml", "--auto-approve", "--parallelism", str(parallelism))
        seconds = time.perf_counter() - started
        again = run("plan", "numbers.yaml", "--detailed-exitcode", "--output", "json")
        with OrbitClient(KEY, url) as client:
            on_account = sum(1 for _ in client.iter_numbers())
    if applied.returncode != 0 or again.returncode != 0 or on_account != n:
        print(f"P={parallelism}: apply exited {applied.returncode}, {on_account} numbers on the account (wanted {n}), "
              f"the next plan exited {again.returncode} (wanted 0)\n{applied.stderr[-2000:]}")
        sys.exit(1)
    return seconds


def floor_once(latency_ms: float, n: int, parallelism: int, *, in_thread: bool, raw: bool = False) -> float:
    """Seconds for N purchases and PUTs sent by P bare threads, on a fresh account: over one
    OrbitClient, or (``raw``) over http.client."""
    with (
        served_sandbox(None, latency_ms, in_thread=in_thread) as url,
        OrbitClient(KEY, url) as client,
    ):
        from orbitctl.sandbox.inventory import Inventory  # imported here: see served_sandbox

        # the numbers for sale, read from the sandbox's own inventory (seed 0): no search needed
        numbers = [row.number for row in Inventory(0).search("US", number_type="local", limit=n)]
        connections = threading.local()
        address = urlsplit(url)
        headers = {API_KEY_HEADER: KEY, "Content-Type": "application/json", "Accept": "application/json"}

        def send(method: str, path: str, body: dict[str, Any]) -> Any:
            if not hasattr(connections, "one"):
                connections.one = http.client.HTTPConnection(address.hostname or "", address.port)
            connections.one.request(method, path, json.dumps(body), headers)
            response = connections.one.getresponse()
            data = response.read()
            if response.status >= 300:
                sys.exit(f"{method} {path}: {response.status} {data[:200]!r}")
            return json.loads(data)["data"]

        def buy(number: str) -> None:
            if raw:
                bought = send("POST", f"{API_PREFIX}/purchase", {"phone_number": number, "country_code": "US"})
                send("PUT", f"{API_PREFIX}/{bought['id']}", {"label": "pool member", "tags": ["bench"]})
                return
            record = client.purchase(number, country_code="US")
            client.configure(record.id, label="pool member", tags=["bench"])

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=parallelism) as pool:
            list(pool.map(buy, numbers))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--parallelism", default="1,16", help="comma-separated parallelisms (default 1,16)")
    parser.add_argument(
        "--journal-dir",
        type=Path,
        help="folder of the purchase journal (default: the run's temporary folder); e.g. /dev/shm to "
        "leave the disk's fsync out of the figure",
    )
    parser.add_argument("--whole", action="store_true", help="time the whole `orbitctl apply` process (see above)")
    parser.add_argument("--runs", type=int, default=1, help="with --whole: runs of each parallelism (median shown)")
    parser.add_argument("--in-thread", action="store_true", help="serve the sandbox in this process")
    parser.add_argument("--floor", action="store_true", help="also time bare POST + PUT pairs (see above)")
    parser.add_argument("--raw-floor", action="store_true", help="also time them over http.client (see above)")
    parser.add_argument(
        "--state-file",
        action="store_true",
        help="keep the sandbox's account in a state file (rewritten whole on every change: at thousands "
        "of numbers the sandbox, not orbitctl, is then the bottleneck); default: in memory",
    )
    args = parser.parse_args()
    n, latency = args.numbers, args.latency_ms / 1000
    parallelisms = [int(value) for value in args.parallelism.split(",")]

    if args.whole:
        whole(args, n, latency, parallelisms)
        return
    where = ("in this process" if args.in_thread else "in its own process") + (
        ", account in a state file" if args.state_file else ", account in memory"
    )
    print(f"apply: purchase a pool of N={n} numbers (POST + PUT each), L={args.latency_ms:g} ms per request, "
          f"sandbox {where}; bound = L + 2*N*L/P")
    floor_head = f" {'floor s':>8} {'apply/floor':>12}" if args.floor else ""
    floor_head += f" {'raw s':>6} {'apply/raw':>10}" if args.raw_floor else ""
    print(f"{'P':>4} {'plan s':>8} {'apply s':>9} {'bound s':>8} {'apply/bound':>12} {'cpu s':>6}{floor_head}")
    times = {}
    for parallelism in parallelisms:
        with tempfile.TemporaryDirectory() as tmp:
            planning, applying, cpu = apply_once(
                Path(tmp), n, args.latency_ms, parallelism, in_thread=args.in_thread, state_file=args.state_file,
                journal_dir=args.journal_dir,
            )
        bound = latency + 2 * n * latency / parallelism
        times[parallelism] = applying
        ratio = applying / bound if bound else float("nan")
        floor_row = ""
        if args.floor:
            floor = floor_once(args.latency_ms, n, parallelism, in_thread=args.in_thread)
            floor_row = f" {floor:>8.2f} {applying / floor:>12.2f}"
        if args.raw_floor:
            floor = floor_once(args.latency_ms, n, parallelism, in_thread=args.in_thread, raw=True)
            floor_row += f" {floor:>6.2f} {applying / floor:>10.2f}"
        print(f"{parallelism:>4} {planning:>8.2f} {applying:>9.2f} {bound:>8.2f} {ratio:>12.2f} {cpu:>6.2f}{floor_row}")
    print(f"account: exactly {n} numbers after each apply; the next plan was empty")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS of orbitctl's process: {peak:.0f} MB")
    if len(parallelisms) > 1:
        first, last = parallelisms[0], parallelisms[-1]
        print(f"speed-up P={last} over P={first}: {times[first] / times[last]:.1f}x")


def whole(args: argparse.Namespace, n: int, latency: float, parallelisms: list[int]) -> None:
    subprocess.run([sys.executable, "-m", "orbitctl", "--version"], check=True, capture_output=True,
                   env=caching_bytecode())
    print(f"whole `orbitctl apply` of a pool of N={n} numbers (POST + PUT each), L={args.latency_ms:g} ms per "
          f"request, sandbox in its own process; bound = L + 2*N*L/P; median of {args.runs} run(s)")
    raw_head = f" {'raw s':>6} {'whole/raw':>10}" if args.raw_floor else ""
    print(f"{'P':>4} {'whole s':>8} {'bound s':>8} {'whole/bound':>12}{raw_head}   runs")
    for parallelism in parallelisms:
        runs, raws = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(whole_once(Path(tmp), n, args.latency_ms, parallelism))
            if args.raw_floor:
                raws.append(floor_once(args.latency_ms, n, parallelism, in_thread=False, raw=True))
        bound = latency + 2 * n * latency / parallelism
        seconds = statistics.median(runs)
        raw_row = ""
        if raws:
            ratios = [one / raw for one, raw in zip(runs, raws, strict=True)]  # pair by pair
            raw_row = f" {statistics.median(raws):>6.2f} {statistics.median(ratios):>10.2f}"
        listed = " ".join(f"{one:.2f}" for one in runs)
        print(f"{parallelism:>4} {seconds:>8.2f} {bound:>8.2f} {seconds / bound:>12.2f}{raw_row}   {listed}")
    print(f"account: exactly {n} numbers after each apply; the next plan was empty")


if __name__ == "__main__":
    main()
