"""Opt-in retries: exponential backoff with full jitter, Retry-After honoured (capped), on SQS delays.

SQS delays a message by at most 15 minutes; a longer wait is a chain of re-sends, each carrying the
time the attempt is due (`not_before`), so a backoff of hours still runs on SQS alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

from webhooks.delivery.attempt import DeliveryOutcome
from webhooks.delivery.message import DeliveryMessage, Trigger
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind
from webhooks.domain.webhook import RetryPolicy

SQS_MAX_DELAY_SECONDS = 900
MAX_ATTEMPTS = 10
# The attempts a webhook's retry policy applies to: an event's own and its retries (not a manual resend).
RETRIED_TRIGGERS = frozenset({Trigger.EVENT, Trigger.RETRY})
_RETRYABLE_STATUSES = frozenset({408, 425, 429}) | frozenset(range(500, 600))
_RETRYABLE_ERRORS = frozenset({ErrorKind.TIMEOUT, ErrorKind.CONNECTION, ErrorKind.TLS, ErrorKind.DNS})


def is_retryable(result: SendResult) -> bool:
    """Transient failures only: a refused address, a redirect or a 4xx will not change by waiting."""
    if result.error_kind is ErrorKind.HTTP_STATUS:
        return result.http_status in _RETRYABLE_STATUSES
    return result.error_kind in _RETRYABLE_ERRORS


def backoff_seconds(
    policy: RetryPolicy,
    failed_attempt: int,
    retry_after_seconds: float | None = None,
    uniform: Callable[[float, float], float] = random.uniform,
) -> int:
    """The wait before the attempt after `failed_attempt`: full jitter over the exponential cap,
    at least what Retry-After asked for, never more than the policy's maximum."""
    ceiling = min(policy.max_backoff_seconds, policy.initial_backoff_seconds * 2 ** (failed_attempt - 1))
    jittered = uniform(0, ceiling)
    wanted = max(jittered, retry_after_seconds or 0)
    return max(1, round(min(wanted, policy.max_backoff_seconds)))


def next_attempt_at(
    policy: RetryPolicy | None,
    failed_attempt: int,
    result: SendResult,
    now: datetime,
    uniform: Callable[[float, float], float] = random.uniform,
) -> datetime | None:
    """When to try again, or None when the policy (or its absence) says this was the last attempt."""
    if policy is None or failed_attempt >= min(policy.max_attempts, MAX_ATTEMPTS) or not is_retryable(result):
        return None
    return now + timedelta(seconds=backoff_seconds(policy, failed_attempt, result.retry_after_seconds, uniform))


def sqs_delay_until(due: datetime, now: datetime) -> int:
    """The DelaySeconds of the next hop towards `due` (0 when due)."""
    return max(0, min(SQS_MAX_DELAY_SECONDS, int((due - now).total_seconds() + 0.999)))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # str.isdigit() also accepts superscripts, which float() refuses
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - now).total_seconds()) if moment.tzinfo else None


class OneMessageQueue(Protocol):
    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None: ...


def queue_until_due(queue: OneMessageQueue, message: DeliveryMessage, now: datetime) -> DeliveryOutcome:
    """Send the message again, delayed towards its `not_before` (a wait past SQS's 15 minutes is chained)."""
    assert message.not_before is not None
    queue.send(message, sqs_delay_until(message.not_before, now))
    return DeliveryOutcome("deferred")
