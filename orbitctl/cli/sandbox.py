"""`orbitctl sandbox serve`: the Orbit emulator over HTTP, for curl, tests and benchmarks."""

from __future__ import annotations

import signal

import click

from orbitctl.cli.context import port_days_knob
from orbitctl.cli.options import example
from orbitctl.errors import OrbitctlError


@click.group("sandbox", epilog=example("orbitctl sandbox serve --port 8787 --state sandbox.json"))
def command() -> None:
    """The local Orbit Numbers API emulator (see docs/sandbox.md)."""


@command.command(
    "serve",
    epilog=example("orbitctl sandbox serve --port 8787 --latency-ms 50 &",
                   "ORBIT_API_URL=http://127.0.0.1:8787 ORBIT_API_KEY=dv_test_sk_demo orbitctl plan numbers.yaml"),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--state", "state", type=click.Path(dir_okay=False), default=None,
              help="JSON file keeping the account across restarts (shared safely between processes). "
                   "Default: in memory.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the inventory.")
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Delay every response by this many milliseconds.")
@click.option("--error-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of requests answered 500/503 before any state change.")
@click.option("--rate-limit", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Requests per second; beyond it 429 with Retry-After.")
@click.option("--lose-purchase-responses", default=0, show_default=True, type=click.IntRange(min=0),
              help="Test knob: the first N purchases commit, then answer 503.")
@click.option("--fail-configure", default=0, show_default=True, type=click.IntRange(min=0),
              help="Test knob: the first N PUTs answer 500 without changing anything.")
@click.option("--hold-purchase-ms", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Test knob: every purchase commits, then its response is held this many milliseconds.")
@click.option("--search-limit", default=None, type=click.IntRange(min=1),
              help="Test knob: the most rows one inventory search returns, whatever its limit asks "
                   "(default: the API's cap, 500).")
@click.option("--port-days", default=None, type=click.IntRange(min=0),
              help="Days a porting request takes to complete (0: at once). Default: 14.")
@click.option("--quiet", is_flag=True, help="No access log on stderr.")
def serve(host: str, port: int, state: str | None, seed: int, latency_ms: float, error_rate: float,
          rate_limit: float | None, lose_purchase_responses: int, fail_configure: int, hold_purchase_ms: float,
          search_limit: int | None, port_days: int | None, quiet: bool) -> None:
    """Serve the emulator over HTTP until Ctrl-C."""
    # Imported here: the emulator's server takes 0.3 s to import, which every command would pay.
    from orbitctl.sandbox.server import make_server
    from orbitctl.sandbox.store import StateFileError
    from orbitctl.sandbox.validation import SEARCH_LIMIT_MAX

    if search_limit is not None and search_limit > SEARCH_LIMIT_MAX:
        raise OrbitctlError(
            f"--search-limit {search_limit} is above the API's own cap (allowed: 1 to {SEARCH_LIMIT_MAX})"
        )
    try:
        server = make_server(
            host, port, quiet=quiet, state_path=state, seed=seed, latency_ms=latency_ms,
            error_rate=error_rate, rate_limit=rate_limit,
            lose_purchase_responses=lose_purchase_responses, fail_configure=fail_configure,
            hold_purchase_ms=hold_purchase_ms,
            search_limit=search_limit or SEARCH_LIMIT_MAX,
            **port_days_knob(port_days),
        )
    except OSError as problem:
        raise OrbitctlError(
            f"cannot listen on {host}:{port}: {problem.strerror or problem} (choose another --port)"
        ) from None
    try:
        server.app.store.current()  # a broken state file fails now, not on the first request
    except StateFileError as problem:
        server.server_close()
        raise OrbitctlError(str(problem)) from None
    signal.signal(signal.SIGTERM, _interrupt)
    url = server.url
    try:
        click.echo(f"Orbit sandbox listening on {url} (state: {state or 'in memory'}, seed {seed})")
        click.echo(
            f"Try: curl -H 'X-API-Key: dv_test_sk_demo' "
            f"'{url}/api/v1/numbers/available?country=US&area_code=415&limit=5'"
        )
        click.echo("Press Ctrl-C to stop.", err=True)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
    finally:
        server.server_close()


def _interrupt(signum, frame) -> None:
    """SIGTERM stops the server like Ctrl-C does."""
    raise KeyboardInterrupt
