"""What the client costs on top of the API: the account listing and per-number reads, against the
served sandbox at a given latency, next to the ideal time. Prints figures; not a test.

    .venv/bin/python benchmarks/bench_client.py [--numbers 2000] [--latency-ms 50] [--parallelism 32]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from orbitctl.account.client import OrbitClient
from orbitctl.sandbox.server import serve_in_thread

KEY = "dv_test_sk_bench_0000"


def _seed(url: str, count: int) -> None:
    """Buy ``count`` numbers, one at a time (the file-backed sandbox is the one writer)."""
    with OrbitClient(KEY, url) as client:
        bought = 0
        while bought < count:
            rows = client.search_available("US", type="local", limit=min(500, count - bought))
            for row in rows:
                client.purchase(row.number, country_code="US", inventory_id=row.id)
            bought += len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=32)
    args = parser.parse_args()
    latency = args.latency_ms / 1000.0

    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "sandbox.json"
        with serve_in_thread(state_path=state) as server:
            _seed(server.url, args.numbers)
        with (
            serve_in_thread(state_path=state, latency_ms=args.latency_ms) as server,
            OrbitClient(KEY, server.url) as client,
        ):
            started = time.perf_counter()
            ids = [record.id for record in client.iter_numbers(page_size=200)]
            listing = time.perf_counter() - started
            pages = math.ceil(len(ids) / 200)

            started = time.perf_counter()
            with ThreadPoolExecutor(args.parallelism) as pool:
                details = list(pool.map(client.get_number, ids))
            reading = time.perf_counter() - started

    assert len(details) == len(ids) == args.numbers, (len(details), len(ids), len(set(ids)))
    ideal_list = pages * latency
    ideal_read = math.ceil(len(ids) / args.parallelism) * latency
    print(f"numbers {len(ids)}, latency {args.latency_ms:g} ms, parallelism {args.parallelism}")
    print(f"list   {pages} pages: {listing:.2f} s (ideal {ideal_list:.2f} s, {listing / ideal_list:.2f}x)")
    print(f"detail {len(ids)} reads: {reading:.2f} s (ideal {ideal_read:.2f} s, {reading / ideal_read:.2f}x)")


if __name__ == "__main__":
    main()
