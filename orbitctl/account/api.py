"""The Orbit Numbers API's shapes, as the client returns them, and its typed errors.

One module for the API's vocabulary (``orbit-numbers-api.txt``): the client builds these from the
JSON envelopes; nothing else parses raw responses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar, overload

# re-exported: the client's vocabulary names them too
from orbitctl.environment import API_KEY_VARIABLE as API_KEY_VARIABLE
from orbitctl.environment import BASE_URL_VARIABLE as BASE_URL_VARIABLE

_T = TypeVar("_T")

DEFAULT_BASE_URL = "https://api.orbit.devotel.io"
#: Where the API lives under the base URL, and the numbers API under it.
API_VERSION_PREFIX = "/api/v1"
API_PREFIX = f"{API_VERSION_PREFIX}/numbers"

#: The header that carries the API key.
API_KEY_HEADER = "X-API-Key"

#: How many API requests orbitctl runs at once unless told (``--parallelism``).
DEFAULT_PARALLELISM = 16

LIST_PAGE_DEFAULT = 25
LIST_PAGE_MAX = 200
SEARCH_LIMIT_DEFAULT = 100
SEARCH_LIMIT_MAX = 500

#: Keys PUT /numbers/{id} accepts.
CONFIGURE_KEYS = (
    "label",
    "status",
    "capabilities",
    "forwarding_number",
    "webhook_url",
    "sms_forwarding",
    "compliance_profile_id",
    "tags",
    "channel_config",
)


def routing_body(agent_id: str | None) -> dict[str, Any]:
    """The body of PUT /numbers/{phoneNumber}/routing. The API page names the endpoint and its
    field, ``agent_id``, but shows no request body: this is orbitctl's reading of it, kept here
    so that it is one line to change. ``None`` removes the agent."""
    return {"agent_id": agent_id}


class _Field(Generic[_T]):
    """A typed attribute read from a record's raw ``fields``: parsed on first access, then kept in
    the instance (a non-data descriptor, like ``functools.cached_property``), so a record costs
    nothing for the attributes nobody reads."""

    def __init__(self, parse: Callable[[object], _T], what: str):
        self._parse = parse
        self._what = what
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, record: None, owner: type) -> _Field[_T]: ...

    @overload
    def __get__(self, record: _Record, owner: type) -> _T: ...

    def __get__(self, record: _Record | None, owner: type) -> _Field[_T] | _T:
        if record is None:
            return self
        raw = record.fields.get(self._name)
        try:
            value = self._parse(raw)
        except (TypeError, ValueError, ArithmeticError):
            raise OrbitError(
                f"{record._describe()}: Orbit returned {self._name!r} as {raw!r}, not {self._what} "
                f"(the raw value is in .fields[{self._name!r}])"
            ) from None
        record.__dict__[self._name] = value  # frozen dataclasses forbid setattr, not __dict__
        return value


def _text(raw: object) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise TypeError


def _texts(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, (tuple, list)) and all(isinstance(item, str) for item in raw):
        return tuple(raw)
    raise TypeError


def _decimal(raw: object) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise TypeError
    value = Decimal(str(raw))
    if not value.is_finite():
        raise ValueError
    return value


def parse_timestamp(raw: object) -> datetime | None:
    """An ISO 8601 timestamp of the API (``2026-03-08T12:00:00Z``) as a datetime; one without a
    zone is taken as UTC."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise TypeError
    value = datetime.fromisoformat(raw)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _mapping(raw: object) -> Mapping[str, Any] | None:
    if raw is None or isinstance(raw, Mapping):
        return raw
    raise TypeError


_TEXT = "text"
_TEXTS = "a list of strings"
_TIMESTAMP = "an ISO 8601 timestamp"


