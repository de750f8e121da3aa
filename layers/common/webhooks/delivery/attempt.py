"""What delivering a batch keeps per message, and what the batch claim reports back.

Each message of a batch is one `BatchAttempt`; a step of the batch either moves it on (webhook read,
claim, POST, result) or settles it with its outcome or the exception that fails it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.webhook import Webhook

AttemptKey = tuple[str, int]  # (delivery_id, attempt): the delivery log's key


def attempt_key(record: DeliveryRecord) -> AttemptKey:
    return (record.delivery_id, record.attempt)


class ConcurrentMap(Protocol):
    """`ThreadPoolExecutor.map`, or anything that applies a function to each item and keeps the order."""

    def __call__[T, R](self, function: Callable[[T], R], items: Iterable[T], /) -> Iterable[R]: ...


def in_turn[T, R](function: Callable[[T], R], items: Iterable[T], /) -> list[R]:
    return [function(item) for item in items]


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """`outcome` is the record's status, or `duplicate` (already claimed) or `deferred` (not yet due)."""

    outcome: str
    record: DeliveryRecord | None = None
    disabled_webhook: bool = False


@dataclass(frozen=True, slots=True)
class Claim:
    """The answer to a claim: `token` when this call claimed the attempt; otherwise None, with the
    record that already holds it (as the refusal returned it; None if the store returned none)."""

    token: str | None
    earlier: DeliveryRecord | None = None


class ResultNotLogged(Exception):
    """The POST was made but its result could not be written: the claim stays `pending` (`unknown`)."""


@dataclass(slots=True)
class BatchAttempt:
    message: DeliveryMessage
    result: DeliveryOutcome | Exception | None = None
    webhook: Webhook | DamagedWebhook | None = None
    body: str = ""
    record: DeliveryRecord | None = None  # the claim: pending, or already `skipped` (or `failed`: damaged)
    headers: dict[str, str] = field(default_factory=dict)
    sent: SendResult | None = None

    def settle[**P](self, step: Callable[P, DeliveryOutcome], *args: P.args, **kwargs: P.kwargs) -> None:
        """The message's last step: its outcome, or the exception that fails this message alone."""
        try:
            self.result = step(*args, **kwargs)
        except Exception as error:  # one message's failure must not take the batch with it
            self.result = error

    def final(self) -> DeliveryOutcome | Exception:
        assert self.result is not None, "every step settles or moves on each open attempt"
        return self.result

    def claimed_record(self) -> DeliveryRecord:
        assert self.record is not None
        return self.record

    def claimed_webhook(self) -> Webhook:
        assert isinstance(self.webhook, Webhook)
        return self.webhook

    def send_result(self) -> SendResult:
        assert self.sent is not None
        return self.sent


def fail_all(attempts: list[BatchAttempt], error: Exception) -> None:
    for attempt in attempts:
        attempt.result = error


def open_signing_secrets(attempts: list[BatchAttempt], now: datetime, concurrent_map: ConcurrentMap = in_turn) -> None:
    """Opens the secrets each attempt about to POST will sign with (each webhook's at once), before any claim
    is written. A secret that does not open (KMS throttled or refused) fails its webhook's messages with nothing
    claimed, so SQS hands them over again; after the claim, the same failure would leave it pending, never sent."""
    signing = [
        attempt
        for attempt in attempts
        if isinstance(attempt.webhook, Webhook) and attempt.claimed_record().status is DeliveryStatus.PENDING
    ]
    webhooks = list({id(attempt.webhook): attempt.claimed_webhook() for attempt in signing}.values())
    opened = concurrent_map(lambda webhook: _opening_error(webhook, now), webhooks)
    errors = dict(zip(map(id, webhooks), opened, strict=True))
    for attempt in signing:
        if (error := errors[id(attempt.webhook)]) is not None:
            attempt.result = error


def _opening_error(webhook: Webhook, now: datetime) -> Exception | None:
    try:
        webhook.signing_secrets(now)
    except Exception as error:  # that webhook's messages fail alone
        return error
    return None
