"""The HTTP server in front of the WSGI app: what reaches the app of each request's body."""

from __future__ import annotations

import socket

import httpx
import pytest

KEY = {"X-API-Key": "dv_test_sk_server"}


def _exchange(server, raw: bytes) -> bytes:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(raw)
        reply = b""
        while part := connection.recv(4096):
            reply += part
    return reply


def test_a_chunked_body_is_read_and_the_connection_goes_on(sandbox_server):
    """curl sends a body of unknown length (``--data-binary @-``) chunked."""
    server = sandbox_server()
    with httpx.Client(base_url=server.url, headers=KEY) as client:
        number_id = client.post("/api/v1/numbers/purchase", json={"phone_number": "+14155550100"}).json()["data"]["id"]
        body = (part for part in (b'{"label": ', b'"chunked"}'))  # an iterator: httpx sends it chunked
        response = client.put(f"/api/v1/numbers/{number_id}", content=body)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["label"] == "chunked"
        assert client.get(f"/api/v1/numbers/{number_id}").json()["data"]["label"] == "chunked"


def test_a_chunked_body_over_the_limit_is_413(sandbox_server):
    server = sandbox_server()
    host, port = server.url.removeprefix("http://").split(":")
    chunk = b"x" * 65536
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(
            b"POST /api/v1/numbers/purchase HTTP/1.1\r\nHost: x\r\nX-API-Key: dv_test_sk_server\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            for _ in range(20):  # 1.25 MiB in all
                raw.sendall(b"10000\r\n" + chunk + b"\r\n")
            raw.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may stop reading once the limit is passed
        reply = b""
        while part := raw.recv(4096):
            reply += part
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]


def test_a_malformed_chunk_is_400(sandbox_server):
    reply = _exchange(
        sandbox_server(),
        b"POST /api/v1/numbers/purchase HTTP/1.1\r\nHost: x\r\nX-API-Key: dv_test_sk_server\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    )
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b'"bad_request"' in reply


@pytest.mark.parametrize("length", [b"abc", b"-2", b"\xb2", b"1 2"])
def test_a_content_length_that_is_not_a_byte_count_is_400_and_closes(sandbox_server, length):
    """Read as 0, the body would be taken for the next request; a non-ASCII digit crashed the
    handler and the client got no answer at all."""
    reply = _exchange(
        sandbox_server(),
        b"PUT /api/v1/numbers/num_x HTTP/1.1\r\nHost: x\r\nX-API-Key: dv_test_sk_server\r\n"
        b"Content-Length: " + length + b'\r\n\r\n{"label": "x"}',
    )
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert reply.count(b"HTTP/1.1") == 1
    assert b'"bad_request"' in reply and b"Content-Length" in reply
