"""The client's own connections (``orbitctl.account.transport``) against a scripted server on
loopback: what goes on the wire, every way a response can be framed, connections kept, dropped
and refused, timeouts, TLS verification, and httpx's transport behind a proxy."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orbitctl.account.api import ConfigurationError, TransportError
from orbitctl.account.client import OrbitClient
from tests.conftest import TEST_API_KEY

NUMBER = {"id": "num_1", "number": "+14155550100"}


def response(
    body: bytes | dict | list | None = None,
    *,
    status: str = "200 OK",
    headers: tuple[str, ...] = (),
    length: bool = True,
) -> bytes:
    """A raw HTTP/1.1 response; a dict or list body is sent as Orbit's envelope around it."""
    if isinstance(body, (dict, list)):
        body = json.dumps({"data": body, "meta": {"request_id": "req_1"}}).encode()
    body = body or b""
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", *headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


#: Script steps besides a response: answer and then close the connection; close it without an
#: answer; never answer.
CLOSE_AFTER, DROP, SILENCE = "close after", "drop", "silence"


class Scripted:
    """A server on loopback that answers the n-th request with ``script[n]`` (raw bytes, or
    ``(bytes, CLOSE_AFTER)``, ``DROP``, ``SILENCE``), keeping the raw requests and counting the
    connections it accepted. ``listener`` wraps the listening socket (TLS)."""

    def __init__(self, script: list, wrap: Callable[[socket.socket], socket.socket] | None = None):
        self.script = list(script)
        self.requests: list[bytes] = []
        self.connections = 0
        self.closed = threading.Event()  # set whenever the server closes a connection
        self._wrap = wrap
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}"

    def stop(self) -> None:
        self._stopping = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self._wrap:
                sock = self._wrap(sock)
            reader = sock.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                lengths = [line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
                length = int(lengths[0].split(b":")[1]) if lengths else 0
                self.requests.append(head + reader.read(length))
                step = self.script.pop(0)
                if step == SILENCE:
                    time.sleep(5)
                    return
                if step == DROP:
                    return
                raw, after = step if isinstance(step, tuple) else (step, None)
                sock.sendall(raw)
                if after == CLOSE_AFTER:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            sock.close()
            self.closed.set()


@pytest.fixture
def scripted():
    started = []

    def start(script: list, **kw) -> Scripted:
        server = Scripted(script, **kw)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def client_of(url: str, **kw) -> OrbitClient:
    kw.setdefault("sleep", lambda seconds: None)
    return OrbitClient(TEST_API_KEY, url, **kw)


def test_a_request_carries_its_path_query_headers_and_json_body(scripted):
    server = scripted([response(NUMBER), response([])])
    with client_of(server.url() + "/gateway/", user_agent_suffix="ci/1") as client:
        client.configure("num_1", label="Support", tags=["a"])
        assert list(client.iter_numbers(page_size=5, country="US")) == []
    put, get = server.requests
    head, body = put.split(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "PUT /gateway/api/v1/numbers/num_1 HTTP/1.1"
    assert sorted(lines[1:]) == sorted(
        [
            f"Host: 127.0.0.1:{server.port}",
            "User-Agent: orbitctl/0.1.0 ci/1",
            "Accept: application/json",
            f"X-API-Key: {TEST_API_KEY}",
            "Accept-Encoding: gzip",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
        ]
    )
    assert body == b'{"label":"Support","tags":["a"]}'  # as httpx encodes JSON
    assert get.split(b"\r\n")[0] == b"GET /gateway/api/v1/numbers?limit=5&country=US HTTP/1.1"
    assert b"content-length" not in get.lower() and b"content-type" not in get.lower()
    assert server.connections == 1  # the second request reused the connection


def test_chunked_and_gzip_bodies_are_read_and_the_connection_kept(scripted):
    envelope = json.dumps({"data": NUMBER}).encode()
    half = len(envelope) // 2
    chunked = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x;ext=1\r\n%s\r\n" % (half, envelope[:half])
        + b"%X\r\n%s\r\n" % (len(envelope) - half, envelope[half:])
        + b"0\r\nX-Trailer: yes\r\n\r\n"
    )
    packed = gzip.compress(envelope)
    zipped = response(packed, headers=("Content-Encoding: gzip",))
    server = scripted([chunked, zipped, response(NUMBER)])
    with client_of(server.url()) as client:
        assert [client.get_number("num_1").number for _ in range(3)] == ["+14155550100"] * 3
    assert server.connections == 1


def test_a_body_ended_by_the_connection_and_connection_close_open_a_new_connection(scripted):
    until_close = (response(NUMBER, length=False), CLOSE_AFTER)
    announced = response(NUMBER, headers=("Connection: close",))
    server = scripted([until_close, announced, response(NUMBER)])
    with client_of(server.url(), max_retries=0) as client:
        assert [client.get_number("num_1").id for _ in range(3)] == ["num_1"] * 3
    assert server.connections == 3


def test_an_idle_connection_the_server_closed_is_not_used(scripted):
    server = scripted([(response(NUMBER), CLOSE_AFTER), response(NUMBER)])  # no "Connection: close"
    with client_of(server.url(), max_retries=0) as client:  # a failed attempt would not be retried
        client.get_number("num_1")
        assert server.closed.wait(5)
        time.sleep(0.05)  # the server's FIN crossing loopback
        assert client.get_number("num_1").id == "num_1"
    assert server.connections == 2


def test_a_response_cut_short_is_retried_for_a_get_and_outcome_unknown_for_a_purchase(scripted):
    cut = (response(b'{"data": {"id": "num_1"', headers=("Content-Length: 500",), length=False), CLOSE_AFTER)
    server = scripted([cut, response(NUMBER), cut])
    sleeps: list[float] = []
    with client_of(server.url(), sleep=sleeps.append) as client:
        assert client.get_number("num_1").id == "num_1"
        assert len(sleeps) == 1
        with pytest.raises(TransportError) as caught:
            client.purchase("+14155550100", country_code="US")
    assert caught.value.outcome_unknown
    assert "the connection to" in str(caught.value) and "failed" in str(caught.value)
    assert len(sleeps) == 1  # the POST was not retried


def test_a_connection_dropped_without_an_answer_is_retried(scripted):
    server = scripted([DROP, response(NUMBER)])
    sleeps: list[float] = []
    with client_of(server.url(), sleep=sleeps.append) as client:
        assert client.get_number("num_1").id == "num_1"
    assert len(sleeps) == 1 and server.connections == 2


def test_no_answer_within_the_timeout_is_a_transport_error(scripted):
    server = scripted([SILENCE])
    with client_of(server.url(), timeout=0.2, max_retries=0) as client, pytest.raises(TransportError) as caught:
        client.get_number("num_1")
    assert f"no answer from {server.url()} within 0.2 s" in str(caught.value)


def test_an_answer_that_is_not_http_is_a_transport_error(scripted):
    server = scripted([(b"SSH-2.0-OpenSSH_9.6\r\n", CLOSE_AFTER)])
    with client_of(server.url(), max_retries=0) as client, pytest.raises(TransportError) as caught:
        client.get_number("num_1")
    assert "not an HTTP/1.x response" in str(caught.value)


def test_a_refused_connection_fails_at_once():
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]  # closed on leaving: nothing listens there
    sleeps: list[float] = []
    with client_of(f"http://127.0.0.1:{port}", sleep=sleeps.append) as client, pytest.raises(TransportError) as caught:
        client.get_number("num_1")
    assert "could not connect to" in str(caught.value) and "ORBIT_API_URL" in str(caught.value)
    assert sleeps == []


