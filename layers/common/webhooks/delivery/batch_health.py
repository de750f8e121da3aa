"""After each batch, what its results mean for each endpoint's health: the hourly counters, the operational
events (webhook.failing when a circuit opens, webhook.recovered when it closes again, delivery.exhausted
when a retry policy's last attempt fails) and the disabling of a webhook whose endpoint stayed down.

None of it may cost a delivery: the batch's results are logged before this runs, and a counter or an
event that cannot be written is logged as an error, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from webhooks.catalogue import OPERATIONAL_EVENT_NAMES
from webhooks.delivery.attempt import BatchAttempt, DeliveryOutcome
from webhooks.delivery.circuit import Circuit, CircuitState
from webhooks.delivery.endpoint_guard import BatchCircuits, CircuitChanges, WebhookKey
from webhooks.delivery.endpoint_stats import EndpointStatsRecorder
from webhooks.delivery.message import format_timestamp
from webhooks.delivery.record import DeliveryStatus
from webhooks.delivery.retry import RETRIED_TRIGGERS
from webhooks.domain.operational_events import (
    DisableReason,
    OperationalEvent,
    delivery_exhausted,
    webhook_failing,
    webhook_recovered,
)
from webhooks.domain.webhook import Webhook

logger = logging.getLogger(__name__)


class OperationalEventLog(Protocol):
    def record(self, events: Sequence[OperationalEvent]) -> None: ...


class WebhookDisabler(Protocol):
    def disable(self, webhook: Webhook, at: datetime, reason: DisableReason, detail: str) -> bool:
        """Disable it (audited, announced as webhook.disabled) if still this version and enabled."""
        ...


class BatchHealth:
    def __init__(
        self,
        *,
        stats: EndpointStatsRecorder,
        events: OperationalEventLog,
        disabler: WebhookDisabler,
        auto_disable_after: timedelta,
    ) -> None:
        self._stats = stats
        self._events = events
        self._disabler = disabler
        self._auto_disable_after = auto_disable_after

    def after_batch(
        self, attempts: Sequence[BatchAttempt], read: BatchCircuits, changes: CircuitChanges, at: datetime
    ) -> None:
        """`read`: the circuits the batch was held back against; `changes`: those its results wrote."""
        self._stats.record(attempts, at)
        webhooks = {
            (a.message.account_id, a.message.webhook_id): a.webhook for a in attempts if isinstance(a.webhook, Webhook)
        }
        events = [*_circuit_events(changes, webhooks, at), *_exhausted(attempts)]
        if events:
            try:
                self._events.record(events)
            except Exception:
                logger.exception("operational events not recorded", extra={"events": [e.event for e in events]})
        latest = read.circuits | {key: after for key, (_, after) in changes.items()}
        for key, webhook in webhooks.items():
            if key in latest and webhook.enabled and self._down_too_long(latest[key], webhook, at):
                self._disable(webhook, latest[key], at)

    def _down_too_long(self, circuit: Circuit, webhook: Webhook, at: datetime) -> bool:
        """Open (or probing) with no success since it first opened, for longer than the deployment allows,
        and no change to the webhook in that time: an admin who enables it again gives it the whole period."""
        if circuit.state is CircuitState.CLOSED or circuit.opened_at is None:
            return False
        return at - max(circuit.opened_at, webhook.updated_at) >= self._auto_disable_after

    def _disable(self, webhook: Webhook, circuit: Circuit, at: datetime) -> None:
        assert circuit.opened_at is not None
        hours = (at - circuit.opened_at).total_seconds() / 3600
        detail = f"no successful delivery since its endpoint started failing at {format_timestamp(circuit.opened_at)}"
        try:
            if self._disabler.disable(webhook, at, DisableReason.ENDPOINT_DOWN, f"{detail} ({hours:.1f} h)"):
                logger.warning("webhook disabled: its endpoint stayed down", extra={"webhook_id": webhook.webhook_id})
        except Exception:
            logger.exception("webhook not disabled", extra={"webhook_id": webhook.webhook_id})


def _circuit_events(
    changes: CircuitChanges, webhooks: dict[WebhookKey, Webhook], at: datetime
) -> list[OperationalEvent]:
    """A circuit that opened from closed: failing; one that closed after being open: recovered. A probe
    that fails reopens it within the same outage, which is no news."""
    events = []
    for key, (before, after) in changes.items():
        webhook = webhooks.get(key)
        if webhook is None:
            continue
        if before.state is CircuitState.CLOSED and after.state is CircuitState.OPEN:
            assert after.opened_at is not None
            failures = after.consecutive_failures
            events.append(
                webhook_failing(
                    webhook, consecutive_failures=failures, down_since=after.opened_at, retry_at=after.open_until, at=at
                )
            )
        elif before.state is not CircuitState.CLOSED and after.state is CircuitState.CLOSED:
            events.append(webhook_recovered(webhook, down_since=before.opened_at, at=at))
    return events


def _exhausted(attempts: Sequence[BatchAttempt]) -> list[OperationalEvent]:
    """Deliveries whose POST failed with no retry to follow, under their webhook's retry policy. Never about
    an operational event's own delivery: a receiver that fails those would otherwise feed itself more."""
    exhausted = []
    for attempt in attempts:
        outcome, webhook = attempt.result, attempt.webhook
        if not (isinstance(outcome, DeliveryOutcome) and isinstance(webhook, Webhook) and outcome.record):
            continue
        record = outcome.record
        if (
            attempt.sent is not None
            and record.status is DeliveryStatus.FAILED
            and record.next_attempt_at is None
            and record.trigger in RETRIED_TRIGGERS
            and webhook.retry_policy is not None
            and record.event not in OPERATIONAL_EVENT_NAMES
        ):
            exhausted.append(delivery_exhausted(webhook, record))
    return exhausted
