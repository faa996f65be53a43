"""How long loading and checking a manifest takes, by size. Prints figures; not a test.

    .venv/bin/python benchmarks/bench_manifest.py [ENTRIES...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from orbitctl.manifest import load_manifests


def manifest(entries: int) -> str:
    lines = ["version: 1", "stack: bench", "defaults:", "  country: US", "  capabilities: [sms, voice]",
             "  webhook_url: https://hooks.example.com/orbit", "numbers:"]
    for index in range(entries):
        lines += [f"  line-{index}:", f"    label: Line {index}", f"    tags: [team-{index % 7}, bench]"]
        if index % 3 == 0:
            lines.append(f'    number: "+1415555{index % 10000:04d}"')
        elif index % 3 == 1:
            lines += ["    count: 2", '    max_monthly_cost: "2.00"']
        else:
            lines += ['    area_code: "212"', "    forwarding_number: '+14155550111'"]
    return "\n".join(lines) + "\n"


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        load_manifests([_write(Path(folder), 1)], environ={})  # warm up: imports, schema
        for size in sizes:
            path = _write(Path(folder), size)
            started = time.perf_counter()
            desired = load_manifests([path], environ={})
            elapsed = time.perf_counter() - started
            print(f"{size:6d} entries ({path.stat().st_size / 1024:7.1f} KiB): {elapsed * 1000:8.1f} ms "
                  f"({elapsed / size * 1e6:6.1f} us/entry), {len(desired.entries)} loaded")


def _write(folder: Path, size: int) -> Path:
    path = folder / f"m{size}.yaml"
    path.write_text(manifest(size))
    return path


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [100, 1000, 10000])
