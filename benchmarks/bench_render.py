"""Time the renderings and the plan file on a large plan: python benchmarks/bench_render.py [N].

Prints seconds per operation for N update actions (default 10,000) with nested channel_config
changes and secrets to mask. Not collected by pytest."""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Change, Plan
from orbitctl.planfile import load_plan, save_plan
from orbitctl.render.markdown import render_plan_markdown
from orbitctl.render.plan_json import render_plan_json
from orbitctl.render.text import render_plan


def big_plan(size: int) -> Plan:
    actions = tuple(
        Action(
            kind=ActionKind.UPDATE,
            name=f"entry-{index}",
            id=f"num_{index:08d}",
            number=f"+1415{index:07d}",
            changes=(
                Change("label", f"old {index}", f"new {index}"),
                Change("webhook_url", "https://h.example.com/in?token=a", "https://h.example.com/in?token=b"),
                Change("channel_config", freeze({"sms": {"rate": 1, "api_key": "x"}}),
                       freeze({"sms": {"rate": 2, "api_key": "y"}, "voice": {"record": True}})),
            ),
            live_fingerprint="0" * 64,
        )
        for index in range(size)
    )
    return Plan(stack="bench", actions=actions, unchanged=0, monthly_cost_delta=Decimal("0"),
                managed=size, desired_fingerprint="0" * 64)


def timed(label: str, run) -> None:
    """Time one run, then measure its peak Python allocation in a second (tracemalloc slows it)."""
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = f"{len(result):>10,} chars" if isinstance(result, str) else ""
    print(f"{label:<15} {elapsed:7.3f} s  peak {peak / 2**20:6.1f} MiB  {size}")


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    plan = big_plan(size)
    print(f"{size:,} update actions")
    timed("text", lambda: render_plan(plan, color=False))
    timed("text (colour)", lambda: render_plan(plan, color=True))
    timed("json", lambda: render_plan_json(plan))
    timed("markdown", lambda: render_plan_markdown(plan))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "plan.json"
        timed("planfile save", lambda: save_plan(plan, path))
        timed("planfile load", lambda: load_plan(path))
        assert load_plan(path) == plan


if __name__ == "__main__":
    main()
