"""Fixtures shared by the whole suite. Tests are hermetic: the only network is loopback to a
sandbox they start themselves."""

from __future__ import annotations

import os

import pytest

#: A key of the documented test form; the sandbox accepts it. Never a real key.
TEST_API_KEY = "dv_test_sk_orbitctl_suite_0000"


@pytest.fixture
def sandbox_server(tmp_path):
    """Factory: start ``orbitctl sandbox serve`` in a thread on a free loopback port.

    ``server = sandbox_server(latency_ms=0, error_rate=0.0, rate_limit=None, seed=0)`` returns an
    object with ``.url`` (e.g. ``http://127.0.0.1:PORT``) and ``.state_path``; every server is
    stopped when the test ends.
    """
    from orbitctl.sandbox.server import serve_in_thread

    started = []

    def start(**knobs):
        knobs.setdefault("state_path", tmp_path / f"sandbox-{len(started)}.json")
        server = serve_in_thread(**knobs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def orbit_env(monkeypatch):
    """Point the client at a URL with the test key: ``orbit_env(url)``."""

    def point(url: str) -> None:
        monkeypatch.setenv("ORBIT_API_URL", url)
        monkeypatch.setenv("ORBIT_API_KEY", TEST_API_KEY)

    return point


@pytest.fixture(autouse=True)
def _in_own_folder(tmp_path, monkeypatch):
    """Every test runs in its own empty working directory: what the CLI keeps in ``.orbitctl/``
    (the apply lock, the journal, the embedded sandbox's state) lands in the test's tmp_path,
    never in the checkout the suite runs from."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _no_real_orbit(monkeypatch):
    """No test may reach the real API by accident."""
    for name in ("ORBIT_API_KEY", "ORBIT_API_URL"):
        if name in os.environ:
            monkeypatch.delenv(name)
