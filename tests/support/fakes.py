"""In-memory stand-ins for the emission's ports (webhook source, queue, delivery log)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from webhooks.domain.delivery import DeliveryRecord
from webhooks.domain.messages import DeliveryMessage
from webhooks.domain.webhook import Webhook


@dataclass
class FakeWebhookSource:
    webhooks: list[Webhook] = field(default_factory=list)
    failing_accounts: set[str] = field(default_factory=set)
    queries: Counter[str] = field(default_factory=Counter)

    def list_for_account(self, account_id: str) -> list[Webhook]:
        self.queries[account_id] += 1
        if account_id in self.failing_accounts:
            raise ConnectionError(f"query for {account_id} failed")
        return [webhook for webhook in self.webhooks if webhook.account_id == account_id]


@dataclass
class FakeQueue:
    """Takes every message except those `rejects` picks (reported back as not enqueued)."""

    rejects: Callable[[DeliveryMessage], bool] = lambda _message: False
    enqueued: list[DeliveryMessage] = field(default_factory=list)

    def send_batch(self, messages: Sequence[DeliveryMessage]) -> list[int]:
        failed = [position for position, message in enumerate(messages) if self.rejects(message)]
        self.enqueued.extend(message for position, message in enumerate(messages) if position not in failed)
        return failed


@dataclass
class FakeDeliveryLog:
    fails: bool = False
    records: list[DeliveryRecord] = field(default_factory=list)

    def put(self, record: DeliveryRecord) -> None:
        if self.fails:
            raise ConnectionError("put failed")
        self.records.append(record)
