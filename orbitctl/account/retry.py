"""When the client tries a request again, and how long it waits first (SPEC section 5).

Only idempotent methods are retried (GET, PUT, DELETE), on a failure that another attempt may
cure: no connection, a timeout, 429 and 500/502/503/504 (SPEC section 5 names 502/503/504; a 500
on an idempotent request is retried too, as the AWS and Google SDKs do: sending it again cannot
do harm, and Orbit's transient faults are not all 503s). The wait is capped exponential backoff with
full jitter; a ``Retry-After`` from the server is honoured instead, up to the same cap.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from orbitctl.account.api import ConfigurationError

#: Methods safe to send twice: a second PUT sets the same values, a second DELETE finds nothing.
RETRYABLE_METHODS = frozenset({"GET", "PUT", "DELETE"})

#: Statuses that say "try again later" rather than "this request is wrong".
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_retries`` retries after the first attempt; waits drawn per :meth:`delay`."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be 0 or more, not {self.max_retries}")
        if not (self.backoff_base >= 0 and math.isfinite(self.backoff_base)):
            raise ConfigurationError(f"backoff_base must be a finite number of seconds >= 0, not {self.backoff_base}")
        if not (self.backoff_cap >= 0 and math.isfinite(self.backoff_cap)):
            raise ConfigurationError(f"backoff_cap must be a finite number of seconds >= 0, not {self.backoff_cap}")

    def backoff_ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (0 for the first): base·2^retry, capped."""
        if retry >= 64:  # 2**64 · base overflows nothing in Python, but is far past any cap
            return self.backoff_cap
        return min(self.backoff_cap, self.backoff_base * 2.0**retry)

    def delay(
        self,
        retry: int,
        retry_after: float | None = None,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> float:
        """Seconds to wait before retry number ``retry``.

        With a server's ``Retry-After``: exactly that, capped at ``backoff_cap``. Without: full
        jitter, a uniform draw from ``[0, min(cap, base·2^retry)]``, so that many workers
        refused at once do not all come back at the same instant.
        """
        if retry_after is not None:
            return min(self.backoff_cap, max(0.0, retry_after))
        return uniform(0.0, self.backoff_ceiling(retry))


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": a UTC time from a source that does not say where it is
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())
