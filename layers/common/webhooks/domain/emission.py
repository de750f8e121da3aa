"""Emission: a batch of stream changes becomes one queue message per (event, matching webhook).

Stream semantics: records are handled in order and the result names the first record that
failed; it and everything after it are retried by the event source mapping, so messages of later
records may be sent twice (deliver removes duplicates by delivery id). What can never succeed is
not retried: an unroutable change is counted and logged, a message too large for SQS becomes a
failed `payload_too_large` delivery record. An unexpected error while deriving fails the record,
so the mapping's bounded retries and on-failure destination take it out of the shard's way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from webhooks.catalogue import Entity, Environment, EventGroup, deployment_permits
from webhooks.delivery.message import SQS_MAX_MESSAGE_BYTES, DeliveryMessage, Trigger
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.derivation import DerivedEvent, StreamChange, Unroutable, derive
from webhooks.domain.ids import delivery_id
from webhooks.domain.payload_filter import Test
from webhooks.domain.webhook import Webhook
from webhooks.observability import logger

ACCOUNT_QUERY_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class UnreadableRecord:
    """A stream record that could not even be read; it fails, so the stream retries it."""

    sequence_number: str
    error: str


class WebhookSource(Protocol):
    def list_for_account(self, account_id: str) -> list[Webhook | DamagedWebhook]: ...


class MessageSender(Protocol):
    def send_batch(self, messages: Sequence[DeliveryMessage]) -> list[int]:
        """Enqueue the messages; return the positions of those that were not enqueued."""
        ...


class DeliveryLogWriter(Protocol):
    def put(self, record: DeliveryRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class Governance:
    """What this deployment delivers at all (template parameters PermittedEnvironments / PermittedEvents)."""

    environments: frozenset[Environment]
    events: tuple[str, ...]

    def permits(self, event: DerivedEvent) -> bool:
        return event.environment in self.environments and deployment_permits(self.events, event.event)


@dataclass
class EmissionReport:
    records: int
    first_failed: int | None = None  # position in the batch; it and every later record are retried
    events: Counter[str] = field(default_factory=Counter)
    unroutable: Counter[str] = field(default_factory=Counter)
    dropped_by_governance: int = 0
    ttl_removals: int = 0
    messages_enqueued: int = 0
    payload_too_large: int = 0
    damaged_webhooks: int = 0  # stored webhooks that do not read back, met in the accounts read
    filtered_out: int = 0  # (event, webhook) pairs a payload filter kept back: no message, no record


@dataclass
class _Derived:
    """The first pass over the batch, by record position: what to deliver and what was set aside."""

    events: list[tuple[int, DerivedEvent]] = field(default_factory=list)
    dropped: list[tuple[int, DerivedEvent]] = field(default_factory=list)
    unroutable: list[tuple[int, Unroutable]] = field(default_factory=list)
    failed: int | None = None


class Emitter:
    def __init__(
        self,
        *,
        webhooks: WebhookSource,
        sender: MessageSender,
        delivery_log: DeliveryLogWriter,
        table_entities: Mapping[str, Entity | EventGroup],
        governance: Governance,
        delivery_log_retention_days: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._webhooks = webhooks
        self._sender = sender
        self._delivery_log = delivery_log
        self._entities = table_entities
        self._governance = governance
        self._retention = timedelta(days=delivery_log_retention_days)
        self._clock = clock

    def emit(self, changes: Sequence[StreamChange | UnreadableRecord]) -> EmissionReport:
        report = EmissionReport(records=len(changes))
        derived = self._derive(changes)
        failed = derived.failed
        webhooks, query_failed = self._webhooks_by_account(derived.events)
        report.damaged_webhooks = _count_damaged(webhooks)
        failed = _earliest(failed, query_failed)
        messages: list[DeliveryMessage] = []
        origins: list[int] = []
        tests = _PayloadTests()
        for position, event in derived.events:
            if failed is not None and position >= failed:
                break
            routed = [
                w
                for w in webhooks[event.account_id]
                if w.receives(event.event, event.environment) and event.is_sent_to(w.webhook_id)
            ]
            addressed = [(webhook, message_for(event, webhook.webhook_id)) for webhook in routed]
            receivers = [message for webhook, message in addressed if tests.passes(webhook, message)]
            report.filtered_out += len(routed) - len(receivers)
            logger.info(
                "event derived",
                extra={
                    "event_id": event.event_id,
                    "event": event.event,
                    "account_id": event.account_id,
                    "environment": event.environment.value,
                    "webhooks": len(receivers),
                    "filtered_out": len(routed) - len(receivers),
                    "removed_by_ttl": event.removed_by_ttl,
                },
            )
            for message in receivers:
                size = len(message.queue_body().encode())
                if size <= SQS_MAX_MESSAGE_BYTES:
                    messages.append(message)
                    origins.append(position)
                elif not self._log_too_large(message, size, report):
                    failed = _earliest(failed, position)
        unsent = self._sender.send_batch(messages)
        report.messages_enqueued = len(messages) - len(unsent)
        for index in unsent:
            failed = _earliest(failed, origins[index])
        report.first_failed = failed
        self._count(derived, report)
        if failed is not None:
            logger.warning("stream batch partly failed", extra={"first_failed": failed, "records": len(changes)})
        return report

    def _derive(self, changes: Sequence[StreamChange | UnreadableRecord]) -> _Derived:
        derived = _Derived()
        for position, change in enumerate(changes):
            if isinstance(change, UnreadableRecord):
                logger.error("unreadable stream record", extra={"sequence_number": change.sequence_number})
                derived.failed = position
                return derived
            try:
                outcome = derive(change, self._entities.get(change.table_name))
            except Exception:
                logger.exception("stream record could not be derived", extra={"keys": change.keys})
                derived.failed = position
                return derived
            if isinstance(outcome, Unroutable):
                logger.warning(
                    "unroutable stream record",
                    extra={"reason": outcome.reason.value, "keys": outcome.keys, "table": change.table_name},
                )
                derived.unroutable.append((position, outcome))
                continue
            for event in outcome:
                if self._governance.permits(event):
                    derived.events.append((position, event))
                else:
                    logger.info("event not delivered by this deployment", extra={"event_id": event.event_id})
                    derived.dropped.append((position, event))
        return derived

    def _webhooks_by_account(
        self, events: list[tuple[int, DerivedEvent]]
    ) -> tuple[dict[str, list[Webhook | DamagedWebhook]], int | None]:
        """One Query per account of the batch (concurrent when the batch spans several accounts)."""
        first_position: dict[str, int] = {}
        for position, event in events:
            first_position.setdefault(event.account_id, position)
        accounts = list(first_position)

        def query(account_id: str) -> list[Webhook | DamagedWebhook] | None:
            try:
                return self._webhooks.list_for_account(account_id)
            except Exception:
                logger.exception("webhooks of an account could not be read", extra={"account_id": account_id})
                return None

        if len(accounts) > 1:
            with ThreadPoolExecutor(max_workers=min(ACCOUNT_QUERY_CONCURRENCY, len(accounts))) as pool:
                results = list(pool.map(query, accounts))
        else:
            results = [query(account) for account in accounts]
        failed: int | None = None
        webhooks: dict[str, list[Webhook | DamagedWebhook]] = {}
        for account_id, result in zip(accounts, results, strict=True):
            if result is None:
                failed = _earliest(failed, first_position[account_id])
            webhooks[account_id] = result or []
        return webhooks, failed

    def _log_too_large(self, message: DeliveryMessage, size: int, report: EmissionReport) -> bool:
        now = self._clock()
        record = DeliveryRecord.of_message(
            message,
            status=DeliveryStatus.FAILED,
            at=now,
            retention=self._retention,
            completed_at=now,
            error_kind=ErrorKind.PAYLOAD_TOO_LARGE,
            error_detail=f"the message is {size} bytes; SQS takes at most {SQS_MAX_MESSAGE_BYTES}",
        )
        try:
            self._delivery_log.put(record)
        except Exception:
            logger.exception("payload_too_large record could not be written", extra={"event_id": message.event_id})
            return False
        logger.warning(
            "payload too large for the queue",
            extra={"event_id": message.event_id, "delivery_id": message.delivery_id, "bytes": size},
        )
        report.payload_too_large += 1
        return True

    def _count(self, derived: _Derived, report: EmissionReport) -> None:
        """Counts cover the records this invocation completed; the retried ones count when they succeed."""
        done = report.first_failed if report.first_failed is not None else report.records
        for position, event in derived.events + derived.dropped:
            if position < done:
                report.events[event.event] += 1
                report.ttl_removals += event.removed_by_ttl
        report.dropped_by_governance = sum(1 for position, _ in derived.dropped if position < done)
        for position, unroutable in derived.unroutable:
            if position < done:
                report.unroutable[unroutable.reason.value] += 1


class _PayloadTests:
    """The batch's payload filters, each compiled once, applied to the body a message delivers."""

    def __init__(self) -> None:
        self._tests: dict[tuple[str, str], Test | None] = {}

    def passes(self, webhook: Webhook | DamagedWebhook, message: DeliveryMessage) -> bool:
        key = (webhook.account_id, webhook.webhook_id)
        if key not in self._tests:
            self._tests[key] = webhook.payload_test()
        test = self._tests[key]
        return test is None or test(message.body()) is None


