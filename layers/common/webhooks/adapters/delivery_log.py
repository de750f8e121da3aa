"""The delivery log in DynamoDB: one item per attempt, keyed (delivery_id, attempt).

`webhook_ref` (account#webhook) and `requested_at` feed the by-webhook index, so an account's
queries can never reach another account's records; `event_id` feeds the by-event index.
"""

from __future__ import annotations

from typing import Any

from webhooks.adapters.dynamo_codec import from_item, to_item
from webhooks.adapters.keys import webhook_ref
from webhooks.domain.delivery import DeliveryRecord

__all__ = ["DynamoDeliveryLog", "item_to_record", "record_to_item", "webhook_ref"]


def record_to_item(record: DeliveryRecord) -> dict[str, Any]:
    document = record.model_dump(mode="json") | {"webhook_ref": webhook_ref(record.account_id, record.webhook_id)}
    return to_item(document)


def item_to_record(item: dict[str, Any]) -> DeliveryRecord:
    return DeliveryRecord.model_validate(from_item(item))


class DynamoDeliveryLog:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, record: DeliveryRecord) -> None:
        """Write a record that needs no claim (for example payload_too_large at emit time)."""
        self._client.put_item(TableName=self._table, Item=record_to_item(record))
