"""Stream records in the shape Lambda hands them to a function (GetRecords' shape, JSON-ready)."""

from __future__ import annotations

import base64
import datetime
from typing import Any

Record = dict[str, Any]


def lambda_record(record: Record, stream_arn: str) -> Record:
    """A GetRecords record as Lambda passes it: eventSourceARN added, epoch seconds and base64 binaries."""
    converted: Record = _as_json(record)
    converted["eventSourceARN"] = stream_arn
    return converted


def _as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_as_json(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime):
        return int(value.timestamp())
    return value
