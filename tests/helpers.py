"""Helpers shared by the tests: run the CLI in-process, write a manifest, read what a served
sandbox holds (its numbers and its audit log of state-changing requests), and talk to a sandbox
app in this process."""

from __future__ import annotations

from pathlib import Path

import httpx
from click.testing import CliRunner

from orbitctl.cli import cli
from orbitctl.model import ownership_tag
from orbitctl.sandbox.app import create_app
from orbitctl.sandbox.store import read_state
from tests.conftest import TEST_API_KEY

STACK = "prod"
CHANGING_METHODS = {"POST", "PUT", "DELETE"}


def run(*args: str, input: str | None = None):
    """``orbitctl ARGS...`` in-process; an exception the CLI does not handle fails the test."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def write_manifest(path: Path, numbers: str, *, extra: str = "") -> Path:
    path.write_text(f"version: 1\nstack: {STACK}\nnumbers:\n{numbers}{extra}")
    return path


def account(server) -> dict[str, dict]:
    """Every number on the sandbox account, by id, as the sandbox stores it."""
    return dict(read_state(server.state_path)["numbers"])


def owned(server, name: str) -> list[dict]:
    tag = ownership_tag(STACK, name)
    return [fields for fields in account(server).values() if tag in (fields.get("tags") or [])]


def audit(server) -> list[dict]:
    return list(read_state(server.state_path)["audit"])


def changing_requests(server, since: int = 0) -> list[dict]:
    return [entry for entry in audit(server)[since:] if entry["method"] in CHANGING_METHODS]


def purchases(server) -> list[dict]:
    """Every purchase that committed (the audit records commits only; a lost response included)."""
    return [entry for entry in audit(server) if entry["method"] == "POST" and entry["path"].endswith("/purchase")]


def porting_requests(server) -> list[dict]:
    """Every porting request the sandbox accepted (the audit keeps no body: it may hold a PIN)."""
    return [entry for entry in audit(server) if entry["method"] == "POST" and entry["path"].endswith("/porting")]


def plan_is_empty(manifest: Path) -> bool:
    result = run("plan", str(manifest), "--detailed-exitcode")
    assert result.exit_code in (0, 2), result.output + result.stderr
    return result.exit_code == 0


def sandbox_api(state_path: Path | None = None, **knobs) -> httpx.Client:
    """An HTTP client of a fresh sandbox app in this process (WSGI, no socket), the way
    ``orbitctl --sandbox`` reaches it; the app is ``client.app``. ``state_path=None``: in memory."""
    app = create_app(state_path, **knobs)
    client = httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://sandbox", headers={"X-API-Key": TEST_API_KEY}
    )
    client.app = app
    return client
