"""In-memory stand-ins for the delivery ports, for domain tests (no AWS, no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from webhooks.domain.delivery import DeliveryRecord
from webhooks.domain.messages import DeliveryMessage
from webhooks.domain.sending import OutboundRequest, SendResult
from webhooks.domain.webhook import Webhook


@dataclass
class InMemoryWebhooks:
    webhooks: dict[tuple[str, str], Webhook] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)
    test_slots: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def add(self, webhook: Webhook) -> Webhook:
        self.webhooks[(webhook.account_id, webhook.webhook_id)] = webhook
        return webhook

    def get(self, account_id: str, webhook_id: str) -> Webhook | None:
        return self.webhooks.get((account_id, webhook_id))

    def disable_gone(self, webhook: Webhook, at: datetime) -> bool:
        self.disabled.append(webhook.webhook_id)
        self.add(webhook.model_copy(update={"enabled": False, "version": webhook.version + 1}))
        return True

    def reserve_test_slot(self, account_id: str, webhook_id: str, now: datetime, interval_seconds: int) -> float | None:
        last = self.test_slots.get((account_id, webhook_id))
        if last is not None and (now - last).total_seconds() < interval_seconds:
            return interval_seconds - (now - last).total_seconds()
        self.test_slots[(account_id, webhook_id)] = now
        return None


@dataclass
class InMemoryDeliveryLog:
    records: dict[tuple[str, int], DeliveryRecord] = field(default_factory=dict)

    def claim(self, record: DeliveryRecord) -> bool:
        key = (record.delivery_id, record.attempt)
        if key in self.records:
            return False
        self.records[key] = record
        return True

    def complete(self, record: DeliveryRecord) -> None:
        self.records[(record.delivery_id, record.attempt)] = record

    def get(self, delivery_id: str, attempt: int) -> DeliveryRecord | None:
        return self.records.get((delivery_id, attempt))

    def attempts(self, delivery_id: str) -> list[DeliveryRecord]:
        return [record for (key, _), record in self.records.items() if key == delivery_id]


@dataclass
class ScriptedSender:
    """Answers every POST with `result` (or raises `crash`, as a process dying mid-request would)."""

    result: SendResult = field(default_factory=lambda: SendResult(http_status=200, duration_ms=12))
    crash: BaseException | None = None
    requests: list[OutboundRequest] = field(default_factory=list)

    def post(self, request: OutboundRequest) -> SendResult:
        self.requests.append(request)
        if self.crash is not None:
            raise self.crash
        return self.result


@dataclass
class RecordingQueue:
    sent: list[tuple[DeliveryMessage, int]] = field(default_factory=list)

    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None:
        self.sent.append((message, delay_seconds))
