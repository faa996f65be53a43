"""`export` on a large account: the pure Live -> manifest step, then loading and planning its output.

    .venv/bin/python benchmarks/bench_export.py [--numbers 20000]

Builds N unmanaged numbers of varied configuration in memory (no HTTP: reading the account is
`observe`, measured by bench_plan.py), times `export_manifest`, then `load_manifests` and the
planner on the result, and checks the plan is adopts only. Run by hand; never part of the tests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from orbitctl.account.api import NumberRecord
from orbitctl.account.observe import live_number
from orbitctl.export import export_manifest
from orbitctl.manifest import load_manifests
from orbitctl.model import ActionKind, Live
from orbitctl.plan.planner import plan

LABELS = ["Support", "Sales", "Billing desk", "On-call", "", "Café Zürich"]


def account(count: int) -> Live:
    numbers = []
    for index in range(count):
        area = 201 + index // 10_000
        fields = {
            "country": "US",
            "type": "local",
            "label": LABELS[index % len(LABELS)],
            "capabilities": ["sms", "voice"] if index % 4 else ["sms"],
            "status": "inactive" if index % 11 == 0 else "active",
            "tags": ["support"] if index % 3 == 0 else [],
            "sms_webhook_url": "https://hooks.example.com/in" if index % 10 < 7 else None,
            "voice_webhook_url": "https://hooks.example.com/in" if index % 10 < 7 else None,
            "forwarding_number": "+14155550111" if index % 5 == 0 else "",
            "sms_forwarding": "",
            "compliance_profile_id": None,
            "channel_config": {},
            "monthly_cost": "1.50",
            "currency": "USD",
            "created_at": "2026-01-01T00:00:00Z",
        }
        number = f"+1{area}555{index % 10_000:04d}"
        numbers.append(live_number(NumberRecord(id=f"num_{index:08d}", number=number, fields=fields)))
    return Live(numbers=tuple(numbers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=20_000)
    count = parser.parse_args().numbers
    live = account(count)

    started = time.process_time()
    result = export_manifest(live, "bench", include_unmanaged=True)
    export_cpu = time.process_time() - started
    tracemalloc.start()  # a second run, traced (tracing slows it), for the memory figure
    export_manifest(live, "bench", include_unmanaged=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "numbers.yaml"
        path.write_text(result.text, encoding="utf-8")
        started = time.process_time()
        desired = load_manifests([path], environ={})
        load_cpu = time.process_time() - started
    started = time.process_time()
    planned = plan(desired, live)
    plan_cpu = time.process_time() - started
    kinds = {action.kind for action in planned.actions}
    assert kinds == {ActionKind.ADOPT} and len(planned.actions) == count, kinds

    print(f"numbers: {count}, entries: {result.entries}, manifest: {len(result.text) / 1e6:.1f} MB")
    print(f"export_manifest: {export_cpu:.2f} s CPU; peak {peak / 1e6:.0f} MB allocated while exporting")
    print(f"load_manifests of the export: {load_cpu:.2f} s CPU")
    print(f"plan of the export: {plan_cpu:.2f} s CPU, {len(planned.actions)} adopts, nothing else")


if __name__ == "__main__":
    main()
