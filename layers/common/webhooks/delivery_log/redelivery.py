"""Deliveries an admin asks for: a redelivery from the log, a recovery of every delivery of a time range
that failed or was skipped while the webhook was disabled, and a test event. All go through the queue and
the same deliver path (claimed, signed, logged), and keep to the caller's account."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from pydantic import ValidationError

from webhooks.catalogue import TEST_EVENT
from webhooks.delivery.message import DeliveryMessage, Trigger
from webhooks.delivery.record import DELIVERY_KEYS, DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.delivery_log.queries import (
    DeliveryFilters,
    LogPosition,
    as_seen_at,
    cursor_position,
    position_cursor,
    scope_of,
)
from webhooks.domain.errors import Conflict, InvalidInput, NotFound, RateLimited
from webhooks.domain.ids import delivery_id, new_test_event_id
from webhooks.domain.principal import Principal
from webhooks.domain.webhook import Webhook

TEST_EVENT_INTERVAL_SECONDS = 10
# Failed and skipped attempts one recovery call reads; the rest is reached with the cursor it returns.
RECOVERY_PAGE_SIZE = 50
# The statuses the log query keeps for a recovery to look at; `is_recoverable` then decides.
_RECOVERABLE_STATUSES = frozenset({DeliveryStatus.FAILED, DeliveryStatus.SKIPPED})


class WebhookLookup(Protocol):
    def get(self, account_id: str, webhook_id: str) -> Webhook | None: ...


class AttemptHistory(Protocol):
    def attempts(self, delivery_id: str) -> list[DeliveryRecord]: ...

    def page_for_webhook(
        self, account_id: str, webhook_id: str, filters: DeliveryFilters, start: LogPosition | None, limit: int
    ) -> tuple[list[DeliveryRecord], LogPosition | None]: ...


class MessageQueue(Protocol):
    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None: ...


class TestRateLimit(Protocol):
    def reserve_test_slot(
        self, account_id: str, webhook_id: str, now: datetime, interval_seconds: int
    ) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Accepted:
    """A delivery attempt queued (202): the receiver will see `webhook-id` = delivery_id."""

    delivery_id: str
    event_id: str
    attempt: int


@dataclass(frozen=True, slots=True)
class Recovery:
    """One page of a recovery: deliveries queued again, those whose body was not kept, and where to go on."""

    queued: list[Accepted]
    not_redeliverable: list[str]
    since: datetime
    until: datetime
    cursor: str | None


class ManualDeliveries:
    def __init__(
        self, webhooks: WebhookLookup, history: AttemptHistory, queue: MessageQueue, rate_limit: TestRateLimit
    ) -> None:
        self._webhooks = webhooks
        self._history = history
        self._queue = queue
        self._rate_limit = rate_limit

    def redeliver(
        self, principal: Principal, webhook_id: str, delivery_id_: str, now: datetime | None = None
    ) -> Accepted:
        """Queue the same delivery (same id, same body) as its next attempt, unless that attempt number is
        taken: by an attempt still in flight, or by a retry already queued (its claim would win, and this
        redelivery would be dropped as a duplicate after a 202)."""
        principal.require_admin()
        self._require_webhook(principal, webhook_id)
        attempts = self._attempts(principal, webhook_id, delivery_id_)
        if not attempts:
            raise NotFound(f"delivery {delivery_id_} not found")
        latest, moment = attempts[-1], now or datetime.now(UTC)
        if as_seen_at(latest, moment).status is DeliveryStatus.PENDING:
            raise Conflict("this delivery's latest attempt is still in flight; redeliver it once it is logged")
        if _retry_queued(latest, moment):
            raise Conflict(f"a retry of this delivery is queued for {latest.next_attempt_at:%Y-%m-%dT%H:%M:%SZ}")
        return self._send(_next_attempt(attempts))

    def recover(
        self,
        principal: Principal,
        webhook_id: str,
        *,
        since: datetime,
        until: datetime | None = None,
        cursor: str | None = None,
        now: datetime | None = None,
    ) -> Recovery:
        """Queue again every delivery whose latest attempt in [since, until) left it undelivered (see
        `is_recoverable`), newest first, one page per call. A delivery answered, retried or redelivered
        since, one whose retry is queued or in flight, or a test event, is left alone.

        `until` defaults to now and is returned: a continuation (same since and until, and the cursor)
        then never takes the attempts this recovery queued, which are requested after `until`.
        """
        principal.require_admin()
        webhook = self._require_webhook(principal, webhook_id)
        if not webhook.enabled:
            raise Conflict("the webhook is disabled; enable it to recover its deliveries")
        if since.tzinfo is None or (until is not None and until.tzinfo is None):
            raise InvalidInput("since and until need a time zone (RFC 3339)")
        moment = now or datetime.now(UTC)
        end = min(until or moment, moment)
        if since >= end:
            raise InvalidInput("since must be before until, and before now")
        filters = DeliveryFilters(statuses=_RECOVERABLE_STATUSES, since=since, until=end)
        scope = scope_of(principal.account_id, webhook_id, filters)
        start = cursor_position(cursor, scope) if cursor else None
        page, last = self._history.page_for_webhook(
            principal.account_id, webhook_id, filters, start, RECOVERY_PAGE_SIZE
        )
        candidates = (record.delivery_id for record in page if record.event != TEST_EVENT and is_recoverable(record))
        queued: list[Accepted] = []
        not_redeliverable: list[str] = []
        for delivery in dict.fromkeys(candidates):
            attempts = self._attempts(principal, webhook_id, delivery)
            if not attempts or not _still_undelivered(attempts, end, moment):
                continue
            try:
                queued.append(self._send(_next_attempt(attempts)))
            except Conflict:
                not_redeliverable.append(delivery)
        return Recovery(queued, not_redeliverable, since, end, position_cursor(last, scope) if last else None)

    def send_test(self, principal: Principal, webhook_id: str, now: datetime | None = None) -> Accepted:
        """Queue a `webhook.test` event for the webhook, at most one per TEST_EVENT_INTERVAL_SECONDS."""
        principal.require_admin()
        webhook = self._require_webhook(principal, webhook_id)
        if not webhook.enabled:
            raise Conflict("the webhook is disabled; enable it to send a test event")
        moment = now or datetime.now(UTC)
        wait = self._rate_limit.reserve_test_slot(principal.account_id, webhook_id, moment, TEST_EVENT_INTERVAL_SECONDS)
        if wait is not None:
            raise RateLimited(
                f"one test event per {TEST_EVENT_INTERVAL_SECONDS} seconds", retry_after=max(1, round(wait))
            )
        event_id = new_test_event_id()
        message = DeliveryMessage(
            delivery_id=delivery_id(event_id, webhook_id),
            event_id=event_id,
            event=TEST_EVENT,
            webhook_id=webhook_id,
            account_id=principal.account_id,
            environment=webhook.environment,
            occurred_at=moment,
            payload={
                "message": "A test event from the License Management Platform. No data changed.",
                "webhook_name": webhook.name,
                "requested_by": principal.subject,
            },
            trigger=Trigger.TEST,
        )
        self._queue.send(message)
        return Accepted(message.delivery_id, message.event_id, message.attempt)

    def _attempts(self, principal: Principal, webhook_id: str, delivery_id_: str) -> list[DeliveryRecord]:
        """The delivery's attempts, first first, if it belongs to this account's webhook (else none)."""
        return sorted(
            (
                record
                for record in self._history.attempts(delivery_id_)
                if (record.account_id, record.webhook_id) == (principal.account_id, webhook_id)
            ),
            key=lambda record: record.attempt,
        )

    def _send(self, message: DeliveryMessage) -> Accepted:
        self._queue.send(message)
        return Accepted(message.delivery_id, message.event_id, message.attempt)

    def _require_webhook(self, principal: Principal, webhook_id: str) -> Webhook:
        webhook = self._webhooks.get(principal.account_id, webhook_id)
        if webhook is None:
            raise NotFound(f"webhook {webhook_id} not found")
        return webhook


def _retry_queued(latest: DeliveryRecord, now: datetime) -> bool:
    """The retry policy has queued the next attempt (it is due later): that attempt number is taken."""
    return latest.next_attempt_at is not None and latest.next_attempt_at > now


def is_recoverable(attempt: DeliveryRecord) -> bool:
    """An attempt after which recovery sends the delivery again: it failed, or it was skipped because the
    webhook was disabled (disabling pauses a webhook). Other skips stay: the webhook no longer wants it."""
    return attempt.status is DeliveryStatus.FAILED or (
        attempt.status is DeliveryStatus.SKIPPED and attempt.error_kind is ErrorKind.WEBHOOK_DISABLED
    )


def _still_undelivered(attempts: list[DeliveryRecord], end: datetime, now: datetime) -> bool:
    """The latest attempt is recoverable and was made before `end`, and no retry of it is queued."""
    latest = attempts[-1]
    return is_recoverable(latest) and latest.requested_at < end and not _retry_queued(latest, now)


def _next_attempt(attempts: list[DeliveryRecord]) -> DeliveryMessage:
    """The delivery again, from the first attempt whose body was kept, numbered after the latest attempt."""
    original = next((record for record in attempts if record.request_body), None)
    if original is None or original.request_body is None:
        raise Conflict("this delivery's body was too large to keep, so it cannot be redelivered")
    return _message_from_log(original, original.request_body, attempts[-1].attempt + 1)


def _message_from_log(record: DeliveryRecord, body: str, attempt: int) -> DeliveryMessage:
    sent = json.loads(body)
    try:
        return DeliveryMessage(
            **{key: getattr(record, key) for key in DELIVERY_KEYS},
            environment=sent["environment"],
            occurred_at=sent["occurred_at"],
            payload=sent["payload"],
            previous_attributes=sent.get("previous_attributes"),
            attempt=attempt,
            trigger=Trigger.REDELIVER,
        )
    except (KeyError, ValidationError) as error:
        raise Conflict("this delivery's logged body cannot be redelivered") from error