class _Record:
    """What every record has: ``fields``, a read-only mapping of every field the API returned,
    as it returned it (lists as tuples), so a field that is absent can be told from one that is
    null; ``get(key)`` reads one."""

    fields: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def _describe(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class AvailableNumber(_Record):
    """A row of GET /numbers/available (checked and parsed when the client reads it)."""

    number: str
    country: str
    type: str
    capabilities: tuple[str, ...]
    monthly_cost: Decimal
    currency: str
    region: str | None = None
    id: str | None = None
    placeholder: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class NumberRecord(_Record):
    """A number of the account: a list item (fewer fields) or the detail of GET /numbers/{id}.

    ``id`` and ``number`` are checked when the client reads the record; every other attribute is
    parsed from ``fields`` on first access, and is ``None`` (``()`` for a list) when the field is
    absent or null. A value of the wrong type raises OrbitError when it is read.
    """

    id: str
    number: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    country = _Field(_text, _TEXT)
    type = _Field(_text, _TEXT)
    label = _Field(_text, _TEXT)
    status = _Field(_text, _TEXT)
    capabilities = _Field(_texts, _TEXTS)
    tags = _Field(_texts, _TEXTS)
    monthly_cost = _Field(_decimal, "a decimal")
    currency = _Field(_text, _TEXT)
    created_at = _Field(parse_timestamp, _TIMESTAMP)
    updated_at = _Field(parse_timestamp, _TIMESTAMP)
    sms_webhook_url = _Field(_text, _TEXT)
    voice_webhook_url = _Field(_text, _TEXT)
    webhook_url = _Field(_text, _TEXT)
    forwarding_number = _Field(_text, _TEXT)
    sms_forwarding = _Field(_text, _TEXT)
    compliance_profile_id = _Field(_text, _TEXT)
    channel_config = _Field(_mapping, "an object")
    agent_id = _Field(_text, _TEXT)

    def _describe(self) -> str:
        return f"number {self.id}"


@dataclass(frozen=True)
class RoutingRecord(_Record):
    """What PUT /numbers/{phoneNumber}/routing answered, for ``number``.

    The page documents no response for it: ``fields`` holds the object the API returned in
    ``data`` (empty when it returned no body), so callers tell ``"agent_id" in fields`` from its
    absence and read the number back (GET /numbers/{id}) when it is absent.
    """

    number: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    agent_id = _Field(_text, _TEXT)

    def _describe(self) -> str:
        return f"the routing of {self.number}"


@dataclass(frozen=True)
class PortingRequest(_Record):
    """A port request (POST /porting, GET /porting/{id}), checked and parsed when read."""

    id: str
    numbers: tuple[str, ...]
    status: str
    estimated_completion: datetime | None = None
    created_at: datetime | None = None
    fields: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


# --- errors -----------------------------------------------------------------------------------


class OrbitError(Exception):
    """Any failure talking to Orbit. ``status`` is the HTTP status (None: no response).

    ``outcome_unknown`` is true when a request that changes the account (a purchase, a port) may
    or may not have taken effect: look at the account before trying it again.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.outcome_unknown = outcome_unknown


class ConfigurationError(OrbitError, ValueError):
    """The client cannot be set up as asked, before any request: ``ORBIT_API_KEY`` missing or not
    sendable, a base URL that is not an http(s) URL, a timeout that is not a positive number."""


class InvalidArgumentError(OrbitError, ValueError):
    """A call's argument the client refuses before sending anything (a limit out of range, a key
    ``configure()`` does not accept, an empty number id)."""


class AuthenticationError(OrbitError):
    """401/403: the key is missing, malformed or refused."""


class NotFoundError(OrbitError):
    """404: no such number (or endpoint)."""


class ConflictError(OrbitError):
    """409: e.g. the number is no longer available."""


class ValidationError(OrbitError):
    """422: the API refused a parameter or body; ``field_errors`` maps field -> message."""

    def __init__(self, message: str, *, field_errors: Mapping[str, str] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.field_errors = dict(field_errors or {})


class RateLimitedError(OrbitError):
    """429 after the retries ran out; ``retry_after`` in seconds when the API said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(OrbitError):
    """5xx after the retries ran out (or at once for a POST)."""


class TransportError(OrbitError):
    """No response: connection refused or dropped, timeout. For a POST the outcome is unknown."""