def _count_damaged(webhooks: dict[str, list[Webhook | DamagedWebhook]]) -> int:
    """Log each damaged webhook: it gets the events its routing fields (if they read back) route to it,
    and deliver fails them as `webhook_damaged`; every other webhook of the account is unaffected."""
    damaged = [webhook for listed in webhooks.values() for webhook in listed if isinstance(webhook, DamagedWebhook)]
    for webhook in damaged:
        logger.error(
            "stored webhook does not read back",
            extra={"account_id": webhook.account_id, "webhook_id": webhook.webhook_id, "fields": list(webhook.fields)},
        )
    return len(damaged)


def _earliest(first: int | None, second: int | None) -> int | None:
    candidates = [position for position in (first, second) if position is not None]
    return min(candidates) if candidates else None


def message_for(event: DerivedEvent, webhook_id: str) -> DeliveryMessage:
    """The queue message that delivers `event` to one webhook (its first attempt)."""
    return DeliveryMessage(
        delivery_id=delivery_id(event.event_id, webhook_id),
        event_id=event.event_id,
        event=event.event,
        webhook_id=webhook_id,
        account_id=event.account_id,
        environment=event.environment,
        occurred_at=event.occurred_at,
        payload=event.payload,
        previous_attributes=event.previous_attributes,
        trigger=Trigger.EVENT,
    )
