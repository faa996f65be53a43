"""Observing a large account from outside: `orbitctl plan` as a process against `sandbox serve`.

    .venv/bin/python benchmarks/bench_observe.py [--numbers 10000] [--latency-ms 50]
        [--parallelism 32 64] [--repeat 2] [--state PATH]

Seeds N managed numbers (one pool of this stack) through the API (sandbox in a thread, no
latency; kept in --state, so a second run skips it), then starts `orbitctl sandbox serve` as a
process of its own and runs `orbitctl plan` as a process against it:

- at --latency-ms, once per parallelism P: wall time next to the round-trip bound
  ceil(N/200)·L + N·L/P (list pages one after another, then the details P at a time). Target:
  each within 1.15× the bound;
- at no latency: orbitctl's CPU time (user + sys of the plan process), per 1,000 numbers. Target:
  at most 0.4 s;
- the peak RSS of every plan process. Target: under 300 MB at N=10,000;
- the CPU the sandbox used meanwhile (on a machine with few cores a busy sandbox shows in the
  plan's wall time).

The plan must be empty (the manifest matches the account): the figures are those of observing.
With --vs DIR, every plan is also run with orbitctl imported from DIR (another checkout, e.g.
main's), alternating, and the CPU ratio of the two is printed pair by pair. This script imports
no orbitctl itself (seeding runs in a child process), so that a child's peak RSS is its own.
Prints figures (and the machine's load, since the processes share its cores); run by hand, never
part of the test suite.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KEY = "dv_test_sk_benchmark"
STACK = "bench"
POOL = "pool"
ORBITCTL = [sys.executable, "-m", "orbitctl"]
#: Byte code of a --vs checkout goes here, not into that checkout.
PYCACHE = os.path.join(tempfile.gettempdir(), "bench-observe-pycache")


def seed(url: str, count: int) -> None:
    from orbitctl.account.client import OrbitClient
    from orbitctl.model import ownership_tag

    tag = ownership_tag(STACK, POOL)
    with OrbitClient(KEY, url) as client:
        have = sum(1 for _ in client.iter_numbers(page_size=200))
        while have < count:
            rows = client.search_available("US", type="local", limit=500)
            batch = [row.number for row in rows[: count - have]]
            if not batch:
                sys.exit("the sandbox inventory ran dry while seeding")

            def buy(number: str) -> None:
                record = client.purchase(number, country_code="US")
                client.configure(record.id, label="pool member", tags=[tag])

            with ThreadPoolExecutor(16) as pool:
                list(pool.map(buy, batch))
            have += len(batch)


def serve(state: Path, latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    """`orbitctl sandbox serve` on a free port, as a process of its own; (process, URL)."""
    server = subprocess.Popen(
        [*ORBITCTL, "sandbox", "serve", "--port", "0", "--state", str(state), "--latency-ms", str(latency_ms),
         "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    found = re.search(r"listening on (http://\S+)", line)
    if not found:
        server.kill()
        sys.exit(f"sandbox serve did not start: {line!r}")
    return server, found.group(1)


def measure(url: str, manifest: Path, parallelism: int, pythonpath: str | None) -> tuple[float, float, float]:
    """(wall s, CPU s user+sys, peak RSS MB) of one `orbitctl plan` process, which must find
    nothing to change."""
    env = {**os.environ, "ORBIT_API_URL": url, "ORBIT_API_KEY": KEY, "PYTHONPYCACHEPREFIX": PYCACHE}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    started = time.perf_counter()
    process = subprocess.Popen(
        [*ORBITCTL, "plan", str(manifest), "--parallelism", str(parallelism)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        cwd=manifest.parent,  # not this checkout: `-m orbitctl` would import it before PYTHONPATH's
    )
    assert process.stdout is not None and process.stderr is not None
    with ThreadPoolExecutor(2) as pool:  # read the output without reaping: wait4 gets the rusage
        out, err = pool.submit(process.stdout.read), pool.submit(process.stderr.read)
        output, errors = out.result(), err.result()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"orbitctl plan failed: {errors.strip()[-500:]}")
    if "unchanged" not in output or "to purchase" in output or "to release" in output:
        sys.exit(f"the plan is not empty:\n{output[:2000]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def cpu_of(pid: int) -> float:
    """CPU seconds (user + sys) a running process has used so far; NaN where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--parallelism", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--state", type=Path, help="keep the seeded account here (reused when it exists)")
    parser.add_argument("--vs", metavar="DIR", help="also run orbitctl imported from DIR, alternating")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = args.numbers

    with tempfile.TemporaryDirectory() as tmp:
        state = args.state or Path(tmp) / "state.json"
        if args.seed_only:
            server, url = serve(state, 0)
            try:
                seed(url, n)
            finally:
                server.terminate()
                server.wait()
            return
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--seed-only", "--numbers", str(n), "--state", str(state)],
                       check=True)
        print(f"seeded {n} numbers in {time.perf_counter() - started:.1f} s ({state})")
        manifest = Path(tmp) / "numbers.yaml"
        manifest.write_text(
            f"version: 1\nstack: {STACK}\nnumbers:\n  {POOL}:\n    country: US\n    label: pool member\n"
            f"    count: {n}\n"
        )
        print(f"load average before: {load()} on {os.cpu_count()} cores")
        print(f"{'code':>5} {'L ms':>5} {'P':>3} {'wall s':>7} {'bound s':>8} {'ratio':>6} {'CPU s':>6} "
              f"{'CPU s/1000':>10} {'peak MB':>8} {'server CPU s':>12}")
        codes = [("this", None)] + ([("vs", args.vs)] if args.vs else [])
        runs = [(args.latency_ms, p) for p in args.parallelism] + [(0.0, max(args.parallelism))]
        for latency_ms, parallelism in runs:
            server, url = serve(state, latency_ms)
            try:
                for _ in range(args.repeat):
                    cpus = []
                    for name, pythonpath in codes:
                        served = cpu_of(server.pid)
                        wall, cpu, peak = measure(url, manifest, parallelism, pythonpath)
                        served = cpu_of(server.pid) - served
                        cpus.append(cpu)
                        bound = math.ceil(n / 200) * latency_ms / 1000 + n * latency_ms / 1000 / parallelism
                        ratio = f"{wall / bound:>6.2f}" if bound else f"{'-':>6}"
                        print(f"{name:>5} {latency_ms:>5g} {parallelism:>3} {wall:>7.2f} {bound:>8.2f} {ratio} "
                              f"{cpu:>6.2f} {cpu / n * 1000:>10.3f} {peak:>8.0f} {served:>12.2f}", flush=True)
                    if len(cpus) == 2:
                        print(f"{'':>5} CPU this/vs: {cpus[0] / cpus[1]:.2f}")
            finally:
                server.terminate()
                server.wait()
        print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
