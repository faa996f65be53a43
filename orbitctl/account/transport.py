"""The client's own HTTP/1.1 connections to Orbit: kept alive, shared by threads, one request
at a time each.

Observing 10,000 numbers makes 10,050 requests, and per request httpx's transport (httpcore's
pool and h11's state machine, with httpx's request and response models around them) cost about
0.4 ms of CPU, most of a plan's; ``http.client`` still 0.15 ms, two thirds of it in the
``email`` package parsing response headers. The exchange the client needs is small (a request
with a JSON body or none, a response framed by Content-Length, chunks or the end of the
connection), and doing it here costs about 0.05 ms.

What the client relies on stays as with httpx's transport:

- a failure is the httpx exception httpx's transport raises for it (``ConnectError`` for a
  refused connection, an unknown host or a failed TLS handshake; ``ConnectTimeout``,
  ``ReadTimeout``, ``WriteTimeout``; ``WriteError``, ``ReadError``; ``RemoteProtocolError`` for
  a response that is not HTTP/1.x or ends early), so retries and messages do not change;
- TLS (``https://``) verifies the certificate and the host name against the same trust as
  httpx (:func:`httpx.create_ssl_context`: certifi's bundle, or ``SSL_CERT_FILE`` /
  ``SSL_CERT_DIR``), with ALPN ``http/1.1``;
- one timeout for connecting, each read and each write, as ``httpx.Timeout(t)``;
- redirects are not followed (a 3xx is the response); ``Accept-Encoding: gzip`` is the
  caller's to send, and a gzip body is decompressed;
- proxies are not handled here: the client uses httpx's transport when the environment names one.

An idle connection that reads as readable (the server closed it, or sent what nobody asked for)
is dropped before it is used, rather than failing the request; connections beyond ``size`` idle
ones are closed as they come back.
"""

from __future__ import annotations

import json
import logging
import select
import socket
import ssl
import threading
import zlib
from collections import deque
from collections.abc import Iterable
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote, urlsplit

import httpx

__all__ = ["ConnectionPool", "Reply", "ReplyHeaders", "Response"]

logger = logging.getLogger(__name__)

#: The longest status or header line read, and the most header lines, before a response is
#: refused as not HTTP (http.client's limits).
_MAX_LINE = 65536
_MAX_HEADERS = 100
#: Statuses that have no body whatever their headers say (RFC 9112 section 6.3).
_NO_BODY = frozenset({204, 304})


class Headers(Protocol):
    def get(self, key: str, default: Any = None, /) -> Any: ...


class Response(Protocol):
    """What the client reads of a response: an ``httpx.Response`` (from a transport given to it)
    or a :class:`Reply` (from its own connections)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Headers: ...

    @property
    def content(self) -> bytes: ...

    @property
    def is_success(self) -> bool: ...

    def json(self) -> Any: ...


class ReplyHeaders:
    """Response headers, looked up in any letter case; a header sent twice reads as its values
    joined by ", " (as httpx reads it)."""

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()):
        self._values: dict[str, str] = {}
        for name, value in pairs:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        name = name.lower()
        self._values[name] = f"{self._values[name]}, {value}" if name in self._values else value

    def get(self, key: str, default: Any = None, /) -> Any:
        return self._values.get(key.lower(), default)

    def __repr__(self) -> str:
        return f"ReplyHeaders({self._values!r})"


class Reply:
    """A whole response, read: status, headers and the (decompressed) body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: ReplyHeaders, content: bytes):
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<Reply [{self.status_code}]>"


class _Connection:
    __slots__ = ("_poll", "reader", "sock")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reader: BinaryIO = sock.makefile("rb")
        self._poll = None
        if hasattr(select, "poll"):
            self._poll = select.poll()
            self._poll.register(sock, select.POLLIN)

    def readable(self) -> bool:
        """Whether the idle connection has something to read: the server's end of it (or bytes
        no request asked for); either way it cannot carry a request."""
        if self._poll is not None:
            return bool(self._poll.poll(0))
        return bool(select.select([self.sock], [], [], 0)[0])

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class ConnectionPool:
    """Keep-alive connections to the host of ``base_url``, each taken by one request at a time
    and put back after it; any number of threads may share the pool. ``headers`` go with every
    request. Close it when done."""

    def __init__(self, base_url: str, headers: Iterable[tuple[str, str]], *, timeout: float, size: int):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        host = f"[{self._host}]" if ":" in self._host else self._host
        authority = host if parts.port in (None, 443 if self._https else 80) else f"{host}:{parts.port}"
        self._path = quote(parts.path.rstrip("/"), safe="/%:@!$&'()*+,;=-._~")
        lines = [("Host", authority), *headers]
        for name, value in lines:
            if not (f"{name}{value}".isascii() and name.isprintable() and value.isprintable()) or ":" in name:
                raise ValueError(f"the header {name!r}: {value!r} cannot be sent")
        self._head = "".join(f"{name}: {value}\r\n" for name, value in lines).encode("latin-1")
        self._timeout = timeout
        self._size = size
        self._idle: deque[_Connection] = deque()
        self._ssl_context: ssl.SSLContext | None = None
        self._ssl_lock = threading.Lock()
        self._closed = False

    def request(self, method: str, target: str, body: bytes | None = None, content_type: str | None = None) -> Reply:
        """One exchange: ``target`` is the path (and query, encoded) under the base URL. Raises
        the httpx exception httpx's transport would for the failure."""
        head = f"{method} {self._path}{target} HTTP/1.1\r\n".encode("ascii") + self._head
        if body is not None or method in ("POST", "PUT", "PATCH"):
            body = body or b""
            if content_type:
                head += f"Content-Type: {content_type}\r\n".encode("latin-1")
            head += b"Content-Length: %d\r\n" % len(body)
        message = head + b"\r\n" + (body or b"")
        connection = self._take()
        try:
            reply, reusable = _exchange(connection, message)
        except BaseException:
            connection.close()
            raise
        if reusable:
            self._put_back(connection)
        else:
            connection.close()
        logger.debug("%s %s: HTTP %d", method, target, reply.status_code)
        return reply

    def close(self) -> None:
        """Close every idle connection; one in use is closed when its request ends."""
        self._closed = True
        while True:
            try:
                self._idle.pop().close()
            except IndexError:
                return

    def _take(self) -> _Connection:
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                break
            if not connection.readable():
                return connection
            connection.close()  # the server closed it while it was idle
        return _Connection(self._connect())

    def _put_back(self, connection: _Connection) -> None:
        if self._closed or len(self._idle) >= self._size:
            connection.close()
            return
        self._idle.append(connection)
        if self._closed:  # close() ran meanwhile
            self.close()

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection((self._host, self._port), self._timeout)
        except TimeoutError as failure:
            raise httpx.ConnectTimeout(str(failure) or "timed out") from failure
        except OSError as failure:  # refused, unreachable, unknown host
            raise httpx.ConnectError(str(failure) or type(failure).__name__) from failure
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._https:
                sock = self._tls().wrap_socket(sock, server_hostname=self._host)
        except TimeoutError as failure:
            sock.close()
            raise httpx.ConnectTimeout(str(failure) or "timed out") from failure
        except OSError as failure:  # the TLS handshake: a certificate not trusted, a wrong host
            sock.close()
            raise httpx.ConnectError(str(failure) or type(failure).__name__) from failure
        return sock

    def _tls(self) -> ssl.SSLContext:
        with self._ssl_lock:
            if self._ssl_context is None:
                context = httpx.create_ssl_context()
                context.set_alpn_protocols(["http/1.1"])
                self._ssl_context = context
            return self._ssl_context


