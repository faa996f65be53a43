"""``OrbitClient``: the Orbit Numbers API, usable as a library on its own.

    from orbitctl.account.client import OrbitClient

    with OrbitClient.from_env() as orbit:            # ORBIT_API_KEY, ORBIT_API_URL
        for number in orbit.iter_numbers():          # every cursor page, lazily
            print(number.number, number.get("label"))

Results are the typed records of :mod:`orbitctl.account.api`; failures are its typed exceptions, each
with a message a user can act on and the request id when Orbit sent one. GET, PUT and DELETE are
retried on transient failures (:mod:`orbitctl.account.retry`); POSTs (purchase, port) never are. One
client may be shared by many threads. The API key never appears in a message, log or repr.
Requests go over the client's own connections (:mod:`orbitctl.account.transport`), or through
an httpx transport (one given, or httpx's behind a proxy).
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from orbitctl import __version__
from orbitctl.account.api import (
    API_KEY_HEADER,
    API_KEY_VARIABLE,
    API_PREFIX,
    API_VERSION_PREFIX,
    BASE_URL_VARIABLE,
    CONFIGURE_KEYS,
    DEFAULT_BASE_URL,
    LIST_PAGE_MAX,
    SEARCH_LIMIT_MAX,
    AuthenticationError,
    AvailableNumber,
    ConfigurationError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    NumberRecord,
    OrbitError,
    PortingRequest,
    RateLimitedError,
    RoutingRecord,
    ServerError,
    TransportError,
    ValidationError,
    parse_timestamp,
    routing_body,
)
from orbitctl.account.redact import redact
from orbitctl.account.retry import RETRYABLE_METHODS, RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from orbitctl.account.transport import ConnectionPool, Response
from orbitctl.frozen import freeze, thaw

__all__ = ["POOL_SIZE", "OrbitClient"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_E = TypeVar("_E", bound=OrbitError)

#: Connections kept per client: enough for the largest parallelism orbitctl allows (64), plus
#: one for the listing that observing runs beside the detail requests.
POOL_SIZE = 65

#: Failures after which no request reached Orbit: retrying cannot repeat an effect.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

#: Transport failures another attempt may cure: a timeout, a connection dropped mid-request. A
#: connection refused or a host not found (ConnectError) is not retried: nothing answers at the
#: base URL, and more attempts would only make the user wait for the same error.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_NOT_RETRIED = (httpx.ConnectError,)

#: How much of an unreadable body a message quotes.
_BODY_PREVIEW = 80


class _ApiKey:
    """The key, for the request headers, kept out of every repr and message."""

    def __init__(self, api_key: str):
        self._api_key = api_key

    def header(self) -> tuple[str, str]:
        return (API_KEY_HEADER, self._api_key)

    def redact(self, text: str) -> str:
        """``text`` with the key masked, should a server ever echo it back (in part, in any case)."""
        return redact(text, self._api_key)

    def __repr__(self) -> str:
        return "<API key (hidden)>"


class _Malformed(Exception):
    """A 2xx response that is not the documented envelope; becomes an OrbitError."""


class OrbitClient:
    """A client of the Orbit Numbers API (``/api/v1/numbers``).

    Requests go over the client's own keep-alive connections (:mod:`orbitctl.account.transport`),
    or through httpx's transport when the environment names a proxy for the base URL.
    ``transport`` replaces both with any httpx transport (tests use ``httpx.MockTransport``);
    ``sleep`` is what waits between retries. Close it, or use it as a context manager.
    """

    #: The variable of the key of a stack's ``account:`` the client was made for ("" for the
    #: default, ``ORBIT_API_KEY``): with the base URL, which account the client talks to, so that
    #: what the journal keeps of two accounts behind one URL stays apart (``journal.account_of``).
    account_binding: str = ""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        user_agent_suffix: str | None = None,
    ):
        _check_api_key(api_key)
        self.base_url = _checked_base_url(base_url)
        if not (isinstance(timeout, (int, float)) and timeout > 0 and math.isfinite(timeout)):
            raise ConfigurationError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.timeout = float(timeout)
        self.retry_policy = RetryPolicy(max_retries, backoff_base, backoff_cap)
        self._sleep = sleep
        self._random = random.Random()
        self._auth = _ApiKey(api_key)
        user_agent = f"orbitctl/{__version__}"
        if user_agent_suffix:
            if not (user_agent_suffix.isascii() and user_agent_suffix.isprintable()):
                raise ConfigurationError(
                    f"user_agent_suffix must be printable ASCII (it is sent in a header), not {user_agent_suffix!r}"
                )
            user_agent = f"{user_agent} {user_agent_suffix}"
        headers = [("User-Agent", user_agent), ("Accept", "application/json"), self._auth.header()]
        self._transport = transport
        self._pool: ConnectionPool | None = None
        if transport is None:
            proxy = _proxy(self.base_url)
            if proxy is None:  # the usual case: the client's own connections (see transport.py)
                self._pool = ConnectionPool(
                    self.base_url, [*headers, ("Accept-Encoding", "gzip")], timeout=self.timeout, size=POOL_SIZE
                )
            else:
                self._transport = httpx.HTTPTransport(
                    limits=httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE), proxy=proxy
                )
        # Through a transport, requests go straight to it, not through httpx.Client: the API sets
        # no cookies and is never followed through redirects, and the Client's URL merging,
        # cookie jar and auth flow were a third of its CPU per request. Headers are built once:
        # httpx.Request copies Headers cheaply, but encodes a list of pairs every time.
        self._headers = httpx.Headers(headers)
        self._timeout = httpx.Timeout(self.timeout).as_dict()
        self._closed = False

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        key_variable: str = API_KEY_VARIABLE,
        url_variable: str = BASE_URL_VARIABLE,
        **kw: Any,
    ) -> OrbitClient:
        """A client configured by ``ORBIT_API_KEY`` and ``ORBIT_API_URL`` (``environ`` or the process's),
        or by the variables a stack's ``account:`` names (``key_variable``, ``url_variable``).

        Keyword arguments go to the constructor; an explicit ``base_url`` wins over the environment.
        """
        env = os.environ if environ is None else environ
        api_key = (env.get(key_variable) or "").strip()
        if not api_key:
            raise ConfigurationError(
                f"{key_variable} is not set: export your Orbit API key first "
                f"(export {key_variable}=dv_live_sk_...)"
            )
        try:
            _check_api_key(api_key)
        except ConfigurationError as problem:
            raise ConfigurationError(f"{key_variable} is not usable: {problem}") from None
        if "base_url" not in kw:
            base_url = (env.get(url_variable) or "").strip() or DEFAULT_BASE_URL
            try:
                kw["base_url"] = _checked_base_url(base_url)
            except ConfigurationError as problem:
                raise ConfigurationError(f"{url_variable} is not usable: {problem}") from None
        return cls(api_key, **kw)

    def __repr__(self) -> str:
        return f"OrbitClient(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the connection pool. Idempotent."""
        if not self._closed:
            self._closed = True
            if self._pool is not None:
                self._pool.close()
            if self._transport is not None:
                self._transport.close()

    def __enter__(self) -> OrbitClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- endpoints ----------------------------------------------------------------------------

    def search_available(
        self,
        country: str,
        *,
        type: str | None = None,
        capabilities: Sequence[str] = (),
        area_code: str | None = None,
        contains: str | None = None,
        limit: int = 100,
    ) -> list[AvailableNumber]:
        """GET /available: numbers Orbit can sell in ``country`` matching the filters."""
        if not isinstance(country, str) or not country.strip():
            raise InvalidArgumentError("search_available() needs a country (ISO 3166-1 alpha-2, e.g. 'US')")
        _check_range("limit", limit, 1, SEARCH_LIMIT_MAX)
        params: dict[str, Any] = {"country": country, "limit": limit}
        capability_list = _capability_list(capabilities)
        if capability_list:
            params["capabilities"] = ",".join(capability_list)
        for key, value in (("type", type), ("area_code", area_code), ("contains", contains)):
            if value is not None:
                params[key] = value
        action = f"Searching available numbers in {country}"
        response = self._send("GET", f"{API_PREFIX}/available", action, params=params)
        return self._read(response, action, list, lambda envelope: list(map(_available_number, envelope["data"])))

    def purchase(
        self,
        phone_number: str,
        *,
        country_code: str,
        capabilities: Sequence[str] = (),
        compliance_profile_id: str | None = None,
        inventory_id: str | None = None,
    ) -> NumberRecord:
        """POST /purchase. Never retried: on TransportError or ServerError whose
        ``outcome_unknown`` is true, look at the account before buying again."""
        body: dict[str, Any] = {"phone_number": phone_number, "country_code": country_code}
        capability_list = _capability_list(capabilities)
        if capability_list:
            body["capabilities"] = capability_list
        if compliance_profile_id is not None:
            body["compliance_profile_id"] = compliance_profile_id
        if inventory_id is not None:
            body["id"] = inventory_id
        action = f"Purchasing {phone_number}"
        response = self._send("POST", f"{API_PREFIX}/purchase", action, body=body)
        return self._read_number(response, action)

    def iter_numbers(
        self,
        *,
        page_size: int = 200,
        country: str | None = None,
        capabilities: str | None = None,
    ) -> Iterator[NumberRecord]:
        """Every number of the account, following the cursor from page to page as it is consumed."""
        _check_range("page_size", page_size, 1, LIST_PAGE_MAX)
        params: dict[str, Any] = {"limit": page_size}
        if country is not None:
            params["country"] = country
        if capabilities is not None:
            params["capabilities"] = capabilities
        return self._pages(params)

    def _pages(self, params: dict[str, Any]) -> Iterator[NumberRecord]:
        seen_cursors: set[str] = set()
        page = 1
        while True:
            action = f"Listing the account's numbers (page {page})"
            response = self._send("GET", API_PREFIX, action, params=params)
            records, cursor = self._read(
                response, action, list,
                lambda envelope: ([_number_record(row) for row in envelope["data"]], _next_cursor(envelope)),
            )
            yield from records
            if cursor is None:
                return
            if cursor in seen_cursors:
                raise self._error(
                    OrbitError,
                    f"{action} failed: Orbit returned the cursor {cursor!r} a second time, so the "
                    "list would never end",
                    response=response,
                )
            seen_cursors.add(cursor)
            params = {**params, "cursor": cursor}
            page += 1

    def get_number(self, number_id: str) -> NumberRecord:
        """GET /numbers/{id}: the full configuration of one number."""
        action = f"Reading number {number_id}"
        response = self._send("GET", _number_path(number_id), action)
        return self._read_number(response, action)

    def configure(self, number_id: str, **fields: Any) -> NumberRecord:
        """PUT /numbers/{id} with exactly the given fields (``None`` is sent as null)."""
        unknown = sorted(set(fields) - set(CONFIGURE_KEYS))
        if unknown:
            raise InvalidArgumentError(
                f"configure() cannot set {', '.join(unknown)}; the fields Orbit accepts are "
                f"{', '.join(CONFIGURE_KEYS)}"
            )
        path = _number_path(number_id)
        action = f"Configuring number {number_id}"
        response = self._send("PUT", path, action, body={key: thaw(value) for key, value in fields.items()})
        return self._read_number(response, action)

    def route(self, phone_number: str, agent_id: str | None) -> RoutingRecord:
        """PUT /numbers/{phoneNumber}/routing: the AI agent that answers ``phone_number``'s calls
        and messages (``None``: no agent). Addressed by the phone number (``+`` URL-encoded), not
        the id. The body is :func:`orbitctl.account.api.routing_body` (``{"agent_id": ...}``): the
        page names the field, not the body. Retried like any PUT (setting an agent twice is
        harmless). The page documents no response: the record holds whatever object came back,
        empty for none; read the number back when it lacks ``agent_id``."""
        if agent_id is not None and (not isinstance(agent_id, str) or not agent_id):
            raise InvalidArgumentError(f"route() needs an agent id (a non-empty string) or None, not {agent_id!r}")
        if not isinstance(phone_number, str) or not phone_number:
            raise InvalidArgumentError(f"route() needs the phone number (e.g. '+14155550100'), not {phone_number!r}")
        path = f"{API_PREFIX}/{quote(phone_number, safe='')}/routing"
        action = f"Routing {phone_number} to agent {agent_id!r}" if agent_id else f"Removing {phone_number}'s agent"
        response = self._send("PUT", path, action, body=routing_body(agent_id))
        if not response.content.strip():  # 204 No Content, or an empty 200
            return RoutingRecord(number=phone_number)
        return self._read(
            response, action, dict, lambda envelope: RoutingRecord(number=phone_number, fields=freeze(envelope["data"]))
        )

    def release(self, number_id: str) -> None:
        """DELETE /numbers/{id}. A 404 on a retry after an attempt whose outcome was unknown
        counts as done: that attempt released the number."""
        action = f"Releasing number {number_id}"
        self._send("DELETE", _number_path(number_id), action, absent_means_done=True)

    def submit_port(
        self,
        numbers: Sequence[str],
        *,
        current_carrier: str,
        authorization_name: str,
        account_number: str | None = None,
        pin: str | None = None,
    ) -> PortingRequest:
        """POST /porting: ask to move ``numbers`` from another carrier. Never retried."""
        if isinstance(numbers, str):
            numbers = [numbers]
        body: dict[str, Any] = {
            "numbers": list(numbers),
            "current_carrier": current_carrier,
            "authorization_name": authorization_name,
        }
        if account_number is not None:
            body["account_number"] = account_number
        if pin is not None:
            body["pin"] = pin
        count = len(body["numbers"])
        action = f"Submitting a port request for {count} number{'s' if count != 1 else ''}"
        response = self._send("POST", f"{API_PREFIX}/porting", action, body=body)
        return self._read(response, action, dict, lambda envelope: _porting_request(envelope["data"]))

    def get_port(self, port_id: str) -> PortingRequest:
        """GET /porting/{id}: a porting request as it stands now (``status`` moves from
        ``pending`` through ``in_progress`` to ``completed``)."""
        if not isinstance(port_id, str) or not port_id:
            raise InvalidArgumentError(f"a porting request id (e.g. 'port_abc123') is needed, not {port_id!r}")
        action = f"Reading porting request {port_id}"
        response = self._send("GET", f"{API_PREFIX}/porting/{quote(port_id, safe='')}", action)
        return self._read(response, action, dict, lambda envelope: _porting_request(envelope["data"]))

    # --- one request, with retries ------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        action: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        absent_means_done: bool = False,
    ) -> Response:
        """Send one request, retrying per the policy. Returns the successful response, or the 404
        when ``absent_means_done`` and a retry found nothing after an uncertain attempt. Raises
        the typed error of the final status, or TransportError when no response came at all."""
        retryable = method in RETRYABLE_METHODS
        max_retries = self.retry_policy.max_retries if retryable else 0
        uncertain = False  # did an earlier attempt perhaps take effect?
        retry = 0
        while True:
            attempts = retry + 1
            try:
                response = self._exchange(method, path, params, body)
            except httpx.RequestError as failure:
                maybe_sent = not isinstance(failure, _NOT_SENT)
                if isinstance(failure, _TRANSIENT) and not isinstance(failure, _NOT_RETRIED) and retry < max_retries:
                    uncertain = uncertain or maybe_sent
                    self._wait(method, path, retry, None, f"no response ({type(failure).__name__})")
                    retry += 1
                    continue
                raise self._transport_error(method, action, failure, attempts, maybe_sent) from None

            status = response.status_code
            if absent_means_done and uncertain and status == 404:
                logger.info("%s %s: 404 after an uncertain attempt; counted as done", method, path)
                return response
            if status in RETRYABLE_STATUSES and retry < max_retries:
                uncertain = uncertain or status != 429
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                self._wait(method, path, retry, retry_after, f"HTTP {status}")
                retry += 1
                continue
            if not response.is_success:
                raise self._status_error(method, action, response, attempts)
            return response

    def _exchange(self, method: str, path: str, params: Mapping[str, Any] | None, body: Any) -> Response:
        """One request and its whole response, read and closed."""
        if self._pool is not None:
            target = f"{path}?{urlencode(params)}" if params else path
            if body is None:
                return self._pool.request(method, target)
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            return self._pool.request(method, target, content, "application/json")
        assert self._transport is not None
        request = httpx.Request(
            method,
            self.base_url + path,
            params=params,
            json=body,
            headers=self._headers,
            extensions={"timeout": self._timeout},
        )
        response = self._transport.handle_request(request)
        try:
            response.request = request
            response.read()
        finally:
            response.close()
        return response

    def _wait(self, method: str, path: str, retry: int, retry_after: float | None, reason: str) -> None:
        delay = self.retry_policy.delay(retry, retry_after, self._random.uniform)
        logger.info(
            "%s %s: %s; retry %d of %d in %.2f s",
            method, path, reason, retry + 1, self.retry_policy.max_retries, delay,
        )
        self._sleep(delay)

    # --- responses -> records or typed errors -------------------------------------------------

    def _read_number(self, response: Response, action: str) -> NumberRecord:
        return self._read(response, action, dict, lambda envelope: _number_record(envelope["data"]))

    def _read(
        self, response: Response, action: str, expected: type, build: Callable[[dict[str, Any]], _T]
    ) -> _T:
        """``build(envelope)`` of a successful response whose ``data`` is of the ``expected`` JSON
        type; else OrbitError, saying what came instead."""
        try:
            envelope = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._error(
                OrbitError,
                f"{action} failed: Orbit answered HTTP {response.status_code} with a body that is "
                f"not JSON ({_content_type(response)}: {_preview(response)})",
                response=response,
            ) from None
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if not isinstance(data, expected):
            shape = "a list" if expected is list else "an object"
            raise self._error(
                OrbitError,
                f"{action} failed: Orbit's response is not the documented envelope "
                f"(expected {{\"data\": {shape}, \"meta\": ...}}, got {_preview(response)})",
                response=response,
            )
        try:
            return build(envelope)
        except _Malformed as problem:
            raise self._error(
                OrbitError,
                f"{action} failed: Orbit's response is not the documented shape ({problem})",
                response=response,
            ) from None

    def _status_error(self, method: str, action: str, response: Response, attempts: int) -> OrbitError:
        status = response.status_code
        code, server_message, details = _error_envelope(response)
        after = f" after {attempts} attempts" if attempts > 1 else ""
        field_errors: dict[str, str] = {}
        extra: dict[str, Any] = {}
        cls: type[OrbitError]

        if status in (401, 403):
            cls, what = AuthenticationError, "Orbit refused the API key; check ORBIT_API_KEY"
        elif status == 404:
            cls, what = NotFoundError, "not found"
        elif status == 409:
            cls, what = ConflictError, "conflict with the account's current state"
        elif status == 422:
            cls, what = ValidationError, "Orbit rejected the request as invalid"
            for detail in details:
                name, text = detail
                if name:
                    field_errors[name] = f"{field_errors[name]}; {text}" if name in field_errors else text
            if details and not all(text in (server_message or "") for _, text in details):
                what += ": " + "; ".join(f"{name}: {text}" if name else text for name, text in details)
            extra["field_errors"] = field_errors
        elif status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            cls, what = RateLimitedError, f"Orbit is rate limiting this API key{after}"
            if retry_after is not None:
                what += f"; it asked to wait {retry_after:g} s"
            extra["retry_after"] = retry_after
        elif status >= 500:
            cls, what = ServerError, f"Orbit had a server error{after}"
            if method not in RETRYABLE_METHODS:
                what += "; whether it took effect is unknown: look at the account before trying again"
                extra["outcome_unknown"] = True
        elif status in (301, 302, 303, 307, 308):
            location = response.headers.get("Location", "elsewhere")
            cls, what = OrbitError, f"Orbit redirected the request to {location}; set ORBIT_API_URL to that address"
        else:
            cls, what = OrbitError, "Orbit refused the request"

        said = f"HTTP {status}"
        if code:
            said += f" {code}"
        if server_message:
            said += f": {server_message}"
        elif code is None and response.content:
            said += f", not Orbit's error envelope: {_preview(response)}"
        return self._error(cls, f"{action} failed: {what} ({said})", response=response, status=status, **extra)

    def _transport_error(
        self, method: str, action: str, failure: httpx.RequestError, attempts: int, maybe_sent: bool
    ) -> TransportError:
        if isinstance(failure, httpx.TimeoutException):
            what = f"no answer from {self.base_url} within {self.timeout:g} s"
        elif isinstance(failure, httpx.ConnectError):
            what = f"could not connect to {self.base_url}"
        else:
            what = f"the connection to {self.base_url} failed"
        detail = str(failure) or type(failure).__name__
        message = f"{action} failed: {what} ({detail})"
        if isinstance(failure, httpx.ConnectError):
            message += (
                f"; check the base URL ({BASE_URL_VARIABLE}, default {DEFAULT_BASE_URL}) and that "
                "this machine can reach it"
            )
        if attempts > 1:
            message += f" after {attempts} attempts"
        outcome_unknown = method not in RETRYABLE_METHODS and maybe_sent
        if outcome_unknown:
            message += "; whether it took effect is unknown: look at the account before trying again"
        elif method not in RETRYABLE_METHODS:
            message += "; the request was not sent, so nothing changed"
        return self._error(TransportError, message, outcome_unknown=outcome_unknown)

    def _error(self, cls: type[_E], message: str, *, response: Response | None = None, **kw: Any) -> _E:
        """An exception of ``cls`` whose message is free of the key and names the request id."""
        request_id = _request_id(response) if response is not None else None
        if request_id:
            message += f" [request id {request_id}]"
        if response is not None:
            kw.setdefault("status", response.status_code)
        if "field_errors" in kw:
            kw["field_errors"] = {field: self._auth.redact(text) for field, text in kw["field_errors"].items()}
        return cls(self._auth.redact(message), request_id=request_id, **kw)


