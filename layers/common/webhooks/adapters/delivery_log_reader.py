"""Manage's side of the delivery log in DynamoDB: a delivery's attempts, an event's deliveries, and a
webhook's log page by page.

`webhook_ref` (account#webhook) and `requested_at` feed the by-webhook index, so an account's queries can
never reach another account's records; `event_id` feeds the by-event index (filtered by account).
"""

from __future__ import annotations

from typing import Any

from webhooks.adapters.delivery_item import item_to_record, sortable_time
from webhooks.adapters.dynamo_batches import query_items
from webhooks.adapters.keys import webhook_ref
from webhooks.delivery.record import DeliveryRecord
from webhooks.delivery_log.queries import DeliveryFilters, LogPosition

# Query rounds one page may take when a filter discards most items; then the page ends early.
_MAX_QUERY_ROUNDS = 10


class DynamoDeliveryLogReader:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def attempts(self, delivery_id: str) -> list[DeliveryRecord]:
        """Every attempt, paged through (kept bodies can fill a 1 MB page in four attempts) and read
        consistently: a redelivery takes the attempt after the latest one, so it must see it."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "delivery_id = :id",
            "ExpressionAttributeValues": {":id": {"S": delivery_id}},
            "ConsistentRead": True,
        }
        return self._query_all(request)

    def for_event(self, event_id: str, account_id: str) -> list[DeliveryRecord]:
        return self._query_all(
            {
                "TableName": self._table,
                "IndexName": "by-event",
                "KeyConditionExpression": "event_id = :event",
                "FilterExpression": "account_id = :account",
                "ExpressionAttributeValues": {":event": {"S": event_id}, ":account": {"S": account_id}},
            }
        )

    def _query_all(self, request: dict[str, Any]) -> list[DeliveryRecord]:
        return [item_to_record(item) for item in query_items(self._client, request)]

    def page_for_webhook(
        self, account_id: str, webhook_id: str, filters: DeliveryFilters, start: LogPosition | None, limit: int
    ) -> tuple[list[DeliveryRecord], LogPosition | None]:
        """Newest first; the position returned is where the next page starts (None: no more)."""
        ref = webhook_ref(account_id, webhook_id)
        request = _by_webhook_request(self._table, ref, filters, limit)
        if start is not None:
            request["ExclusiveStartKey"] = _start_key(ref, start)
        items: list[dict[str, Any]] = []
        for _ in range(_MAX_QUERY_ROUNDS):
            response = self._client.query(**request)
            items.extend(response["Items"])
            last_key = response.get("LastEvaluatedKey")
            if len(items) > limit:
                return [item_to_record(item) for item in items[:limit]], _position(items[limit - 1])
            if last_key is None:
                return [item_to_record(item) for item in items], None
            request["ExclusiveStartKey"] = last_key
        return [item_to_record(item) for item in items], _position(last_key)


def _by_webhook_request(table: str, ref: str, filters: DeliveryFilters, limit: int) -> dict[str, Any]:
    key_condition = "webhook_ref = :ref"
    values: dict[str, Any] = {":ref": {"S": ref}}
    if filters.since and filters.until:
        key_condition += " AND requested_at BETWEEN :since AND :until"
    elif filters.since:
        key_condition += " AND requested_at >= :since"
    elif filters.until:
        key_condition += " AND requested_at <= :until"
    if filters.since:
        values[":since"] = {"S": sortable_time(filters.since)}
    if filters.until:
        values[":until"] = {"S": sortable_time(filters.until)}
    conditions, names = [], {}
    if filters.stored_statuses:
        statuses = {f":status{n}": {"S": status.value} for n, status in enumerate(sorted(filters.stored_statuses))}
        conditions.append(f"#status IN ({', '.join(statuses)})")
        names["#status"] = "status"
        values |= statuses
    if filters.event is not None:
        conditions.append("#event = :event")
        names["#event"] = "event"
        values[":event"] = {"S": filters.event}
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": "by-webhook",
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        "Limit": limit + 1,
    }
    if conditions:
        request["FilterExpression"] = " AND ".join(conditions)
        request["ExpressionAttributeNames"] = names
    return request


def _start_key(ref: str, start: LogPosition) -> dict[str, Any]:
    return {
        "webhook_ref": {"S": ref},
        "requested_at": {"S": start.requested_at},
        "delivery_id": {"S": start.delivery_id},
        "attempt": {"N": str(start.attempt)},
    }


def _position(key: dict[str, Any]) -> LogPosition:
    return LogPosition(
        requested_at=key["requested_at"]["S"], delivery_id=key["delivery_id"]["S"], attempt=int(key["attempt"]["N"])
    )
