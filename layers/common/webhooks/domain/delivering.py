"""Delivering one queue message: claim the attempt, re-check the webhook, sign, POST once, log, retry.

Exactly one POST per (delivery id, attempt): the conditional claim comes first, so a message SQS
hands over twice finds its attempt claimed and sends nothing. A crash after the claim leaves a
`pending` record that the read side shows as `unknown`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from webhooks.catalogue import TEST_EVENT, Environment, matches
from webhooks.domain.delivery import DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.domain.messages import DeliveryMessage, Trigger
from webhooks.domain.retry import next_attempt_at, sqs_delay_until
from webhooks.domain.sending import OutboundRequest, Sender, SendResult
from webhooks.domain.signing import SIGNATURE_HEADER, encode_body, signed_headers
from webhooks.domain.webhook import Webhook

# The request body is kept for redelivery only while a DynamoDB item (400 KB) can hold it.
STORED_BODY_LIMIT_BYTES = 256 * 1024
_RETRIED_TRIGGERS = frozenset({Trigger.EVENT, Trigger.RETRY})


class WebhookReader(Protocol):
    def get(self, account_id: str, webhook_id: str) -> Webhook | None: ...


class AttemptLog(Protocol):
    def claim(self, record: DeliveryRecord) -> bool: ...

    def complete(self, record: DeliveryRecord) -> None: ...

    def get(self, delivery_id: str, attempt: int) -> DeliveryRecord | None: ...


class MessageQueue(Protocol):
    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None: ...


class WebhookDisabler(Protocol):
    def disable_gone(self, webhook: Webhook, at: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    """What the deployment delivers at all (template parameters)."""

    permitted_environments: frozenset[Environment]
    permitted_events: tuple[str, ...]
    allow_http_for_development: bool
    retention_days: int


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """`outcome` is the record's status, or `duplicate` (already claimed) or `deferred` (not yet due)."""

    outcome: str
    record: DeliveryRecord | None = None
    disabled_webhook: bool = False


class Deliverer:
    def __init__(
        self,
        *,
        webhooks: WebhookReader,
        log: AttemptLog,
        sender: Sender,
        queue: MessageQueue,
        disabler: WebhookDisabler,
        rules: DeliveryRules,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._webhooks = webhooks
        self._log = log
        self._sender = sender
        self._queue = queue
        self._disabler = disabler
        self._rules = rules
        self._clock = clock
        self._uniform = uniform

    def deliver(self, message: DeliveryMessage) -> DeliveryOutcome:
        now = self._clock()
        if message.not_before is not None and message.not_before > now:
            self._queue.send(message, sqs_delay_until(message.not_before, now))
            return DeliveryOutcome("deferred")
        body = encode_body(message)
        pending = self._pending_record(message, body, now)
        if not self._log.claim(pending):
            self._resume_scheduled_retry(message)
            return DeliveryOutcome("duplicate")
        webhook = self._webhooks.get(message.account_id, message.webhook_id)
        skip = self._skip_reason(webhook, message)
        if skip is not None or webhook is None:
            record = pending.model_copy(
                update={"status": DeliveryStatus.SKIPPED, "error_kind": skip, "completed_at": self._clock()}
            )
            self._log.complete(record)
            return DeliveryOutcome(record.status.value, record)
        headers = signed_headers(message, body, webhook.signing_secrets(now), now)
        result = self._sender.post(
            OutboundRequest(
                url=webhook.url,
                headers=headers,
                body=body.encode(),
                connect_timeout_seconds=webhook.connect_timeout_seconds,
                read_timeout_seconds=webhook.read_timeout_seconds,
                allow_http=webhook.environment is Environment.DEVELOPMENT and self._rules.allow_http_for_development,
            )
        )
        return self._finish(message, webhook, pending, headers, result)

    def _finish(
        self,
        message: DeliveryMessage,
        webhook: Webhook,
        pending: DeliveryRecord,
        headers: dict[str, str],
        result: SendResult,
    ) -> DeliveryOutcome:
        completed_at = self._clock()
        policy = webhook.retry_policy if message.trigger in _RETRIED_TRIGGERS else None
        retry_at = (
            None if result.succeeded else next_attempt_at(policy, message.attempt, result, completed_at, self._uniform)
        )
        record = pending.model_copy(
            update={
                "status": DeliveryStatus.SUCCEEDED if result.succeeded else DeliveryStatus.FAILED,
                "completed_at": completed_at,
                "http_status": result.http_status,
                "error_kind": result.error_kind,
                "error_detail": result.error_detail,
                "duration_ms": result.duration_ms,
                "response_excerpt": result.response_excerpt,
                "response_truncated": result.response_truncated,
                "request_headers": {name: value for name, value in headers.items() if name != SIGNATURE_HEADER},
                "next_attempt_at": retry_at,
            }
        )
        self._log.complete(record)
        # 410 Gone is the receiver saying "stop": part of the opt-in retry policy, like retries themselves.
        disabled = (
            result.http_status == 410 and policy is not None and self._disabler.disable_gone(webhook, completed_at)
        )
        if retry_at is not None:
            self._queue.send(_next_attempt(message, retry_at), sqs_delay_until(retry_at, completed_at))
        return DeliveryOutcome(record.status.value, record, disabled)

    def _resume_scheduled_retry(self, message: DeliveryMessage) -> None:
        """A duplicate of an attempt whose retry was logged but perhaps never queued (a crash between the
        two): queue it again; the next attempt's own claim keeps that to one POST."""
        earlier = self._log.get(message.delivery_id, message.attempt)
        if earlier is not None and earlier.next_attempt_at is not None:
            now = self._clock()
            self._queue.send(
                _next_attempt(message, earlier.next_attempt_at), sqs_delay_until(earlier.next_attempt_at, now)
            )

    def _skip_reason(self, webhook: Webhook | None, message: DeliveryMessage) -> ErrorKind | None:
        if webhook is None:
            return ErrorKind.WEBHOOK_NOT_FOUND
        if not webhook.enabled:
            return ErrorKind.WEBHOOK_DISABLED
        if webhook.environment != message.environment:
            return ErrorKind.ENVIRONMENT_MISMATCH
        if not webhook.subscribes_to(message.event):
            return ErrorKind.NOT_SUBSCRIBED
        permitted_event = message.event == TEST_EVENT or matches(self._rules.permitted_events, message.event)
        if message.environment not in self._rules.permitted_environments or not permitted_event:
            return ErrorKind.NOT_PERMITTED
        return None

    def _pending_record(self, message: DeliveryMessage, body: str, now: datetime) -> DeliveryRecord:
        return DeliveryRecord(
            delivery_id=message.delivery_id,
            attempt=message.attempt,
            event_id=message.event_id,
            event=message.event,
            webhook_id=message.webhook_id,
            account_id=message.account_id,
            environment=message.environment.value,
            trigger=message.trigger,
            status=DeliveryStatus.PENDING,
            requested_at=now,
            request_body=body if len(body.encode()) <= STORED_BODY_LIMIT_BYTES else None,
            expires_at=int((now + timedelta(days=self._rules.retention_days)).timestamp()),
        )


def _next_attempt(message: DeliveryMessage, due: datetime) -> DeliveryMessage:
    return message.model_copy(update={"attempt": message.attempt + 1, "trigger": Trigger.RETRY, "not_before": due})
