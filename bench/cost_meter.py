"""What the functions ask of AWS, metered as AWS bills it: requests by service and operation (botocore's
event hooks on the session the handlers' clients come from), DynamoDB read and write units from item sizes
by DynamoDB's rounding rules (the emulator does not report consumed capacity), and SQS requests in the
64 KB chunks SQS bills.

DynamoDB's rules (developer guide, "Capacity unit consumption"):
- an item's size is the sum of its attribute names' UTF-8 lengths and their values' sizes: a string its UTF-8
  length, a number (significant digits / 2) + 1 bytes, binary its length, a boolean or null 1 byte, a list or
  map 3 bytes plus 1 per element plus the elements, a set the sum of its elements;
- a write costs 1 unit per started KB of the item; PutItem over an existing item and UpdateItem cost the larger
  of the item before and after; a transaction costs twice;
- each global secondary index whose keys the written item has costs a write of the item as that index projects
  it (the whole item for ALL; its keys and the included attributes otherwise);
- a read costs 1 unit per started 4 KB (half for an eventually consistent read); a Query or BatchGetItem sums
  the sizes of its items (per item for BatchGetItem) before rounding.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

KB = 1024
SQS_CHUNK = 64 * KB


def value_size(value: dict[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        digits = Decimal(content).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in content.items())
    if kind == "SS":
        return sum(len(element.encode()) for element in content)
    if kind == "NS":
        return sum(value_size({"N": element}) for element in content)
    if kind == "BS":
        return sum(len(element) for element in content)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / (4 * KB)))
    return float(units) if consistent else units / 2


@dataclass
class Meter:
    """Counts on a boto3 session: `attach(session)`, then every client made from it is metered."""

    requests: Counter[str] = field(default_factory=Counter)  # "dynamodb.PutItem" -> calls
    billed_requests: Counter[str] = field(default_factory=Counter)  # SQS in 64 KB chunks; others as calls
    write_units: Counter[str] = field(default_factory=Counter)  # table -> units
    read_units: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _index_cache: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)

    def reset(self) -> None:
        for counter in (self.requests, self.billed_requests, self.write_units, self.read_units):
            counter.clear()

    def snapshot(self) -> Meter:
        """The counts so far, apart from the meter (which goes on counting)."""
        return Meter(
            Counter(self.requests),
            Counter(self.billed_requests),
            Counter(self.write_units),
            defaultdict(float, self.read_units),
        )

    def attach(self, session: Any, peek: Any) -> None:
        """`peek`: an unmetered DynamoDB client, to read the item an UpdateItem changes before and after."""
        self._peek = peek
        session.events.register("before-parameter-build", self._before_call)
        session.events.register("after-call", self._after_call)

    # botocore hands the call's own parameters to before-parameter-build only; its `context` reaches after-call.
    def _before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["metered_params"] = params
        if model.service_model.service_name == "dynamodb" and model.name == "UpdateItem":
            context["metered_size_before"] = self._stored_size(params)

    def _after_call(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        params = context.get("metered_params", {})
        self.requests[f"{service}.{operation}"] += 1
        if service == "sqs":
            self.billed_requests[f"sqs.{operation}"] += _sqs_chunks(operation, params, parsed)
        else:
            self.billed_requests[f"{service}.{operation}"] += 1
        if service == "dynamodb" and "Error" not in parsed:
            self._dynamodb(operation, params, parsed, context.get("metered_size_before", 0))

    def _stored(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self._peek.get_item(TableName=params["TableName"], Key=params["Key"], ConsistentRead=True)
        item: dict[str, Any] = found.get("Item", {})
        return item

    def _stored_size(self, params: dict[str, Any]) -> int:
        return item_size(self._stored(params))

    def _written(self, table: str, item: dict[str, Any], before: int = 0, factor: int = 1) -> None:
        """The item's write to the table, and to each of its indexes that holds it."""
        self.write_units[table] += factor * write_units(max(before, item_size(item)))
        for index, projected in self._indexes(table):
            if (kept := projected(item)) is not None:
                self.write_units[f"{table} index {index}"] += factor * write_units(item_size(kept))

    def _indexes(self, table: str) -> list[tuple[str, Any]]:
        if table not in self._index_cache:
            described = self._peek.describe_table(TableName=table)["Table"]
            keys = [key["AttributeName"] for key in described["KeySchema"]]
            self._index_cache[table] = [
                (index["IndexName"], _projection(index, keys)) for index in described.get("GlobalSecondaryIndexes", [])
            ]
        return self._index_cache[table]

    def _dynamodb(self, operation: str, params: dict[str, Any], parsed: dict[str, Any], before: int) -> None:
        table = params.get("TableName", "")
        consistent = bool(params.get("ConsistentRead"))
        if operation == "PutItem":
            self._written(table, params["Item"])
        elif operation == "UpdateItem":
            self._written(table, self._stored(params), before)
        elif operation == "DeleteItem":
            self.write_units[table] += 1
        elif operation == "BatchWriteItem":
            self._batch_write(params, parsed)
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                ((kind, request),) = action.items()
                item = request["Item"] if kind == "Put" else self._stored(request)
                self._written(request["TableName"], item, factor=2)
        elif operation == "GetItem":
            self.read_units[table] += read_units(item_size(parsed.get("Item", {})), consistent)
        elif operation == "Query":
            size = sum(item_size(item) for item in parsed.get("Items", []))
            self.read_units[table] += read_units(size, consistent)
        elif operation == "BatchGetItem":
            for name, items in parsed.get("Responses", {}).items():
                strong = bool(params["RequestItems"][name].get("ConsistentRead"))
                self.read_units[name] += sum(read_units(item_size(item), strong) for item in items)

    def _batch_write(self, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        unprocessed = parsed.get("UnprocessedItems", {})
        for table, requests in params["RequestItems"].items():
            left = len(unprocessed.get(table, []))
            for request in requests[: len(requests) - left]:  # DynamoDB leaves the tail unprocessed here
                if put := request.get("PutRequest"):
                    self._written(table, put["Item"])
                else:
                    self.write_units[table] += 1


def _projection(index: dict[str, Any], table_keys: list[str]) -> Any:
    """item -> what the index keeps of it (None: it lacks the index's keys, so the index holds no entry)."""
    index_keys = [key["AttributeName"] for key in index["KeySchema"]]
    projection = index["Projection"]
    kind = projection.get("ProjectionType", "ALL")
    kept = set(table_keys) | set(index_keys) | set(projection.get("NonKeyAttributes", []))

    def projected(item: dict[str, Any]) -> dict[str, Any] | None:
        if not all(key in item for key in index_keys):
            return None
        return item if kind == "ALL" else {name: value for name, value in item.items() if name in kept}

    return projected


def _sqs_chunks(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> int:
    """SQS bills each 64 KB of a request's payload as one request."""
    if operation == "SendMessageBatch":
        payload = sum(len(entry["MessageBody"].encode()) for entry in params["Entries"])
    elif operation == "SendMessage":
        payload = len(params["MessageBody"].encode())
    elif operation == "ReceiveMessage":
        payload = sum(len(message["Body"].encode()) for message in parsed.get("Messages", []))
    else:
        payload = 0
    return max(1, math.ceil(payload / SQS_CHUNK))


def per(counts: Iterable[tuple[str, float]], deliveries: int) -> dict[str, float]:
    return {name: round(count / deliveries, 4) for name, count in counts}
