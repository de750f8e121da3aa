"""DynamoDB Streams records, as Lambda hands them over, read into domain StreamChanges.

A record that cannot be read at all (no sequence number, a broken attribute value) is not
guessed at: it becomes `UnreadableRecord`, which the emission fails so the stream retries it
and, once retries are exhausted, hands it to the on-failure destination.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from webhooks.adapters.dynamo_codec import from_item
from webhooks.domain.derivation import StreamChange
from webhooks.domain.emission import UnreadableRecord

# How DynamoDB's TTL process signs the removals it makes.
TTL_PRINCIPAL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def table_name_from_arn(arn: str) -> str:
    """arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label> -> <name>"""
    _, _, resource = arn.partition(":table/")
    return resource.split("/", 1)[0]


def _binary_as_bytes(value: Any) -> Any:
    """Lambda's JSON event carries binary (B, BS) as base64 text; the deserializer wants bytes."""
    if isinstance(value, dict):
        return {
            kind: (
                base64.b64decode(item)
                if kind == "B" and isinstance(item, str)
                else [base64.b64decode(part) if isinstance(part, str) else part for part in item]
                if kind == "BS"
                else _binary_as_bytes(item)
            )
            for kind, item in value.items()
        }
    if isinstance(value, list):
        return [_binary_as_bytes(item) for item in value]
    return value


def _image(image: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if image is None else from_item(_binary_as_bytes(image))


def _occurred_at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


def read_record(record: dict[str, Any]) -> StreamChange | UnreadableRecord:
    dynamodb = record.get("dynamodb", {})
    sequence_number = str(dynamodb.get("SequenceNumber", ""))
    try:
        identity = record.get("userIdentity") or {}
        return StreamChange(
            sequence_number=sequence_number,
            stream_event_id=record["eventID"],
            table_name=table_name_from_arn(record.get("eventSourceARN", "")),
            kind=record["eventName"],
            keys=from_item(_binary_as_bytes(dynamodb.get("Keys", {}))),
            occurred_at=_occurred_at(dynamodb["ApproximateCreationDateTime"]),
            old_image=_image(dynamodb.get("OldImage")),
            new_image=_image(dynamodb.get("NewImage")),
            removed_by_ttl=all(identity.get(key) == value for key, value in TTL_PRINCIPAL.items()),
        )
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
        return UnreadableRecord(sequence_number=sequence_number, error=f"{type(error).__name__}: {error}")


def read_records(records: Iterable[dict[str, Any]]) -> list[StreamChange | UnreadableRecord]:
    return [read_record(record) for record in records]


class StreamBatchFailed(Exception):
    """The batch failed from its first record on: raised so the mapping bisects it (a partial
    response naming the first record would only retry the same batch whole)."""


def partial_batch_response(changes: list[StreamChange | UnreadableRecord], first_failed: int | None) -> dict[str, Any]:
    """Lambda's stream response: the first failed record's sequence number; Lambda retries from it."""
    if first_failed is None:
        return {"batchItemFailures": []}
    sequence_number = changes[first_failed].sequence_number
    if first_failed == 0 or not sequence_number:
        raise StreamBatchFailed(f"{len(changes)} records failed from record {first_failed} on")
    return {"batchItemFailures": [{"itemIdentifier": sequence_number}]}
