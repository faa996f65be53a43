"""`orbitctl sandbox serve`: prints its URL, serves the API, stops cleanly on Ctrl-C, and reports
user errors without a traceback."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
from collections.abc import Iterator

import httpx
from click.testing import CliRunner

from orbitctl.cli import cli
from tests.processes import orbitctl_process

KEY = {"X-API-Key": "dv_test_sk_cli"}


@contextlib.contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """``orbitctl sandbox serve --port 0 ARGS`` and its URL; killed when the block ends."""
    with orbitctl_process("sandbox", "serve", "--port", "0", *args) as process:
        line = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line + process.stderr.read()
        yield process, line.split("listening on ", 1)[1].split()[0]


def test_serve_prints_its_url_serves_and_stops_on_ctrl_c(tmp_path):
    state = tmp_path / "cli.json"
    with serving("--state", str(state), "--seed", "3", "--latency-ms", "1") as (process, url):
        with httpx.Client(base_url=url, headers=KEY) as client:
            rows = client.get("/api/v1/numbers/available", params={"country": "US", "limit": 1}).json()["data"]
            assert client.post("/api/v1/numbers/purchase", json={"phone_number": rows[0]["number"]}).status_code == 201
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Stopped." in err and "Traceback" not in err
    assert "POST /api/v1/numbers/purchase" in err  # the access log (no --quiet)
    assert "dv_test_sk_cli" not in err
    assert state.exists()


def test_serve_stops_cleanly_on_sigterm():
    with serving("--quiet") as (process, _url):
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 0 and "Traceback" not in err


def test_a_busy_port_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_a_corrupt_state_file_is_a_clear_error(tmp_path):
    state = tmp_path / "broken.json"
    state.write_text("[1, 2")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", "--state", str(state)])
    assert result.exit_code == 1
    assert str(state) in result.output and "Traceback" not in result.output


def test_knob_values_are_checked():
    for args in (["--error-rate", "2"], ["--latency-ms", "-5"], ["--rate-limit", "0"], ["--fail-configure", "-1"]):
        result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", *args])
        assert result.exit_code == 1, args  # SPEC section 4: every error exits 1
        assert "Invalid value" in result.output
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", "--search-limit", "501"])
    assert result.exit_code == 1
    assert "--search-limit 501 is above the API's own cap (allowed: 1 to 500)" in result.output


def test_help_lists_every_knob():
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--help"])
    for option in ("--host", "--port", "--state", "--seed", "--latency-ms", "--error-rate", "--rate-limit",
                   "--lose-purchase-responses", "--fail-configure", "--search-limit"):
        assert option in result.output


def test_malformed_http_gets_the_error_envelope(sandbox_server):
    server = sandbox_server()
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"BREW /api/v1/numbers HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b""
        while chunk := raw.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 501")
    assert json.loads(body)["error"]["code"] == "not_implemented"


def test_serve_port_days_0_completes_ports_at_once():
    request = {"numbers": ["+14155551234"], "current_carrier": "Acme", "authorization_name": "J D"}
    with serving("--quiet", "--port-days", "0") as (process, url):
        with httpx.Client(base_url=url, headers=KEY) as client:
            port = client.post("/api/v1/numbers/porting", json=request).json()["data"]
            listed = client.get("/api/v1/numbers").json()["data"]
        process.terminate()
        process.communicate(timeout=10)
    assert port["status"] == "completed"
    assert [item["number"] for item in listed] == ["+14155551234"]
