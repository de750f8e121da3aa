"""Operational events in DynamoDB: one item per event, keyed by its id, read by emit from the table's stream
(webhooks.domain.derivation reads the item this writes). `data` is stored as JSON text so the payload reads
back exactly as it was built (nulls and integers included). Items expire after a day: emit reads each one
within seconds of its insertion, and writing the same event again (a retried batch) changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from webhooks.delivery.message import format_timestamp
from webhooks.domain.operational_events import OPERATIONAL_EVENT_RETENTION, OperationalEvent


def operational_event_item(event: OperationalEvent) -> dict[str, Any]:
    """The item as written by PutItem, alone or in a transaction (deliver's disabling writes it with the webhook)."""
    return {
        "event_id": {"S": event.event_id},
        "event": {"S": event.event},
        "account_id": {"S": event.account_id},
        "environment": {"S": event.environment.value},
        "occurred_at": {"S": format_timestamp(event.occurred_at)},
        "about_webhook_id": {"S": event.about_webhook_id},
        "data": {"S": json.dumps(event.data, separators=(",", ":"))},
        "expires_at": {"N": str(int((event.occurred_at + OPERATIONAL_EVENT_RETENTION).timestamp()))},
    }


class DynamoOperationalEvents:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def put_request(self, event: OperationalEvent) -> dict[str, Any]:
        """The transaction item that records `event`."""
        return {"Put": {"TableName": self._table, "Item": operational_event_item(event)}}

    def record(self, events: Sequence[OperationalEvent]) -> None:
        for event in events:
            self._client.put_item(TableName=self._table, Item=operational_event_item(event))
