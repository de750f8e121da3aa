"""Operational events: what the webhook system tells an account about its own webhooks.

Deliver and manage record them (one item each in the operational events table); emit reads that table's
stream like a domain table's, so they reach the account's webhooks that subscribe to them the way every
event does: signed, logged, and behind each receiver's own circuit. Each id is derived from what the
event is about, so recording the same change twice (a retried batch) makes one event, not two.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from webhooks.catalogue import OPERATIONAL_EVENT_NAMES, Environment
from webhooks.delivery.message import format_timestamp
from webhooks.delivery.record import DeliveryRecord
from webhooks.domain.webhook import Webhook

# Emit reads the item within seconds; a day covers its stream's retries and an outage of the emitter.
OPERATIONAL_EVENT_RETENTION = timedelta(days=1)
RECOVERED = "webhook.recovered"


class DisableReason(StrEnum):
    ENDPOINT_DOWN = "endpoint_down"  # its circuit stayed open with no success for AutoDisableAfterHours
    GONE = "gone"  # the endpoint answered 410 Gone (under a retry policy)
    ADMIN = "admin"  # an admin disabled it


@dataclass(frozen=True, slots=True)
class OperationalEvent:
    event_id: str
    event: str
    account_id: str
    environment: Environment
    occurred_at: datetime
    about_webhook_id: str  # the webhook it is about: never sent to that webhook while it is failing
    data: dict[str, Any]

    def is_sent_to(self, webhook_id: str) -> bool:
        return may_reach(self.event, self.about_webhook_id, webhook_id)


def may_reach(event: str, about_webhook_id: str | None, webhook_id: str) -> bool:
    """The webhook an event is about is failing, disabled, or failed this delivery: only its recovery can
    reach it (sending it the news of its own failure would fail, and count against it again)."""
    return webhook_id != about_webhook_id or event == RECOVERED


def _event(name: str, webhook: Webhook, at: datetime, identity: str, data: dict[str, Any]) -> OperationalEvent:
    assert name in OPERATIONAL_EVENT_NAMES
    digest = hashlib.sha256(f"{name}\x1f{webhook.account_id}\x1f{identity}".encode()).hexdigest()
    # Not its URL: a URL may carry a token, and the receiver may be another party's service (a chat tool).
    about = {"webhook_id": webhook.webhook_id, "webhook_name": webhook.name}
    return OperationalEvent(
        event_id=f"evt_{digest[:32]}",
        event=name,
        account_id=webhook.account_id,
        environment=webhook.environment,
        occurred_at=at,
        about_webhook_id=webhook.webhook_id,
        data=about | data,
    )


def _time(at: datetime | None) -> str | None:
    return format_timestamp(at) if at is not None else None


def webhook_failing(
    webhook: Webhook, *, consecutive_failures: int, down_since: datetime, retry_at: datetime | None, at: datetime
) -> OperationalEvent:
    """The endpoint's circuit opened: `consecutive_failures` in a row, deliveries wait until `retry_at`."""
    data = {
        "consecutive_failures": consecutive_failures,
        "failing_since": _time(down_since),
        "next_attempt_at": _time(retry_at),
    }
    return _event("webhook.failing", webhook, at, f"{webhook.webhook_id}\x1f{down_since.isoformat()}", data)


def webhook_recovered(webhook: Webhook, *, down_since: datetime | None, at: datetime) -> OperationalEvent:
    """The endpoint answered after its circuit had opened (at `down_since`)."""
    downtime = round((at - down_since).total_seconds()) if down_since is not None else None
    data = {"failing_since": _time(down_since), "recovered_at": _time(at), "downtime_seconds": downtime}
    identity = f"{webhook.webhook_id}\x1f{down_since.isoformat() if down_since else at.isoformat()}"
    return _event(RECOVERED, webhook, at, identity, data)


def webhook_disabled(
    webhook: Webhook, *, reason: DisableReason, detail: str, disabled_by: str, at: datetime
) -> OperationalEvent:
    """The webhook was disabled (its version after the change makes the event's identity)."""
    data = {"reason": reason.value, "detail": detail, "disabled_by": disabled_by, "disabled_at": _time(at)}
    return _event("webhook.disabled", webhook, at, f"{webhook.webhook_id}\x1f{webhook.version + 1}", data)


def disabled_by_admin(webhook: Webhook, admin: str, at: datetime) -> OperationalEvent:
    return webhook_disabled(
        webhook, reason=DisableReason.ADMIN, detail=f"disabled by {admin}", disabled_by=admin, at=at
    )


def delivery_exhausted(webhook: Webhook, record: DeliveryRecord) -> OperationalEvent:
    """The delivery's last attempt under the retry policy failed: no retry follows (recover sends it again)."""
    at = record.completed_at or record.requested_at
    data = {
        "delivery_id": record.delivery_id,
        "event_id": record.event_id,
        "event": record.event,
        "attempts": record.attempt,
        "last_http_status": record.http_status,
        "last_error_kind": record.error_kind.value if record.error_kind else None,
        "last_attempt_at": _time(at),
    }
    return _event("delivery.exhausted", webhook, at, record.delivery_id, data)
