"""Where observing the account spends its CPU, per request, by layer.

    .venv/bin/python benchmarks/profile_observe.py [--numbers 2000] [--parallelism 16]
        [--top 20] [--state PATH]

Seeds N numbers (as bench_observe.py does; kept in --state), starts `orbitctl sandbox serve` with
no latency as a process of its own, then runs ``observe()`` in this process against it: once
plainly, for the CPU time per request (the whole process, all threads), and once under cProfile
in every thread (each thread's CPU time), for the self time per request of each layer:
connections (orbitctl/account/transport.py and the socket calls), JSON parsing, the client
(request building, envelope checks, records), freezing, the model (observe.live_number), the
threads (observe's workers and queues) and the rest. A C function's time (isinstance, str.lower, ...) is
counted in the layer of its callers, in proportion. Profiling slows Python calls more than C
ones, so the shares lean towards the layers that make many small calls; the plain run's figure
is the one to quote. Prints figures; run by hand, never part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_observe import KEY, serve

#: (layer, a piece of the file path or C function name that puts a function in it), first match.
LAYERS = [
    ("connections", ("account/transport.py", "socket", "select.poll", "_io.BufferedReader", "socket.py")),
    ("JSON parsing", ("json/", "json.decoder")),
    ("freezing", ("orbitctl/frozen.py",)),
    ("model (live_number)", ("account/observe.py", "orbitctl/model.py")),  # observe() itself: threads
    ("client (requests, records)", ("account/client.py", "account/api.py", "urllib/parse.py")),
    ("threads", ("concurrent/futures", "threading.py", "_thread.lock", "queue.py")),
]


#: The functions of observe.py that build the model; the others hand out and wait for details.
MODEL = {"live_number", "split_ownership", "_webhook", "_decimal"}


def layer_of(function: tuple[str, int, str]) -> str | None:
    """The layer of a profiled function; None for a C function (the caller's layer counts)."""
    filename, _line, name = function
    if filename.endswith("account/observe.py") and name not in MODEL:
        return "threads"  # observe() and its worker threads: asking for details, waiting for them
    where = name if filename == "~" else filename
    for layer, marks in LAYERS:
        if any(mark in where for mark in marks):
            return layer
    return None if filename == "~" else "other"


def by_layer(stats: pstats.Stats) -> dict[str, float]:
    """Self time per layer; a C function's split among its callers' layers by their share."""
    totals: dict[str, float] = defaultdict(float)
    table = stats.stats
    for function, (_cc, _nc, self_time, _cum, callers) in table.items():
        layer = layer_of(function)
        if layer is not None or not callers:
            totals[layer or "other"] += self_time
            continue
        share = sum(caller[2] for caller in callers.values()) or 1.0
        for caller, (_c, _n, caller_time, _t) in callers.items():
            totals[layer_of(caller) or "other"] += self_time * caller_time / share
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=2000)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--top", type=int, default=20, help="also print the N functions of most self time")
    parser.add_argument("--state", type=Path, help="keep the seeded account here (reused when it exists)")
    args = parser.parse_args()

    from orbitctl.account.client import OrbitClient
    from orbitctl.account.observe import observe

    with tempfile.TemporaryDirectory() as tmp:
        state = args.state or Path(tmp) / "state.json"
        bench = Path(__file__).with_name("bench_observe.py")
        subprocess.run([sys.executable, str(bench), "--seed-only", "--numbers", str(args.numbers),
                        "--state", str(state)], check=True)
        server, url = serve(state, 0)
        try:
            with OrbitClient(KEY, url) as client:
                live = observe(client, parallelism=args.parallelism)  # warm: connections, imports
                requests = len(live.numbers) + -(-len(live.numbers) // 200)
                started = time.process_time()
                observe(client, parallelism=args.parallelism)
                plain = (time.process_time() - started) / requests

                profiles: list[cProfile.Profile] = []

                def per_thread(*_: object) -> None:
                    sys.setprofile(None)
                    profile = cProfile.Profile(time.thread_time)
                    profiles.append(profile)
                    profile.enable()

                threading.setprofile(per_thread)
                main_profile = cProfile.Profile(time.thread_time)
                main_profile.enable()
                observe(client, parallelism=args.parallelism)
                main_profile.disable()
                threading.setprofile(None)
        finally:
            server.terminate()
            server.wait()

    stats = pstats.Stats(main_profile)
    for profile in profiles:
        stats.add(profile)
    totals = by_layer(stats)
    profiled = sum(totals.values()) / requests
    print(f"{len(live.numbers)} numbers, {requests} requests, parallelism {args.parallelism}")
    print(f"CPU per request, not profiled: {plain * 1e3:.3f} ms (the whole process)")
    print(f"CPU per request, profiled:     {profiled * 1e3:.3f} ms, of which (self time, callers' C calls included):")
    for layer, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {layer:<28} {seconds / requests * 1e3:6.3f} ms  {seconds / sum(totals.values()):4.0%}")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
