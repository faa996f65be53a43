"""How many GET /api/v1/numbers/{id} per second the served sandbox sustains.

    .venv/bin/python benchmarks/bench_sandbox.py [--threads 16] [--seconds 5] [--numbers 200]
        [--latency-ms 0] [--state FILE]

Starts ``orbitctl sandbox serve`` in its own process (``--in-process``: a thread of this one),
with a state file in a temp directory unless --state,
buys --numbers numbers, then --threads client threads (one httpx.Client each) fetch random
numbers for --seconds and the script prints requests/second and latency percentiles.
With ``--overlap`` it also fires 32 requests at once at --latency-ms 50 and prints the wall time,
which is about 50 ms when the latency sleeps overlap (and 1.6 s if they did not).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from orbitctl.sandbox.server import serve_in_thread

KEY = {"X-API-Key": "dv_test_sk_benchmark"}


def buy(url: str, count: int) -> list[str]:
    with httpx.Client(base_url=url, headers=KEY) as client:
        rows = client.get(
            "/api/v1/numbers/available", params={"country": "US", "type": "local", "limit": count}
        ).json()["data"]
        ids = []
        for row in rows:
            response = client.post(
                "/api/v1/numbers/purchase", json={"phone_number": row["number"], "country_code": "US"}
            )
            ids.append(response.json()["data"]["id"])
        return ids


def hammer(url: str, ids: list[str], threads: int, seconds: float) -> tuple[int, list[float], int]:
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(threads)]
    failures = [0] * threads

    def worker(slot: int) -> None:
        rng = random.Random(slot)
        with httpx.Client(base_url=url, headers=KEY) as client:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = client.get(f"/api/v1/numbers/{rng.choice(ids)}")
                latencies[slot].append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures[slot] += 1

    workers = [threading.Thread(target=worker, args=(slot,)) for slot in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    flat = [value for chunk in latencies for value in chunk]
    return len(flat), flat, sum(failures)


def overlap(url: str, parallel: int = 32) -> float:
    """Wall time of ``parallel`` requests fired at once (clients made before the clock starts)."""
    barrier = threading.Barrier(parallel)
    starts: list[float] = []
    ends: list[float] = []

    def one() -> None:
        with httpx.Client(base_url=url, headers=KEY) as client:
            barrier.wait()
            starts.append(time.perf_counter())
            client.get("/api/v1/numbers")
            ends.append(time.perf_counter())

    workers = [threading.Thread(target=one) for _ in range(parallel)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return max(ends) - min(starts)


@contextlib.contextmanager
def served(state: Path, latency_ms: float, in_process: bool) -> Iterator[str]:
    """The sandbox's URL: ``orbitctl sandbox serve`` in its own process (default), or a thread."""
    if in_process:
        with serve_in_thread(state, latency_ms=latency_ms) as server:
            yield server.url
        return
    command = [sys.executable, "-m", "orbitctl", "sandbox", "serve", "--port", "0", "--quiet",
               "--state", str(state), "--latency-ms", str(latency_ms)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = process.stdout.readline()
        url = first.split("listening on ", 1)[1].split()[0]
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--numbers", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--state", type=Path, default=None)
    parser.add_argument("--overlap", action="store_true")
    parser.add_argument("--in-process", action="store_true", help="serve from a thread of this process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        state = args.state or Path(scratch) / "bench.json"
        with served(state, args.latency_ms, args.in_process) as url:
            bought_at = time.perf_counter()
            ids = buy(url, args.numbers)
            buying = time.perf_counter() - bought_at
            count, latencies, failures = hammer(url, ids, args.threads, args.seconds)
        latencies.sort()
        print(
            f"GET /numbers/{{id}}: {count / args.seconds:,.0f} req/s sustained "
            f"({args.threads} client threads, {args.seconds:g} s, {len(ids)} numbers, "
            f"latency-ms {args.latency_ms:g}, {failures} failures, "
            f"server {'in this process' if args.in_process else 'in its own process'})"
        )
        print(
            f"  latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms"
        )
        print(f"POST /numbers/purchase (one client, sequential, state file): {len(ids) / buying:,.0f} purchases/s")
        if args.overlap:
            with served(Path(scratch) / "overlap.json", 50, args.in_process) as url:
                wall = overlap(url)
            print(f"32 parallel requests at --latency-ms 50: {wall * 1000:.0f} ms wall (serial would be 1600 ms)")


if __name__ == "__main__":
    main()
