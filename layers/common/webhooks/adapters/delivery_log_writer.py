"""Deliver's and emit's side of the delivery log in DynamoDB: claim an attempt, then write its result.

One item per attempt, keyed (delivery_id, attempt); its layout is `delivery_item.DeliveryItem`. The claim
is a conditional put before the POST, so one attempt is POSTed at most once whatever SQS hands over twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from itertools import batched
from typing import Any

from webhooks.adapters.delivery_item import item_to_record, record_to_item
from webhooks.adapters.dynamo_batches import BATCH_WRITE_ITEMS, ROUNDS, Sleep, wait_before_round
from webhooks.delivery.attempt import AttemptKey, Claim
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus

_UNCLAIMED = "attribute_not_exists(delivery_id)"


def _item_key(item: dict[str, Any]) -> AttemptKey:
    return (item["delivery_id"]["S"], int(item["attempt"]["N"]))


class DynamoDeliveryLogWriter:
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

    def keep_content(self, record: DeliveryRecord) -> None:
        """Add the attempt's `content` to its claim, only while that is pending and has none."""
        content = record_to_item(record).get("content")
        if content is None:
            return
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"delivery_id": {"S": record.delivery_id}, "attempt": {"N": str(record.attempt)}},
                UpdateExpression="SET content = :content",
                ConditionExpression="#status = :pending AND attribute_not_exists(content)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":content": content, ":pending": {"S": DeliveryStatus.PENDING.value}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # answered meanwhile, or given its content already

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