def test_a_header_that_would_break_the_request_is_refused_before_any():
    with pytest.raises(ConfigurationError, match="user_agent_suffix"):
        OrbitClient(TEST_API_KEY, "http://127.0.0.1:9", user_agent_suffix="ci\r\nX-Injected: 1")


def test_behind_a_proxy_the_request_goes_to_the_proxy(scripted, monkeypatch):
    proxy = scripted([response(NUMBER)])
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    with client_of("http://orbit.invalid") as client:  # never looked up: the proxy is asked for it
        assert client.get_number("num_1").id == "num_1"
    assert proxy.requests[0].startswith(b"GET http://orbit.invalid/api/v1/numbers/num_1 HTTP/1.1\r\n")


# --- TLS ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for the name localhost only (not 127.0.0.1): (cert, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def tls_server(scripted, certificate, script: list) -> Scripted:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return scripted(script, wrap=lambda sock: context.wrap_socket(sock, server_side=True))


def test_tls_verifies_against_the_trust_httpx_uses(scripted, certificate, monkeypatch):
    server = tls_server(scripted, certificate, [response(NUMBER)])
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # httpx's way to name the trust
    with client_of(server.url("https", "localhost")) as client:
        assert client.get_number("num_1").id == "num_1"


@pytest.mark.parametrize(
    ("trusted", "host", "why"),
    [(False, "localhost", "certificate verify failed"), (True, "127.0.0.1", "certificate verify failed")],
    ids=["an unknown issuer", "another host's name"],
)
def test_a_certificate_that_does_not_verify_fails_at_once(scripted, certificate, monkeypatch, trusted, host, why):
    server = tls_server(scripted, certificate, [response(NUMBER)])
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    sleeps: list[float] = []
    with client_of(server.url("https", host), sleep=sleeps.append) as client, pytest.raises(TransportError) as caught:
        client.get_number("num_1")
    assert why in str(caught.value) and "could not connect" in str(caught.value)
    assert sleeps == [] and server.requests == []
