from __future__ import annotations

from decimal import Decimal

from boto3.dynamodb.types import Binary

from webhooks.adapters.dynamo_codec import from_item, plain, to_item


def test_stream_images_become_plain_json() -> None:
    image = {
        "id": {"S": "lic_1"},
        "seats": {"N": "5"},
        "price": {"N": "9.5"},
        "tags": {"SS": ["b", "a"]},
        "codes": {"NS": ["3", "1"]},
        "blob": {"B": b"\x00\x01"},
        "active": {"BOOL": True},
        "nothing": {"NULL": True},
        "nested": {"M": {"list": {"L": [{"N": "1"}, {"S": "x"}]}}},
    }
    assert from_item(image) == {
        "id": "lic_1",
        "seats": 5,
        "price": 9.5,
        "tags": ["a", "b"],
        "codes": [1, 3],
        "blob": "AAE=",
        "active": True,
        "nothing": None,
        "nested": {"list": [1, "x"]},
    }


def test_documents_round_trip_through_items() -> None:
    document = {"name": "x", "ratio": 0.25, "count": 3, "skip": None, "nested": {"a": [1.5, "b"]}}
    assert from_item(to_item(document)) == {"name": "x", "ratio": 0.25, "count": 3, "nested": {"a": [1.5, "b"]}}


def test_plain_handles_decimal_and_binary() -> None:
    assert plain(Decimal("10")) == 10
    assert isinstance(plain(Decimal("10")), int)
    assert plain(Binary(b"hi")) == "aGk="
