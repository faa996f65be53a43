"""Serving the sandbox over real HTTP: a multi-threaded stdlib HTTP/1.1 server calling the WSGI app.

``wsgiref``'s server speaks HTTP/1.0 and closes every connection; this small handler keeps
connections alive (HTTP/1.1), which roughly doubles the requests a client gets through per second.
One thread per connection, so slow (``--latency-ms``) requests overlap.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import socketserver
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import unquote

from orbitctl.sandbox.app import BODY_MAX, SandboxApp, create_app
from orbitctl.sandbox.errors import envelope, new_request_id
from orbitctl.sandbox.porting import iso

#: A Content-Length: ASCII digits only (``str.isdigit`` also takes "²").
_BYTE_COUNT = re.compile(r"[0-9]{1,12}")

#: Seconds an idle keep-alive connection is kept open.
IDLE_TIMEOUT = 30


class SandboxHTTPServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, app: SandboxApp, *, quiet: bool):
        super().__init__(address, handler)
        self.app = app
        self.quiet = quiet
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the bound socket."""
        host, port = self.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}"

    def process_request_thread(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def handle_error(self, request, client_address) -> None:
        """A client that went away before its answer (killed mid-request) is not an error."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """End every open keep-alive connection (after ``shutdown``)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class WSGIHandler(BaseHTTPRequestHandler):
    """Turns each HTTP/1.1 request into a WSGI call of ``server.app``."""

    protocol_version = "HTTP/1.1"
    server_version = "orbit-sandbox"
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stalls
    server: SandboxHTTPServer

    def _call_app(self) -> None:
        path, _, query = self.path.partition("?")
        body = b""
        if self.headers.get("Transfer-Encoding"):
            chunked = self._read_chunked()
            if chunked is None:
                return
            body, length = chunked, len(chunked)
        else:
            length_header = self.headers.get("Content-Length", "0").strip()
            if not _BYTE_COUNT.fullmatch(length_header):
                self.send_error(400, "Content-Length is not a number of bytes")
                return
            length = int(length_header)
            if length > BODY_MAX:
                self.close_connection = True  # the body is not read: this connection cannot go on
            elif length:
                body = self.rfile.read(length)
        environ = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": unquote(path, "iso-8859-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ["HTTP_" + key] = value
        started: list = []

        def start_response(status, headers, exc_info=None):
            started[:] = [status, headers]

        payload = b"".join(self.server.app(environ, start_response))
        status, headers = started
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _read_chunked(self) -> bytes | None:
        """A ``Transfer-Encoding: chunked`` body (curl sends one of unknown length so). Past
        ``BODY_MAX`` it stops reading and closes the connection, and the app answers 413; a
        malformed body is answered 400 here, and None returned."""
        if self.headers.get("Transfer-Encoding", "").strip().lower() != "chunked":
            self.send_error(501, "Only the chunked transfer coding is supported")
            return None
        body = bytearray()
        try:
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
                if size < 0:
                    raise ValueError(size)
                if size == 0:
                    break
                if len(body) + size > BODY_MAX:  # read one byte past the limit, no more
                    self.close_connection = True
                    return bytes(body) + self.rfile.read(BODY_MAX + 1 - len(body))
                body += self.rfile.read(size)
                if self.rfile.readline(1024).strip():
                    raise ValueError("chunk longer than its size")
            while self.rfile.readline(1024).strip():  # trailers, up to the blank line
                pass
        except ValueError:
            self.send_error(400, "Malformed chunked request body")
            return None
        return bytes(body)

    def send_error(self, code, message=None, explain=None):
        """Malformed HTTP (bad request line, unknown method, huge headers) gets the API's error
        envelope too, not the standard library's HTML page."""
        text = message or self.responses.get(code, ("Error",))[0]
        kind = "bad_request" if code < 500 else "not_implemented"
        body = json.dumps(envelope(kind, text, [], new_request_id(), iso(datetime.now(UTC)))).encode()
        self.close_connection = True
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def version_string(self) -> str:
        return self.server_version

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _call_app

    def log_message(self, format, *args):  # the stdlib's signature
        """Access log on stderr unless quiet: method, path, status (the key is never logged)."""
        if not self.server.quiet:
            super().log_message(format, *args)


def make_server(host: str, port: int, *, quiet: bool = True, state_path=None, **knobs) -> SandboxHTTPServer:
    """A bound, not yet serving, server for the sandbox (``port=0``: any free port)."""
    return SandboxHTTPServer((host, port), WSGIHandler, create_app(state_path, **knobs), quiet=quiet)


class ServedSandbox:
    """A sandbox served in a background thread. ``url`` is ``http://HOST:PORT``; ``stop()`` ends it."""

    def __init__(self, server: SandboxHTTPServer, state_path: Path | None):
        self._server = server
        self.state_path = state_path
        self.app = server.app
        self.url = server.url
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="orbit-sandbox", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, end open connections, release the port. Safe to call twice."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> ServedSandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ServedSandbox(url={self.url!r}, state_path={self.state_path!r})"


def serve_in_thread(
    state_path: str | os.PathLike | None = None, host: str = "127.0.0.1", port: int = 0, **knobs
) -> ServedSandbox:
    """Start the sandbox on ``host:port`` in a thread; knobs as for ``create_app``."""
    path = Path(state_path) if state_path is not None else None
    return ServedSandbox(make_server(host, port, quiet=True, state_path=path, **knobs), path)