def _proxy(base_url: str) -> str | None:
    """The proxy the environment names for ``base_url``, if any (``HTTPS_PROXY``, ``HTTP_PROXY``,
    ``ALL_PROXY``, ``NO_PROXY``), as httpx.Client would find it."""
    parts = urlsplit(base_url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy or None


# --- validation of arguments --------------------------------------------------------------------


def _check_api_key(api_key: object) -> None:
    if not isinstance(api_key, str) or not api_key:
        raise ConfigurationError("the API key must be a non-empty string")
    if not all("!" <= char <= "~" for char in api_key):
        raise ConfigurationError(
            "the API key contains a space, a line break or a non-ASCII character, which cannot be "
            "sent in an HTTP header; copy it again without extra characters"
        )


def _checked_base_url(base_url: object) -> str:
    """The base URL without a trailing slash, and without the API's own prefix (``/api/v1`` or
    ``/api/v1/numbers``, as the API page writes it) when it was given one: the client adds it."""
    example = "e.g. https://api.orbit.devotel.io"
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigurationError(f"the base URL must be an http(s) URL ({example})")
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"the base URL must be an http(s) URL ({example}), not {base_url!r}")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"the base URL cannot carry a query or fragment ({example}), not {base_url!r}")
    for prefix in (API_PREFIX, API_VERSION_PREFIX):
        if parts.path.endswith(prefix):
            return url[: -len(prefix)]
    return url


