"""How long loading and checking a manifest takes. Prints figures; not a test.

    .venv/bin/python benchmarks/bench_manifest.py [--runs N] [ENTRIES...]

First the load in-process, for each size (default 100, 1000, 10000 entries of six keys each).
Then, for the largest, whole processes in turn: ``orbitctl validate FILE`` against a bare
``python -c 'yaml.load(text, Loader=yaml.CSafeLoader)'`` of the same file (the target: validate
within 2x of it), and ``orbitctl --help`` against ``python -c pass`` (start-up). Each figure is
the median of the runs (CPU is user + sys of the finished process), with the ratio pair by pair.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orbitctl.manifest import load_manifests

BARE_LOAD = "import sys, yaml; yaml.load(open(sys.argv[1]).read(), Loader=yaml.CSafeLoader)"


def manifest(entries: int) -> str:
    """A manifest of ``entries`` entries, six keys each: a third pinned, a third pools, a third
    selections, all with a label, tags, a type and a status."""
    lines = ["version: 1", "stack: bench", "defaults:", "  country: US", "  capabilities: [sms, voice]",
             "  webhook_url: https://hooks.example.com/orbit", "numbers:"]
    for index in range(entries):
        lines += [f"  line-{index}:", f"    label: Line {index}", f"    tags: [team-{index % 7}, bench]",
                  "    type: local", "    status: active"]
        if index % 3 == 0:
            lines += [f'    number: "+1415555{index % 10000:04d}"', "    capabilities: [sms]"]
        elif index % 3 == 1:
            lines += ["    count: 2", '    max_monthly_cost: "2.00"']
        else:
            lines += ['    area_code: "212"', "    forwarding_number: '+14155550111'"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=5, help="whole-process runs of each command (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        load_manifests([_write(Path(folder), 1)], environ={})  # warm up: imports, schema
        for size in args.sizes:
            path = _write(Path(folder), size)
            started = time.perf_counter()
            desired = load_manifests([path], environ={})
            elapsed = time.perf_counter() - started
            print(f"{size:6d} entries ({path.stat().st_size / 1024:7.1f} KiB): {elapsed * 1000:8.1f} ms "
                  f"({elapsed / size * 1e6:6.1f} us/entry), {len(desired.entries)} loaded")
        path = _write(Path(folder), max(args.sizes))
        python = sys.executable
        print(f"\nwhole processes, {args.runs} runs each in turn after one warm-up; {max(args.sizes)} entries:")
        _compare(f"orbitctl validate {path.name}", [python, "-m", "orbitctl", "validate", str(path)],
                 "bare CSafeLoader load", [python, "-c", BARE_LOAD, str(path)], args.runs)
        _compare("orbitctl --help", [python, "-m", "orbitctl", "--help"],
                 "python -c pass", [python, "-c", "pass"], args.runs)


def _compare(name_a: str, command_a: list[str], name_b: str, command_b: list[str], runs: int) -> None:
    _run(command_a), _run(command_b)  # warm up the file cache
    a, b = [], []
    for _ in range(runs):
        a.append(_run(command_a))
        b.append(_run(command_b))
    for name, figures in ((name_a, a), (name_b, b)):
        print(f"  {name:32s} cpu {statistics.median(f[0] for f in figures):6.3f} s   "
              f"wall {statistics.median(f[1] for f in figures):6.3f} s")
    cpu, wall = (statistics.median(x[part] / y[part] for x, y in zip(a, b, strict=True)) for part in (0, 1))
    print(f"  {'ratio (median of pairs)':32s} cpu {cpu:6.2f}x  wall {wall:6.2f}x")


def _run(command: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one whole run of ``command``."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def _write(folder: Path, size: int) -> Path:
    path = folder / f"m{size}.yaml"
    path.write_text(manifest(size))
    return path


if __name__ == "__main__":
    main()
