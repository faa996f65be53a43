"""The client over a real socket: its connection pool, and what it (or httpx and httpcore) logs.

A tiny HTTP server on loopback counts the TCP connections it accepts and holds every request
until ``parallel`` are in flight together, so a pool smaller than 64 fails the pool test instead
of passing slowly.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from orbitctl.account.client import POOL_SIZE, OrbitClient
from tests.conftest import TEST_API_KEY


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, parallel: int):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.barrier = threading.Barrier(parallel, timeout=10)
        self.connections = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connections can be reused

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_GET(self):
        number_id = self.path.rsplit("/", 1)[1]
        try:
            self.server.barrier.wait()
            status, body = 200, {"data": {"id": number_id, "number": "+1"}, "meta": {"request_id": "req_1"}}
        except threading.BrokenBarrierError:
            status, body = 500, {"error": {"code": "internal_error", "message": "not all in flight at once"}}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_server():
    """Factory: ``counting_server(parallel)`` starts a server on loopback; stopped after the test."""
    started = []

    def start(parallel: int) -> _CountingServer:
        server = _CountingServer(parallel)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def _url(server: _CountingServer) -> str:
    host, port = server.server_address
    return f"http://{host}:{port}"


def test_64_requests_run_at_once_and_their_connections_are_reused(counting_server):
    server = counting_server(POOL_SIZE)
    ids = [f"num_{i}" for i in range(POOL_SIZE)]
    with (
        OrbitClient(TEST_API_KEY, _url(server), max_retries=0, timeout=15) as client,
        ThreadPoolExecutor(max_workers=POOL_SIZE) as pool,
    ):
        first = [record.id for record in pool.map(client.get_number, ids)]
        second = [record.id for record in pool.map(client.get_number, ids)]
    assert first == ids and second == ids
    assert server.connections == POOL_SIZE


@pytest.mark.parametrize(
    ("transport", "trace"),
    [
        (None, "GET /api/v1/numbers/num_1: HTTP 200"),  # the client's own connections
        (httpx.HTTPTransport, "send_request_headers"),  # httpx's, used behind a proxy
    ],
)
def test_the_key_is_in_no_log_record_of_a_real_exchange(counting_server, caplog, transport, trace):
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every step of a request at DEBUG
    server = counting_server(1)
    with OrbitClient(TEST_API_KEY, _url(server), transport=transport and transport()) as client:
        assert client.get_number("num_1").id == "num_1"
    assert trace in caplog.text  # the request's trace was captured
    assert TEST_API_KEY not in caplog.text