def _check_range(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be a whole number from {low} to {high}, not {value!r}")


def _capability_list(capabilities: Sequence[str] | str) -> list[str]:
    """A list of capabilities; a single string is read as comma-separated ("sms,voice")."""
    if isinstance(capabilities, str):
        return [part.strip() for part in capabilities.split(",") if part.strip()]
    return list(capabilities)


def _number_path(number_id: str) -> str:
    if not isinstance(number_id, str) or not number_id:
        raise InvalidArgumentError(f"a number id (e.g. 'num_abc123') is needed, not {number_id!r}")
    return f"{API_PREFIX}/{quote(number_id, safe='')}"


# --- reading responses --------------------------------------------------------------------------


def _required(row: Mapping[str, Any], key: str, kind: type | tuple[type, ...] = str) -> Any:
    if key not in row:
        raise _Malformed(f"a record lacks {key!r}")
    value = row[key]
    if not isinstance(value, kind):
        raise _Malformed(f"{key!r} is {value!r}")
    return value


def _row(row: object) -> Mapping[str, Any]:
    if not isinstance(row, dict):
        raise _Malformed(f"expected an object, got {json.dumps(row)[:_BODY_PREVIEW]}")
    return row


def _string_tuple(row: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = _required(row, key, list)
    if not all(isinstance(value, str) for value in values):
        raise _Malformed(f"{key!r} is {values!r}, not a list of strings")
    return tuple(values)


def _available_number(row: object) -> AvailableNumber:
    row = _row(row)
    cost = _required(row, "monthly_cost", (str, int, float))
    try:
        monthly_cost = Decimal(str(cost))
    except InvalidOperation:
        raise _Malformed(f"'monthly_cost' is {cost!r}, not a decimal") from None
    if not monthly_cost.is_finite():
        raise _Malformed(f"'monthly_cost' is {cost!r}, not a decimal")
    region = row.get("region")
    inventory_id = row.get("id")
    return AvailableNumber(
        number=_required(row, "number"),
        country=_required(row, "country"),
        type=_required(row, "type"),
        capabilities=_string_tuple(row, "capabilities"),
        monthly_cost=monthly_cost,
        currency=_required(row, "currency"),
        region=region if isinstance(region, str) else None,
        id=inventory_id if isinstance(inventory_id, str) else None,
        placeholder=row.get("placeholder") is True,
        fields=freeze(row),
    )


def _number_record(row: object) -> NumberRecord:
    row = _row(row)
    return NumberRecord(id=_required(row, "id"), number=_required(row, "number"), fields=freeze(row))


def _porting_request(row: object) -> PortingRequest:
    row = _row(row)
    return PortingRequest(
        id=_required(row, "id"),
        numbers=_string_tuple(row, "numbers"),
        status=_required(row, "status"),
        estimated_completion=_timestamp(row, "estimated_completion"),
        created_at=_timestamp(row, "created_at"),
        fields=freeze(row),
    )


def _timestamp(row: Mapping[str, Any], key: str) -> datetime | None:
    try:
        return parse_timestamp(row.get(key))
    except (TypeError, ValueError):
        raise _Malformed(f"{key!r} is {row.get(key)!r}, not an ISO 8601 timestamp") from None


def _next_cursor(envelope: Mapping[str, Any]) -> str | None:
    """The cursor of the next page, or None on the last page."""
    meta = envelope.get("meta")
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    if pagination is None:
        return None
    if not isinstance(pagination, dict):
        raise _Malformed(f"'meta.pagination' is {pagination!r}")
    if not pagination.get("has_more"):
        return None
    cursor = pagination.get("cursor")
    if not isinstance(cursor, str) or not cursor:
        raise _Malformed(f"'has_more' is true but the cursor is {cursor!r}")
    return cursor


def _error_envelope(response: Response) -> tuple[str | None, str | None, list[tuple[str | None, str]]]:
    """(code, message, [(field, message)...]) of an error envelope; Nones when it is not one."""
    try:
        envelope = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, None, []
    error = envelope.get("error") if isinstance(envelope, dict) else None
    if not isinstance(error, dict):
        return None, None, []
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    details: list[tuple[str | None, str]] = []
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and isinstance(detail.get("message"), str):
            field = detail.get("field")
            details.append((field if isinstance(field, str) and field else None, detail["message"]))
    return code or "", message, details


def _request_id(response: Response) -> str | None:
    try:
        envelope = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        envelope = None
    meta = envelope.get("meta") if isinstance(envelope, dict) else None
    request_id = meta.get("request_id") if isinstance(meta, dict) else None
    if isinstance(request_id, str) and request_id:
        return request_id
    return response.headers.get("X-Request-Id") or None


def _content_type(response: Response) -> str:
    content_type: str = response.headers.get("Content-Type", "no content type")
    return content_type.split(";")[0]


def _preview(response: Response) -> str:
    text = response.content[: _BODY_PREVIEW * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    if not text:
        return "an empty body"
    return repr(text[:_BODY_PREVIEW] + ("…" if len(text) > _BODY_PREVIEW else ""))