def _exchange(connection: _Connection, message: bytes) -> tuple[Reply, bool]:
    """Send ``message``, read the whole response: (the reply, whether the connection may carry
    another request)."""
    try:
        connection.sock.sendall(message)
    except TimeoutError as failure:
        raise httpx.WriteTimeout(str(failure) or "timed out") from failure
    except OSError as failure:
        raise httpx.WriteError(str(failure) or type(failure).__name__) from failure
    try:
        return _read_response(connection.reader)
    except TimeoutError as failure:
        raise httpx.ReadTimeout(str(failure) or "timed out") from failure
    except OSError as failure:
        raise httpx.ReadError(str(failure) or type(failure).__name__) from failure


def _read_response(reader: BinaryIO) -> tuple[Reply, bool]:
    while True:
        line = reader.readline(_MAX_LINE + 1)
        if not line:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        version, status = _status_line(line)
        headers = _read_headers(reader)
        if not 100 <= status < 200:  # an interim response (100 Continue, 103 Early Hints): skip it
            break
    connection = (headers.get("connection") or "").lower()
    keep_alive = "close" not in connection and (version == b"HTTP/1.1" or "keep-alive" in connection)
    if status in _NO_BODY:
        content = b""
    elif "chunked" in (headers.get("transfer-encoding") or "").lower():
        content = _read_chunks(reader)
    elif (length := headers.get("content-length")) is not None:
        try:
            size = int(length.split(",")[0])  # a length sent twice reads "n, n"
        except ValueError:
            size = -1
        if size < 0:
            raise httpx.RemoteProtocolError(f"invalid Content-Length {length!r}")
        content = _read_exactly(reader, size)
    else:  # the body ends with the connection
        content = reader.read()
        keep_alive = False
    if content and (headers.get("content-encoding") or "").lower() == "gzip":
        try:
            content = zlib.decompress(content, 16 + zlib.MAX_WBITS)
        except zlib.error as failure:
            raise httpx.DecodingError(f"a gzip body that does not decompress ({failure})") from None
    return Reply(status, headers, content), keep_alive


def _status_line(line: bytes) -> tuple[bytes, int]:
    parts = line.split(None, 2)
    if len(line) > _MAX_LINE or len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError(f"not an HTTP/1.x response: {line[:80]!r}")
    return parts[0], int(parts[1])


def _read_headers(reader: BinaryIO) -> ReplyHeaders:
    headers = ReplyHeaders()
    for _ in range(_MAX_HEADERS + 1):
        line = reader.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line or len(line) > _MAX_LINE:
            break
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise httpx.RemoteProtocolError(f"not an HTTP header line: {line[:80]!r}")
        headers.add(name, value.strip())
    raise httpx.RemoteProtocolError("the response's headers did not end")


def _read_chunks(reader: BinaryIO) -> bytes:
    chunks = []
    while True:
        line = reader.readline(_MAX_LINE + 1)
        try:
            size = int(line.split(b";", 1)[0], 16)
        except ValueError:
            raise httpx.RemoteProtocolError(f"not a chunk size: {line[:80]!r}") from None
        if size <= 0:
            if size < 0:
                raise httpx.RemoteProtocolError(f"not a chunk size: {line[:80]!r}")
            break
        chunks.append(_read_exactly(reader, size))
        if reader.readline(3) not in (b"\r\n", b"\n"):
            raise httpx.RemoteProtocolError("a chunk does not end with a line break")
    _read_headers(reader)  # the trailer, if any
    return b"".join(chunks)


def _read_exactly(reader: BinaryIO, size: int) -> bytes:
    content = reader.read(size)
    if len(content) < size:
        raise httpx.RemoteProtocolError(
            f"peer closed connection without sending complete message body "
            f"(received {len(content)} bytes, expected {size})"
        )
    return content
