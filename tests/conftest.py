"""Fixtures shared by the whole suite. Tests are hermetic: the only network is loopback to a
sandbox they start themselves."""

from __future__ import annotations

import ipaddress
import os
import socket

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
def search_cap(monkeypatch):
    """``search_cap(5)``: orbitctl takes the API's search cap to be 5 rows (it is 500), to match a
    sandbox started with ``search_limit=5``, so that a pool larger than one search stays small."""

    def lower(rows: int) -> int:
        from orbitctl.account import inventory

        monkeypatch.setattr(inventory, "search_cap", lambda: rows)
        return rows

    return lower


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


@pytest.fixture(autouse=True, scope="session")
def _nothing_left_in_the_source_checkout():
    """``.orbitctl/`` is found from the manifests' checkout: a test running orbitctl on a file of
    this repository (an example) would leave state in it. None may."""
    from pathlib import Path

    state = Path(__file__).resolve().parents[1] / ".orbitctl"
    existed = state.exists()
    yield
    assert existed or not state.exists(), f"a test left {state} behind: run orbitctl on a copy in tmp_path"


@pytest.fixture
def checkout(tmp_path):
    """The test's working directory (see ``_in_own_folder``), where ``.orbitctl/`` lands."""
    return tmp_path


@pytest.fixture(autouse=True)
def _no_real_orbit(monkeypatch):
    """No test may reach the real API by accident."""
    for name in ("ORBIT_API_KEY", "ORBIT_API_URL"):
        if name in os.environ:
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _colour_as_on_a_plain_machine(monkeypatch):
    """A FORCE_COLOR or NO_COLOR in the environment of the suite (some CI runners set them) would
    change what every command prints; tests that need them set them."""
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return host == "localhost" or (_is_ip_literal(host) and ipaddress.ip_address(host).is_loopback)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only():
    """Hermetic: an IP socket of this process may connect to loopback only, and no host name
    but localhost is looked up (a lookup is itself a DNS query)."""
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def guard(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise AssertionError(f"a test tried to reach {address!r}: tests may use loopback only")

    def guarded_connect(sock, address):
        guard(sock, address)
        return connect(sock, address)

    def guarded_connect_ex(sock, address):
        guard(sock, address)
        return connect_ex(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name != "localhost" and not _is_ip_literal(name):
            raise AssertionError(f"a test tried to look up {name!r}: tests may use loopback only")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = guarded_connect, guarded_connect_ex
    socket.getaddrinfo = guarded_getaddrinfo
    yield
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.getaddrinfo = getaddrinfo
