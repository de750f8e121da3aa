"""Retry scheduling: exponential backoff with full jitter, Retry-After, the attempt cap, SQS hops."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.builders import NOW
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind
from webhooks.delivery.retry import backoff_seconds, next_attempt_at, parse_retry_after, sqs_delay_until
from webhooks.domain.webhook import RetryPolicy

POLICY = RetryPolicy(max_attempts=5, initial_backoff_seconds=30, max_backoff_seconds=3600)
UNAVAILABLE = SendResult(http_status=503, error_kind=ErrorKind.HTTP_STATUS)


def highest(low: float, high: float) -> float:
    return high


@pytest.mark.parametrize(("failed_attempt", "ceiling"), [(1, 30), (2, 60), (3, 120), (8, 3600), (9, 3600)])
def test_the_backoff_ceiling_doubles_up_to_the_maximum(failed_attempt: int, ceiling: int) -> None:
    assert backoff_seconds(POLICY, failed_attempt, uniform=highest) == ceiling


def test_jitter_is_full_between_zero_and_the_ceiling() -> None:
    seen: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        seen.append((low, high))
        return (low + high) / 2

    assert backoff_seconds(POLICY, 3, uniform=record) == 60
    assert seen == [(0, 120)]


def test_retry_after_is_honoured_but_capped_by_the_policy() -> None:
    assert backoff_seconds(POLICY, 1, retry_after_seconds=600, uniform=highest) == 600
    assert backoff_seconds(POLICY, 1, retry_after_seconds=86_400, uniform=highest) == 3600


def test_the_last_attempt_and_permanent_failures_are_not_retried() -> None:
    assert next_attempt_at(POLICY, 4, UNAVAILABLE, NOW, highest) == NOW + timedelta(seconds=240)
    assert next_attempt_at(POLICY, 5, UNAVAILABLE, NOW, highest) is None
    assert next_attempt_at(None, 1, UNAVAILABLE, NOW, highest) is None
    for permanent in (
        SendResult(http_status=400, error_kind=ErrorKind.HTTP_STATUS),
        SendResult(http_status=410, error_kind=ErrorKind.HTTP_STATUS),
        SendResult(http_status=302, error_kind=ErrorKind.REDIRECT),
        SendResult(error_kind=ErrorKind.BLOCKED_ADDRESS),
    ):
        assert next_attempt_at(POLICY, 1, permanent, NOW, highest) is None
    for transient in (
        SendResult(error_kind=ErrorKind.TIMEOUT),
        SendResult(http_status=429, error_kind=ErrorKind.HTTP_STATUS),
    ):
        assert next_attempt_at(POLICY, 1, transient, NOW, highest) is not None


def test_a_wait_longer_than_sqs_allows_is_taken_in_hops_of_at_most_15_minutes() -> None:
    assert sqs_delay_until(NOW + timedelta(hours=1), NOW) == 900
    assert sqs_delay_until(NOW + timedelta(seconds=61.2), NOW) == 62
    assert sqs_delay_until(NOW - timedelta(seconds=5), NOW) == 0


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Sun, 29 Nov 2026 10:02:00 GMT", NOW) == pytest.approx(119.877)
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize("value", ["\u00b2", "\u00b9\u00b2\u00b3", "-5", "1e3", "12.5"])
def test_a_retry_after_that_is_not_ascii_delta_seconds_nor_a_date_is_ignored(value: str) -> None:
    # Given a Retry-After a receiver controls (headers are read as latin-1, so superscript digits arrive)
    # When it is read, Then it is ignored rather than raising
    assert parse_retry_after(value, NOW) is None
