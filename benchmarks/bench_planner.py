"""The planner alone on 100,000 desired x 100,000 live numbers: CPU seconds and peak memory.

    .venv/bin/python benchmarks/bench_planner.py [--numbers 100000]

Targets (issue 4): <= 2 s CPU and <= 300 MB peak memory. The account is mostly unchanged, with 1%
label drift (updates), 1.5% missing numbers (purchases), 0.5% numbers of entries that left the
manifest (releases), 1% unmanaged or foreign numbers, 1% of the numbers in 10-member pools (one
short, one with a surplus), half the entries with an area code. Printed: plan() CPU time
(time.process_time, best of 3), the peak of memory allocated while planning (tracemalloc, a
separate run since tracing slows Python down), and the process's peak RSS (inputs included).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from decimal import Decimal

from orbitctl.frozen import freeze
from orbitctl.model import Desired, DesiredEntry, Live, LiveNumber, Owner, Selection
from orbitctl.plan.planner import plan

STACK = "prod"
POOL_SIZE = 10


def config(i: int) -> dict:
    return {
        "label": f"Line {i}",
        "status": "active",
        "capabilities": ("sms", "voice"),
        "tags": ("support", f"team-{i % 7}"),
        "webhook_url": "https://hooks.example.com/orbit/inbound",
        "forwarding_number": "",
    }


def number(i: int) -> str:
    return f"+1{415 if i % 2 else 212}{i:07d}"


def build(n: int) -> tuple[Desired, Live]:
    pools = n // 100 // POOL_SIZE  # 1% of the numbers in pools
    singles = n - pools * POOL_SIZE
    missing = 3 * n // 200  # purchases
    drifted = n // 100  # updates
    dropped = n // 200  # releases
    selection_415 = Selection(country="US", area_code="415", capabilities=("sms", "voice"))
    selection_any = Selection(country="US", capabilities=("sms", "voice"))
    entries: dict[str, DesiredEntry] = {}
    numbers: list[LiveNumber] = []

    def live(i: int, owner: Owner | None, cfg: dict) -> LiveNumber:
        return LiveNumber(
            id=f"num_{i:08d}",
            number=number(i),
            country="US",
            type="local",
            status="active",
            monthly_cost=Decimal("1.00"),
            currency="USD",
            created_at=f"2026-01-01T00:00:{i % 60:02d}Z",
            config=freeze(cfg),
            owner=owner,
        )

    for i in range(singles):
        name = f"line-{i}"
        cfg = config(i)
        entries[name] = DesiredEntry(
            name=name,
            selection=selection_415 if i % 2 else selection_any,
            config=freeze(cfg),
        )
        if i < missing:
            continue
        live_cfg = dict(cfg, label="drifted") if i < missing + drifted else cfg
        numbers.append(live(i, Owner(STACK, name), live_cfg))
    serial = singles
    for p in range(pools):
        name = f"pool-{p}"
        cfg = config(p)
        entries[name] = DesiredEntry(
            name=name, selection=selection_any, config=freeze(cfg), count=POOL_SIZE, is_pool=True
        )
        members = POOL_SIZE - 1 if p == 0 else POOL_SIZE + 1 if p == 1 else POOL_SIZE
        for _ in range(members):
            numbers.append(live(serial, Owner(STACK, name), cfg))
            serial += 1
    for j in range(dropped):
        numbers.append(live(serial, Owner(STACK, f"gone-{j}"), config(j)))
        serial += 1
    extra = n - len(numbers)  # unmanaged and foreign numbers fill the account to n
    for j in range(extra):
        numbers.append(live(serial, None if j % 2 else Owner("staging", f"x-{j}"), config(j)))
        serial += 1
    return Desired(stack=STACK, entries=entries, fingerprint="bench"), Live(numbers=tuple(numbers))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    desired, live = build(args.numbers)
    desired_count = sum(entry.count for entry in desired.entries.values())
    print(f"desired numbers: {desired_count:,}  live numbers: {len(live.numbers):,}")

    cpu = []
    for _ in range(args.repeat):
        gc.collect()
        start = time.process_time()
        result = plan(desired, live)
        cpu.append(time.process_time() - start)
    counts = {kind.value: result.count(kind) for kind in sorted({a.kind for a in result.actions})}
    print(f"actions: {counts}  unchanged: {result.unchanged:,}")
    print(
        f"managed {result.managed:,}, unmanaged {result.unmanaged:,}, foreign {result.foreign:,}"
    )

    gc.collect()
    tracemalloc.start()
    plan(desired, live)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    best = min(cpu)
    print(f"plan() CPU: best {best:.3f} s of {', '.join(f'{c:.3f}' for c in cpu)}  (target <= 2 s)")
    print(f"plan() peak allocated (tracemalloc): {traced_peak / 2**20:.1f} MiB  (target <= 300 MB)")
    print(f"process peak RSS, inputs included: {maxrss_kib / 1024:.1f} MiB")
    return 0 if best <= 2.0 and traced_peak <= 300 * 10**6 else 1


if __name__ == "__main__":
    sys.exit(main())
