"""DynamoDB attribute values <-> plain Python / JSON, shared by every DynamoDB adapter and emit."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _to_dynamo(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(item) for item in value]
    return value


def to_item(document: dict[str, Any]) -> dict[str, Any]:
    """A plain document as a DynamoDB item (None values are left out, floats become numbers)."""
    return {key: _serializer.serialize(value) for key, value in _to_dynamo(document).items()}


def plain(value: Any) -> Any:
    """Deserialized DynamoDB values as plain JSON: numbers stay numbers, sets become sorted lists,
    binary becomes base64 text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(item) for item in value), key=lambda item: (str(type(item)), item))
    if isinstance(value, Binary):
        return base64.b64encode(bytes(value)).decode("ascii")  # type: ignore[call-overload]  # Binary has __bytes__
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (or stream image) as a plain JSON document."""
    return {key: plain(_deserializer.deserialize(value)) for key, value in item.items()}
