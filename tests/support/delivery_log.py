"""The delivery log as integration tests use it: both adapters over one table, and one attempt by key."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from webhooks.adapters.delivery_log_reader import DynamoDeliveryLogReader
from webhooks.adapters.delivery_log_writer import DynamoDeliveryLogWriter
from webhooks.adapters.dynamo_batches import Sleep
from webhooks.delivery.attempt import AttemptKey, Claim
from webhooks.delivery.record import DeliveryRecord
from webhooks.delivery_log.queries import DeliveryFilters, LogPosition


class DeliveryLogTable:
    def __init__(self, client: Any, table_name: str, sleep: Sleep = time.sleep) -> None:
        self.writer = DynamoDeliveryLogWriter(client, table_name, sleep)
        self.reader = DynamoDeliveryLogReader(client, table_name)

    def put(self, record: DeliveryRecord) -> None:
        self.writer.put(record)

    def claim(self, record: DeliveryRecord) -> Claim:
        return self.writer.claim(record)

    def complete_all(self, records: Sequence[DeliveryRecord]) -> set[AttemptKey]:
        return self.writer.complete_all(records)

    def keep_content(self, record: DeliveryRecord) -> None:
        self.writer.keep_content(record)

    def attempts(self, delivery_id: str) -> list[DeliveryRecord]:
        return self.reader.attempts(delivery_id)

    def page_for_webhook(
        self, account_id: str, webhook_id: str, filters: DeliveryFilters, start: LogPosition | None, limit: int
    ) -> tuple[list[DeliveryRecord], LogPosition | None]:
        return self.reader.page_for_webhook(account_id, webhook_id, filters, start, limit)

    def for_event(self, event_id: str, account_id: str) -> list[DeliveryRecord]:
        return self.reader.for_event(event_id, account_id)

    def get(self, delivery_id: str, attempt: int) -> DeliveryRecord | None:
        """One attempt, read as manage reads a delivery's attempts (consistently)."""
        return next((record for record in self.attempts(delivery_id) if record.attempt == attempt), None)
