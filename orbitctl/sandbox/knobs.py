"""The knobs that make the sandbox slow, flaky or strict on purpose, for tests and benchmarks.

- ``latency_ms``: every request sleeps this long first (holding no lock, so requests overlap).
- ``error_rate``: the share of requests answered 500 or 503 before anything happens (seeded).
- ``rate_limit``: requests per second (a token bucket of one second's worth); beyond it, 429 with
  ``Retry-After`` (whole seconds, at least 1).
- ``lose_purchase_responses``: the first N purchases commit, then answer 503 (a lost response).
- ``fail_configure``: the first N PUTs answer 500 before any state change.
- ``hold_purchase_ms``: every purchase commits, then its response is held this long (the window
  in which a client killed while a purchase is in flight has bought a number it never heard of).
- ``search_limit``: the most rows one inventory search returns, whatever its ``limit`` asks (the
  API's cap is 500), so that a test of a pool larger than one search stays small.
"""

from __future__ import annotations

import math
import random
import threading
import time

from orbitctl.sandbox.errors import ApiError
from orbitctl.sandbox.validation import SEARCH_LIMIT_MAX


class Faults:
    def __init__(
        self,
        *,
        seed: int = 0,
        latency_ms: float = 0,
        error_rate: float = 0.0,
        rate_limit: float | None = None,
        lose_purchase_responses: int = 0,
        fail_configure: int = 0,
        hold_purchase_ms: float = 0,
        search_limit: int = SEARCH_LIMIT_MAX,
    ):
        if latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if hold_purchase_ms < 0:
            raise ValueError("hold_purchase_ms must be >= 0")
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError("rate_limit must be > 0 requests per second")
        if lose_purchase_responses < 0 or fail_configure < 0:
            raise ValueError("fault counts must be >= 0")
        if not 1 <= search_limit <= SEARCH_LIMIT_MAX:
            raise ValueError(f"search_limit must be from 1 to {SEARCH_LIMIT_MAX}")
        self.latency = latency_ms / 1000.0
        self.purchase_hold = hold_purchase_ms / 1000.0
        self.error_rate = error_rate
        self.rate_limit = rate_limit
        self.search_limit = search_limit
        #: fault -> how many more requests it strikes
        self._left = {"lose_purchase_response": lose_purchase_responses, "fail_configure": fail_configure}
        self._random = random.Random(seed)
        self._tokens = max(1.0, rate_limit or 0.0)
        self._refilled_at = time.monotonic()
        self._lock = threading.Lock()

    def delay(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    def check_rate(self) -> None:
        """429 when the bucket is empty; otherwise spend one token."""
        if self.rate_limit is None:
            return
        with self._lock:
            now = time.monotonic()
            capacity = max(1.0, self.rate_limit)
            self._tokens = min(capacity, self._tokens + (now - self._refilled_at) * self.rate_limit)
            self._refilled_at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            wait = (1.0 - self._tokens) / self.rate_limit
        retry_after = max(1, math.ceil(wait))
        raise ApiError(
            429,
            f"Rate limit of {self.rate_limit:g} requests per second exceeded; retry after {retry_after}s.",
            headers=[("Retry-After", str(retry_after))],
        )

    def maybe_fail(self) -> None:
        """A seeded 500 or 503 for ``error_rate`` of the requests."""
        if not self.error_rate:
            return
        with self._lock:
            failing = self._random.random() < self.error_rate
            status = self._random.choice((500, 503)) if failing else 0
        if status == 500:
            raise ApiError(500, "Internal error (injected by the sandbox's --error-rate).")
        if status == 503:
            raise ApiError(503, "Service unavailable (injected by the sandbox's --error-rate).")

    def hold_purchase(self) -> None:
        """After a purchase committed: wait ``hold_purchase_ms`` before answering."""
        if self.purchase_hold:
            time.sleep(self.purchase_hold)

    def lose_purchase_response(self) -> bool:
        """True for the first N purchases: they commit, but the caller answers 503."""
        return self._strike("lose_purchase_response")

    def fail_configure(self) -> bool:
        """True for the first N PUTs: answer 500 before any state change."""
        return self._strike("fail_configure")

    def _strike(self, fault: str) -> bool:
        with self._lock:
            if self._left[fault] > 0:
                self._left[fault] -= 1
                return True
            return False
