"""Sending an idempotent request again after an HTTP 500, which the client does not retry.

The client retries GET/PUT/DELETE on 429 and 502/503/504 (SPEC section 5); a plain 500 comes
straight back. For the executor's reads, PUTs and DELETEs — all safe to send twice — a 500 is
worth a couple more attempts before an action is given up. Never used for a purchase.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from orbitctl.api import ServerError
from orbitctl.retry import RETRYABLE_STATUSES

#: Attempts after the first, and the first pause (doubled each time).
EXTRA_ATTEMPTS = 2
FIRST_PAUSE = 0.1

T = TypeVar("T")


def resend_on_500(call: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
    """``call()``, sent again up to ``EXTRA_ATTEMPTS`` times while it fails with HTTP 500 (unless
    the client retries 500 itself)."""
    attempt = 0
    while True:
        try:
            return call()
        except ServerError as problem:
            if problem.status != 500 or 500 in RETRYABLE_STATUSES or attempt == EXTRA_ATTEMPTS:
                raise
            sleep(FIRST_PAUSE * 2**attempt)
            attempt += 1
