"""The cost benchmark's meter: DynamoDB item sizes and units by DynamoDB's published rules, SQS's 64 KB chunks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bench.cost_meter import Meter, item_size, read_units, value_size, write_units


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),  # UTF-8 bytes, not characters
        ({"N": "12345"}, 4),  # (5 significant digits / 2, rounded up) + 1
        ({"N": "1000"}, 2),  # trailing zeros are not significant
        ({"N": "0.001"}, 2),  # nor leading ones
        ({"B": b"\x00\x01\x02"}, 3),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"L": [{"S": "ab"}, {"BOOL": False}]}, 3 + (1 + 2) + (1 + 1)),
        ({"M": {"k": {"S": "ab"}}}, 3 + 1 + 1 + 2),
        ({"SS": ["ab", "c"]}, 3),
    ],
)
def test_a_values_size_follows_dynamodbs_rules(value: dict[str, Any], size: int) -> None:
    assert value_size(value) == size


def test_an_items_size_counts_its_attribute_names() -> None:
    assert item_size({"id": {"S": "abc"}, "seats": {"N": "5"}}) == (2 + 3) + (5 + 2)


@pytest.mark.parametrize(("size", "units"), [(1, 1), (1024, 1), (1025, 2), (10 * 1024, 10)])
def test_a_write_costs_a_unit_per_started_kilobyte(size: int, units: int) -> None:
    assert write_units(size) == units


def test_a_read_costs_a_unit_per_started_4_kb_and_half_when_eventually_consistent() -> None:
    assert (read_units(4096, True), read_units(4097, True), read_units(100, False)) == (1.0, 2.0, 0.5)


class _Peek:
    """An unmetered DynamoDB client: the table's indexes, and the item an update left."""

    def __init__(self, stored: dict[str, Any]) -> None:
        self.stored = stored

    def describe_table(self, TableName: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter names
        index = {
            "IndexName": "by-ref",
            "KeySchema": [{"AttributeName": "ref"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["small"]},
        }
        return {"Table": {"KeySchema": [{"AttributeName": "id"}], "GlobalSecondaryIndexes": [index]}}

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": self.stored}


def _call(meter: Meter, service: str, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
    model = SimpleNamespace(name=operation, service_model=SimpleNamespace(service_name=service))
    context: dict[str, Any] = {}
    meter._before_call(model=model, params=params, context=context)
    meter._after_call(model=model, parsed=parsed, context=context)


def test_a_put_costs_its_item_in_the_table_and_its_projection_in_each_index_that_holds_it() -> None:
    # Given a table whose index keeps `small` of the items that have `ref`
    meter = Meter()
    meter.attach(SimpleNamespace(events=SimpleNamespace(register=lambda *_: None)), _Peek({}))
    big = {"id": {"S": "1"}, "ref": {"S": "r"}, "small": {"S": "s"}, "body": {"S": "x" * 3000}}
    # When one item with `ref` and one without are put
    _call(meter, "dynamodb", "PutItem", {"TableName": "log", "Item": big}, {})
    _call(meter, "dynamodb", "PutItem", {"TableName": "log", "Item": {"id": {"S": "2"}, "body": {"S": "x" * 3000}}}, {})
    # Then the table is charged 3 units for each, the index 1 unit for the first only
    assert dict(meter.write_units) == {"log": 6, "log index by-ref": 1}
    assert meter.requests["dynamodb.PutItem"] == 2


def test_an_update_costs_the_larger_of_the_item_before_and_after() -> None:
    # Given a stored item of 2.5 KB that an update shrinks to a few bytes
    peek = _Peek({"id": {"S": "1"}, "body": {"S": "x" * 2500}})
    meter = Meter()
    meter.attach(SimpleNamespace(events=SimpleNamespace(register=lambda *_: None)), peek)
    model = SimpleNamespace(name="UpdateItem", service_model=SimpleNamespace(service_name="dynamodb"))
    context: dict[str, Any] = {}
    params = {"TableName": "log", "Key": {"id": {"S": "1"}}}
    meter._before_call(model=model, params=params, context=context)
    peek.stored = {"id": {"S": "1"}}
    meter._after_call(model=model, parsed={}, context=context)
    # Then it is charged as the item before it: 3 units
    assert meter.write_units["log"] == 3


def test_sqs_bills_each_64_kb_of_a_batch_as_one_request() -> None:
    meter = Meter()
    entries = [{"Id": str(i), "MessageBody": "x" * 11 * 1024} for i in range(10)]
    _call(meter, "sqs", "SendMessageBatch", {"Entries": entries}, {})
    _call(meter, "sqs", "DeleteMessageBatch", {"Entries": []}, {})
    assert (meter.requests["sqs.SendMessageBatch"], meter.billed_requests["sqs.SendMessageBatch"]) == (1, 2)
    assert meter.billed_requests["sqs.DeleteMessageBatch"] == 1
