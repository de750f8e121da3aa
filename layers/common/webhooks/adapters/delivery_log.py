"""The delivery log in DynamoDB: one item per attempt, keyed (delivery_id, attempt).

`webhook_ref` (account#webhook) and `requested_at` feed the by-webhook index, so an account's
queries can never reach another account's records; `event_id` feeds the by-event index. The item's
layout is `delivery_item.DeliveryItem`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from itertools import batched
from typing import Any

from webhooks.adapters.delivery_item import item_to_record, record_to_item, sortable_time
from webhooks.adapters.dynamo_batches import BATCH_WRITE_ITEMS, ROUNDS, Sleep, wait_before_round
from webhooks.adapters.keys import webhook_ref
from webhooks.domain.delivery import DeliveryRecord
from webhooks.domain.delivery_batch import AttemptKey, Claim
from webhooks.domain.delivery_history import DeliveryFilters, LogPosition

_UNCLAIMED = "attribute_not_exists(delivery_id)"
# Query rounds one page may take when a filter discards most items; then the page ends early.
_MAX_QUERY_ROUNDS = 10


def _item_key(item: dict[str, Any]) -> AttemptKey:
    return (item["delivery_id"]["S"], int(item["attempt"]["N"]))


class DynamoDeliveryLog:
    def __init__(self, client: Any, table_name: str, sleep: Sleep = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep

    def put(self, record: DeliveryRecord) -> None:
        """Write a record that needs no claim (for example payload_too_large at emit time)."""
        self._client.put_item(TableName=self._table, Item=record_to_item(record))

    def claim(self, record: DeliveryRecord) -> Claim:
        """Write the pending attempt unless it exists. When it does, the answer carries the record that
        holds it (read in the same call), and nothing is written.

        Each call writes a fresh token with its claim: when the SDK sends the put again because its first
        answer was lost, the refusal shows this call's own token, and the claim is ours after all."""
        token = uuid.uuid4().hex
        try:
            self._client.put_item(
                TableName=self._table,
                Item=record_to_item(record, claim=token),
                ConditionExpression=_UNCLAIMED,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as refused:
            holder = refused.response.get("Item")
            if holder is None:
                return Claim(token=None)
            if holder.get("claim") == {"S": token}:
                return Claim(token=token)
            return Claim(token=None, earlier=item_to_record(holder))
        return Claim(token=token)

    def complete_all(self, records: Sequence[DeliveryRecord]) -> set[AttemptKey]:
        """Replace the claimed attempts with their outcomes (BatchWriteItem, unprocessed items retried
        with backoff); returns the attempts still unwritten, which stay `pending`."""
        unwritten: set[AttemptKey] = set()
        for chunk in batched(records, BATCH_WRITE_ITEMS):
            requests = [{"PutRequest": {"Item": record_to_item(record)}} for record in chunk]
            for round_number in range(ROUNDS):
                if round_number:
                    wait_before_round(round_number, self._sleep)
                response = self._client.batch_write_item(RequestItems={self._table: requests})
                requests = response.get("UnprocessedItems", {}).get(self._table, [])
                if not requests:
                    break
            unwritten.update(_item_key(request["PutRequest"]["Item"]) for request in requests)
        return unwritten

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
        records: list[DeliveryRecord] = []
        while True:
            response = self._client.query(**request)
            records.extend(item_to_record(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return records
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

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
    if filters.stored_status is not None:
        conditions.append("#status = :status")
        names["#status"] = "status"
        values[":status"] = {"S": filters.stored_status.value}
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
