"""Reading Lambda's DynamoDB stream records, and the partial batch response for streams."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.builders import a_stream_change
from webhooks.adapters.stream_records import (
    StreamBatchFailed,
    partial_batch_response,
    read_record,
    table_name_from_arn,
)
from webhooks.domain.derivation import StreamChange
from webhooks.domain.emission import UnreadableRecord

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/licenses-dev/stream/2026-11-29T10:00:00.000"


def _record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventID": "e-1",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "eventSourceARN": ARN,
        "dynamodb": {
            "ApproximateCreationDateTime": 1795946400.5,
            "Keys": {"id": {"S": "lic_1"}},
            "SequenceNumber": "111",
            "OldImage": {"id": {"S": "lic_1"}, "seats": {"N": "5"}},
            "NewImage": {
                "id": {"S": "lic_1"},
                "seats": {"N": "6"},
                "price": {"N": "12.50"},
                "tags": {"SS": ["b", "a"]},
                "sizes": {"NS": ["3", "1.5"]},
                "blob": {"B": base64.b64encode(b"\x00\x01").decode()},
                "blobs": {"BS": [base64.b64encode(b"\x02").decode()]},
                "nested": {"M": {"on": {"BOOL": True}, "none": {"NULL": True}, "list": {"L": [{"N": "1"}]}}},
            },
        },
    }
    return record | overrides


def test_a_record_becomes_a_change_with_plain_json_images() -> None:
    change = read_record(_record())
    assert isinstance(change, StreamChange)
    assert (change.table_name, change.kind, change.sequence_number, change.keys) == (
        "licenses-dev",
        "MODIFY",
        "111",
        {"id": "lic_1"},
    )
    assert change.occurred_at == datetime.fromtimestamp(1795946400.5, UTC)
    assert change.old_image == {"id": "lic_1", "seats": 5}
    assert change.new_image == {
        "id": "lic_1",
        "seats": 6,
        "price": 12.5,
        "tags": ["a", "b"],
        "sizes": [1.5, 3],
        "blob": "AAE=",
        "blobs": ["Ag=="],
        "nested": {"on": True, "none": None, "list": [1]},
    }
    assert change.removed_by_ttl is False


def test_a_removal_by_dynamodb_ttl_is_recognised() -> None:
    ttl = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert read_record(_record(eventName="REMOVE", userIdentity=ttl)).removed_by_ttl is True  # type: ignore[union-attr]
    user = {"type": "Service", "principalId": "someone.else"}
    assert read_record(_record(eventName="REMOVE", userIdentity=user)).removed_by_ttl is False  # type: ignore[union-attr]


def test_a_record_without_images_reads_as_a_change_without_them() -> None:
    record = _record()
    del record["dynamodb"]["OldImage"], record["dynamodb"]["NewImage"]
    change = read_record(record)
    assert isinstance(change, StreamChange)
    assert (change.old_image, change.new_image) == (None, None)


@pytest.mark.parametrize("broken", ["eventName", "eventID"])
def test_a_record_missing_what_it_must_have_is_unreadable(broken: str) -> None:
    record = _record()
    del record[broken]
    assert read_record(record) == UnreadableRecord(sequence_number="111", error=f"KeyError: '{broken}'")


def test_a_broken_attribute_value_is_unreadable() -> None:
    record = _record()
    record["dynamodb"]["NewImage"] = {"seats": {"Q": "no such type"}}
    outcome = read_record(record)
    assert isinstance(outcome, UnreadableRecord)
    assert outcome.sequence_number == "111"


def test_the_table_name_comes_from_the_stream_arn() -> None:
    assert table_name_from_arn(ARN) == "licenses-dev"
    assert table_name_from_arn("") == ""


def test_the_response_names_only_the_first_failed_record() -> None:
    changes: list[StreamChange | UnreadableRecord] = [a_stream_change(sequence_number=str(n)) for n in range(5)]
    assert partial_batch_response(changes, None) == {"batchItemFailures": []}
    assert partial_batch_response(changes, 3) == {"batchItemFailures": [{"itemIdentifier": "3"}]}


def test_a_batch_failed_from_its_first_record_raises_so_the_mapping_bisects_it() -> None:
    changes: list[StreamChange | UnreadableRecord] = [a_stream_change(sequence_number=str(n)) for n in range(3)]
    with pytest.raises(StreamBatchFailed):
        partial_batch_response(changes, 0)
    with pytest.raises(StreamBatchFailed):
        partial_batch_response([*changes, UnreadableRecord(sequence_number="", error="x")], 3)
