"""Delivering a batch of queue messages: read each webhook once, claim each attempt, sign, POST once
per message (concurrently, bounded), log the batch's results in one write, queue retries; then what the
results mean for each endpoint (its circuit, its counters, operational events).

Exactly one POST per (delivery id, attempt): each message's conditional claim is written before its
POST, so a message SQS hands over twice (in the same batch or a later one) finds its attempt claimed
and sends nothing. A crash (or a result that cannot be written) after the claim leaves a `pending`
record that the read side shows as `unknown`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from webhooks.catalogue import Environment
from webhooks.delivery.attempt import (
    AttemptKey,
    BatchAttempt,
    Claim,
    ConcurrentMap,
    DeliveryOutcome,
    ResultNotLogged,
    attempt_key,
    fail_all,
    in_turn,
    open_signing_secrets,
)
from webhooks.delivery.batch_health import BatchHealth, WebhookDisabler
from webhooks.delivery.endpoint_guard import BatchCircuits, EndpointGuard
from webhooks.delivery.message import DeliveryMessage, Trigger
from webhooks.delivery.outbound import OutboundRequest, Sender
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.delivery.retry import RETRIED_TRIGGERS, next_attempt_at, queue_until_due, sqs_delay_until
from webhooks.delivery.rules import DeliveryRules
from webhooks.delivery.signing import SIGNATURE_HEADER, encode_body, signed_headers
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.operational_events import DisableReason
from webhooks.domain.webhook import RetryPolicy, Webhook

# The request body is kept for redelivery only while a DynamoDB item (400 KB) can hold it.
STORED_BODY_LIMIT_BYTES = 256 * 1024
WebhookKey = tuple[str, str]  # (account_id, webhook_id)


class WebhookReader(Protocol):
    def get_many(self, keys: Iterable[WebhookKey]) -> dict[WebhookKey, Webhook | DamagedWebhook]: ...


class AttemptLog(Protocol):
    def claim(self, record: DeliveryRecord) -> Claim:
        """Write the attempt unless it exists (conditional write); if it exists, say who holds it."""
        ...

    def complete_all(self, records: Sequence[DeliveryRecord]) -> set[AttemptKey]:
        """Replace the claims with their results; returns the attempts that could not be written."""
        ...

    def keep_content(self, record: DeliveryRecord) -> None:
        """Add what the attempt sends to its claim while it is still pending without it (else nothing)."""
        ...


class MessageQueue(Protocol):
    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None: ...


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
        guard: EndpointGuard,
        health: BatchHealth,
        concurrent_map: ConcurrentMap = in_turn,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._webhooks = webhooks
        self._log = log
        self._sender = sender
        self._queue = queue
        self._disabler = disabler
        self._rules = rules
        self._guard = guard
        self._health = health
        self._map = concurrent_map
        self._clock = clock
        self._uniform = uniform

    def deliver_batch(
        self, messages: Sequence[DeliveryMessage], *, in_slow_lane: bool = False
    ) -> list[DeliveryOutcome | Exception]:
        """One outcome per message, in order. An exception fails that message alone: SQS hands it over
        again, and its claim (if one was written) keeps that from becoming a second POST. `in_slow_lane`:
        the batch came from the slow lane's queue, which serves the endpoints flagged slow."""
        now = self._clock()
        attempts = [BatchAttempt(message) for message in messages]
        for attempt in attempts:
            if attempt.message.not_before is not None and attempt.message.not_before > now:
                attempt.settle(queue_until_due, self._queue, attempt.message, now)
        self._read_webhooks(_open(attempts))
        self._prepare_claims(_open(attempts), now)
        circuits = self._hold_back(_open(attempts), now, in_slow_lane)
        open_signing_secrets(_open(attempts), now, self._map)
        list(self._map(self._claim_then_post, _open(attempts)))
        self._complete(_open(attempts))
        learned_at = self._clock()
        self._health.after_batch(attempts, circuits, self._guard.learn(attempts, circuits, learned_at), learned_at)
        return [attempt.final() for attempt in attempts]

    def _hold_back(self, attempts: list[BatchAttempt], now: datetime, in_slow_lane: bool) -> BatchCircuits:
        """Messages about to POST, against their endpoints' circuits (a failed read fails them all)."""
        to_post = [attempt for attempt in attempts if attempt.claimed_record().status is DeliveryStatus.PENDING]
        try:
            return self._guard.hold_back(to_post, now, in_slow_lane=in_slow_lane)
        except Exception as error:  # every message of the batch fails with it; SQS retries
            fail_all(attempts, error)
            return BatchCircuits()

    def _read_webhooks(self, attempts: list[BatchAttempt]) -> None:
        """Each distinct webhook once per batch, just before the claims (a failed read claims nothing)."""
        if not attempts:
            return
        try:
            found = self._webhooks.get_many({(a.message.account_id, a.message.webhook_id) for a in attempts})
        except Exception as error:  # every message of the batch fails with it; SQS retries
            fail_all(attempts, error)
            return
        for attempt in attempts:
            attempt.webhook = found.get((attempt.message.account_id, attempt.message.webhook_id))

    def _prepare_claims(self, attempts: list[BatchAttempt], now: datetime) -> None:
        first: set[AttemptKey] = set()
        for attempt in attempts:
            key = (attempt.message.delivery_id, attempt.message.attempt)
            if key in first:  # the same attempt twice in one batch: the first one sends
                attempt.result = DeliveryOutcome("duplicate")
                continue
            first.add(key)
            attempt.record = self._claim_record(attempt, now)

    def _claim_record(self, attempt: BatchAttempt, now: datetime) -> DeliveryRecord:
        """The pending attempt; when the webhook no longer matches, the `skipped` record itself (no POST);
        when it does not read back, the `failed` record itself (this message alone; recoverable once repaired)."""
        attempt.body = encode_body(attempt.message)
        pending = self._pending_record(attempt.message, attempt.body, now)
        if isinstance(attempt.webhook, DamagedWebhook):
            damage = {"error_kind": ErrorKind.WEBHOOK_DAMAGED, "error_detail": attempt.webhook.detail}
            return pending.model_copy(update={"status": DeliveryStatus.FAILED, "completed_at": now} | damage)
        skip = self._rules.skip_reason(attempt.webhook, attempt.message)
        if skip is None:
            return pending
        return pending.model_copy(update={"status": DeliveryStatus.SKIPPED, "error_kind": skip, "completed_at": now})

    def _claim_then_post(self, attempt: BatchAttempt) -> None:
        """One message, on one of the concurrent workers: its conditional claim, then (when the claim is
        ours and the webhook still matches) its one POST. A claim that fails sent nothing (SQS retries
        the message); a crash after the claim leaves it pending (read as unknown)."""
        try:
            claim = attempt.claimed_record()
            # A pending claim is written without the body, which its result then writes once; a record the
            # claim settles (skipped, failed) is final, body included.
            answer = self._log.claim(claim.without_content() if claim.status is DeliveryStatus.PENDING else claim)
            if answer.token is None:
                attempt.result = self._duplicate(attempt.message, answer.earlier, claim)
            elif claim.status is not DeliveryStatus.PENDING:  # settled by the claim itself: no POST
                attempt.result = DeliveryOutcome(claim.status.value, claim)
            else:
                with self._guard.watching((attempt.message.account_id, attempt.message.webhook_id)):
                    attempt.sent = self._sender.post(self._signed_request(attempt))
        except Exception as error:  # one message's failure must not take the batch with it
            attempt.result = error

    def _signed_request(self, attempt: BatchAttempt) -> OutboundRequest:
        webhook = attempt.claimed_webhook()
        now = self._clock()
        attempt.headers = signed_headers(attempt.message, attempt.body, webhook.signing_secrets(now), now)
        return OutboundRequest(
            url=webhook.url,
            headers=attempt.headers,
            body=attempt.body.encode(),
            connect_timeout_seconds=webhook.connect_timeout_seconds,
            read_timeout_seconds=webhook.read_timeout_seconds,
            allow_http=webhook.environment is Environment.DEVELOPMENT and self._rules.allow_http_for_development,
        )

    def _complete(self, attempts: list[BatchAttempt]) -> None:
        if not attempts:
            return
        completed_at = self._clock()
        records = [self._result_record(attempt, completed_at) for attempt in attempts]
        try:
            unwritten = self._log.complete_all(records)
        except Exception as error:  # the claims stay pending: shown as unknown
            fail_all(attempts, ResultNotLogged(str(error)))
            return
        for attempt, record in zip(attempts, records, strict=True):
            if attempt_key(record) in unwritten:
                attempt.result = ResultNotLogged(f"{attempt_key(record)}: not written after retries")
            else:
                attempt.settle(self._follow_up, attempt, record, completed_at)

    def _result_record(self, attempt: BatchAttempt, completed_at: datetime) -> DeliveryRecord:
        result = attempt.send_result()
        retry_at = (
            None
            if result.succeeded
            else next_attempt_at(self._policy(attempt), attempt.message.attempt, result, completed_at, self._uniform)
        )
        return attempt.claimed_record().model_copy(
            update={
                "status": DeliveryStatus.SUCCEEDED if result.succeeded else DeliveryStatus.FAILED,
                "completed_at": completed_at,
                "http_status": result.http_status,
                "error_kind": result.error_kind,
                "error_detail": result.error_detail,
                "duration_ms": result.duration_ms,
                "response_excerpt": result.response_excerpt,
                "response_truncated": result.response_truncated,
                "request_headers": {name: value for name, value in attempt.headers.items() if name != SIGNATURE_HEADER},
                "next_attempt_at": retry_at,
            }
        )

    def _follow_up(self, attempt: BatchAttempt, record: DeliveryRecord, completed_at: datetime) -> DeliveryOutcome:
        """After the result is logged: 410 Gone disables the webhook (part of the opt-in retry policy,
        like retries themselves), and a scheduled retry is queued."""
        webhook = attempt.claimed_webhook()
        disabled = (
            record.http_status == 410
            and self._policy(attempt) is not None
            and self._disabler.disable(webhook, completed_at, DisableReason.GONE, "the endpoint answered 410 Gone")
        )
        if record.next_attempt_at is not None:
            self._queue.send(
                _next_attempt(attempt.message, record.next_attempt_at),
                sqs_delay_until(record.next_attempt_at, completed_at),
            )
        return DeliveryOutcome(record.status.value, record, disabled)

    def _policy(self, attempt: BatchAttempt) -> RetryPolicy | None:
        return attempt.claimed_webhook().retry_policy if attempt.message.trigger in RETRIED_TRIGGERS else None

    def _duplicate(
        self, message: DeliveryMessage, earlier: DeliveryRecord | None, claim: DeliveryRecord
    ) -> DeliveryOutcome:
        """A duplicate of an attempt whose retry was logged but perhaps never queued (a crash between the
        two): queue it again; the next attempt's own claim keeps that to one POST. A duplicate of an attempt
        whose result was never written (a crash after its POST, SQS handing it again) gives its claim the body,
        so that it can still be redelivered."""
        bodiless = earlier is not None and earlier.status is DeliveryStatus.PENDING and earlier.request_body is None
        if bodiless and claim.request_body is not None:
            self._log.keep_content(claim)
        if earlier is not None and earlier.next_attempt_at is not None:
            now = self._clock()
            self._queue.send(
                _next_attempt(message, earlier.next_attempt_at), sqs_delay_until(earlier.next_attempt_at, now)
            )
        return DeliveryOutcome("duplicate")

    def _pending_record(self, message: DeliveryMessage, body: str, now: datetime) -> DeliveryRecord:
        return DeliveryRecord.of_message(
            message,
            status=DeliveryStatus.PENDING,
            at=now,
            retention=timedelta(days=self._rules.retention_days),
            request_body=body if len(body.encode()) <= STORED_BODY_LIMIT_BYTES else None,
        )


def _open(attempts: list[BatchAttempt]) -> list[BatchAttempt]:
    return [attempt for attempt in attempts if attempt.result is None]


def _next_attempt(message: DeliveryMessage, due: datetime) -> DeliveryMessage:
    return message.model_copy(
        update={"attempt": message.attempt + 1, "trigger": Trigger.RETRY, "not_before": due, "deferred_since": None}
    )
