"""The Orbit Numbers API's shapes, as the client returns them, and its typed errors.

One module for the API's vocabulary (``orbit-numbers-api.txt``): the client builds these from the
JSON envelopes; nothing else parses raw responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

DEFAULT_BASE_URL = "https://api.orbit.devotel.io"
API_PREFIX = "/api/v1/numbers"

#: The header that carries the API key.
API_KEY_HEADER = "X-API-Key"
#: The environment variable that holds the API key.
API_KEY_VARIABLE = "ORBIT_API_KEY"

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


@dataclass(frozen=True)
class AvailableNumber:
    """A row of GET /numbers/available."""

    number: str
    country: str
    type: str
    capabilities: tuple[str, ...]
    monthly_cost: Decimal
    currency: str
    region: str | None = None
    id: str | None = None
    placeholder: bool = False


@dataclass(frozen=True)
class NumberRecord:
    """A number of the account: a list item (fewer fields) or the detail of GET /numbers/{id}.

    ``fields`` holds every field the API returned, as it returned it (tags, webhooks, forwarding,
    channel_config, ...), so callers can tell a field that is absent from one that is null.
    """

    id: str
    number: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


@dataclass(frozen=True)
class RoutingRecord:
    """What PUT /numbers/{phoneNumber}/routing answered, for ``number``.

    The page documents no response for it: ``fields`` holds the object the API returned in
    ``data`` (empty when it returned no body), so callers tell ``"agent_id" in fields`` from its
    absence and read the number back (GET /numbers/{id}) when it is absent.
    """

    number: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


@dataclass(frozen=True)
class PortingRequest:
    id: str
    numbers: tuple[str, ...]
    status: str
    estimated_completion: str | None = None
    created_at: str | None = None


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
