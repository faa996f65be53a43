"""Plan for N managed numbers against the served sandbox, at parallelism 1 and 32.

    .venv/bin/python benchmarks/bench_plan.py [--numbers 2000] [--latency-ms 50]

Seeds N numbers (pools of at most POOL_SIZE, this stack's) by direct API calls at latency 0, restarts the sandbox
with the latency, then times `build_plan` at P=1 and P=32 next to the bound
ceil(N/200)·L + N·L/P (sequential list pages, then details P at a time). Target: ≤ 1.3× the bound
at P=32. Run by hand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from orbitctl.account.client import OrbitClient
from orbitctl.model import ownership_tag
from orbitctl.pipeline import build_plan
from orbitctl.sandbox.server import serve_in_thread

KEY = "dv_test_sk_benchmark"
STACK = "bench"
#: The manifest allows at most 1000 numbers a pool.
POOL_SIZE = 1000


def pool_name(index: int) -> str:
    return f"pool-{index // POOL_SIZE}"


def seed(url: str, count: int) -> None:
    with OrbitClient(KEY, url) as client:
        bought = 0
        while bought < count:
            rows = client.search_available("US", type="local", limit=500)
            batch = [row.number for row in rows[: count - bought]]
            if not batch:
                sys.exit("the sandbox inventory ran dry while seeding")

            def buy(item: tuple[int, str]) -> None:
                index, number = item
                record = client.purchase(number, country_code="US")
                tag = ownership_tag(STACK, pool_name(index))
                client.configure(record.id, label="pool member", tags=[tag])

            with ThreadPoolExecutor(16) as pool:
                list(pool.map(buy, enumerate(batch, start=bought)))
            bought += len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    n, latency = args.numbers, args.latency_ms / 1000

    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.json"
        manifest = Path(tmp) / "numbers.yaml"
        pools = {pool_name(index) for index in range(n)}
        manifest.write_text(
            f"version: 1\nstack: {STACK}\nnumbers:\n"
            + "".join(
                f"  {name}:\n    country: US\n    label: pool member\n"
                f"    count: {sum(1 for i in range(n) if pool_name(i) == name)}\n"
                for name in sorted(pools)
            )
        )
        started = time.perf_counter()
        with serve_in_thread(state_path=state) as server:
            seed(server.url, n)
        print(f"seeded {n} numbers in {time.perf_counter() - started:.1f} s")

        with serve_in_thread(state_path=state, latency_ms=args.latency_ms) as server:
            print(f"N={n} L={args.latency_ms:g} ms")
            print(f"{'P':>4} {'seconds':>9} {'bound':>8} {'ratio':>6} {'actions':>8}")
            for parallelism in (1, 32):
                with OrbitClient(KEY, server.url) as client:
                    started = time.perf_counter()
                    plan, _, live = build_plan(
                        client, [manifest], parallelism=parallelism, progress=False
                    )
                    elapsed = time.perf_counter() - started
                bound = math.ceil(n / 200) * latency + n * latency / parallelism
                assert len(live.numbers) == n, len(live.numbers)
                print(
                    f"{parallelism:>4} {elapsed:>9.2f} {bound:>8.2f} "
                    f"{elapsed / bound:>6.2f} {len(plan.actions):>8}"
                )


if __name__ == "__main__":
    main()
