"""DynamoDB Streams records, as Lambda hands them over, read into domain StreamChanges.

A record that cannot be read at all (no sequence number, a broken attribute value) is not
guessed at: it becomes `UnreadableRecord`, which the emission fails so the stream retries it
and, once retries are exhausted, hands it to the on-failure destination.
"""

from __future__ import annotations

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


def _occurred_at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


def read_record(record: dict[str, Any]) -> StreamChange | UnreadableRecord:
    dynamodb = record.get("dynamodb", {})
    sequence_number = str(dynamodb.get("SequenceNumber", ""))
    try:
        old_image, new_image = dynamodb.get("OldImage"), dynamodb.get("NewImage")
        identity = record.get("userIdentity") or {}
        return StreamChange(
            sequence_number=sequence_number,
            stream_event_id=record["eventID"],
            table_name=table_name_from_arn(record.get("eventSourceARN", "")),
            kind=record["eventName"],
            keys=from_item(dynamodb.get("Keys", {})),
            occurred_at=_occurred_at(dynamodb["ApproximateCreationDateTime"]),
            old_image=from_item(old_image) if old_image is not None else None,
            new_image=from_item(new_image) if new_image is not None else None,
            removed_by_ttl=all(identity.get(key) == value for key, value in TTL_PRINCIPAL.items()),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
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
