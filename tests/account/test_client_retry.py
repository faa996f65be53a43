"""The retry policy on its own (orbitctl/account/retry.py): ceilings, jitter bounds, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from orbitctl.account.retry import RETRYABLE_METHODS, RETRYABLE_STATUSES, RetryPolicy, parse_retry_after


def test_only_idempotent_methods_and_transient_statuses_are_retryable():
    assert {"GET", "PUT", "DELETE"} == RETRYABLE_METHODS
    assert {429, 500, 502, 503, 504} == RETRYABLE_STATUSES


def test_backoff_ceiling_doubles_from_the_base_until_the_cap():
    policy = RetryPolicy(max_retries=10, backoff_base=0.5, backoff_cap=5.0)
    assert [policy.backoff_ceiling(retry) for retry in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.backoff_ceiling(1000) == 5.0


def test_delay_without_retry_after_draws_uniformly_up_to_the_ceiling():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=8.0)
    draws = []

    def uniform(low, high):
        draws.append((low, high))
        return high / 2

    assert policy.delay(2, None, uniform) == 2.0
    assert draws == [(0.0, 4.0)]


def test_delay_with_retry_after_is_that_many_seconds_capped():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=8.0)

    def no_jitter(low, high):
        raise AssertionError("Retry-After must not be jittered")

    assert policy.delay(0, 3.0, no_jitter) == 3.0
    assert policy.delay(0, 99.0, no_jitter) == 8.0
    assert policy.delay(0, 0.0, no_jitter) == 0.0


@pytest.mark.parametrize(
    ("kw", "words"),
    [({"max_retries": -1}, "max_retries"), ({"backoff_base": float("nan")}, "backoff_base"),
     ({"backoff_cap": -1}, "backoff_cap")],
)
def test_bad_policies_are_refused(kw, words):
    with pytest.raises(ValueError, match=words):
        RetryPolicy(**kw)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("5", 5.0), (" 1.5 ", 1.5), ("0", 0.0), (None, None), ("", None), ("soon", None), ("-3", None),
     ("inf", None), ("nan", None)],
)
def test_parse_retry_after_seconds(header, seconds):
    assert parse_retry_after(header) == seconds


def test_parse_retry_after_http_date_counts_from_now():
    now = datetime(2026, 3, 8, 12, 0, 0, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2026, 3, 8, 12, 0, 42, tzinfo=UTC), usegmt=True)
    earlier = format_datetime(datetime(2026, 3, 8, 11, 0, 0, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(later, now=lambda: now) == 42.0
    assert parse_retry_after(earlier, now=lambda: now) == 0.0


def test_parse_retry_after_http_date_without_a_zone_is_utc():
    now = datetime(2026, 3, 8, 12, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("Sun, 08 Mar 2026 12:00:05 -0000", now=lambda: now) == 5.0
