"""What the batch and paged calls of DynamoDB share: their size limits, the bounded, backed-off retry of the
part a batch call left undone (unprocessed items or keys), and reading every page of a Query.

botocore already retries a throttled *request*; these are the parts a successful request reports back.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import batched
from typing import Any

BATCH_WRITE_ITEMS = 25
BATCH_GET_KEYS = 100
# Rounds of one batch call, the first included; the waits between them total at most about 0.75 s.
ROUNDS = 4
_FIRST_WAIT_SECONDS = 0.05

Sleep = Callable[[float], None]


def wait_before_round(round_number: int, sleep: Sleep = time.sleep) -> None:
    """Full jitter: a random wait up to 50 ms, 100 ms, 200 ms... before round 1, 2, 3..."""
    sleep(random.uniform(0, _FIRST_WAIT_SECONDS * 2 ** (round_number - 1)))  # noqa: S311 - not for security


class KeysNotRead(RuntimeError):
    """DynamoDB left some keys of a batch read unprocessed (throttled) after the retries."""


def batch_get_items(
    client: Any, table: str, keys: Sequence[dict[str, Any]], sleep: Sleep = time.sleep
) -> Iterator[dict[str, Any]]:
    """The items found among `keys`, consistently read with BatchGetItem, 100 keys a call; unprocessed
    keys are retried with backoff, and raise KeysNotRead if some stay unread."""
    for chunk in batched(keys, BATCH_GET_KEYS):
        request: dict[str, Any] = {table: {"Keys": list(chunk), "ConsistentRead": True}}
        for round_number in range(ROUNDS):
            if round_number:
                wait_before_round(round_number, sleep)
            response = client.batch_get_item(RequestItems=request)
            yield from response["Responses"].get(table, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        if request:
            raise KeysNotRead(f"{len(request[table]['Keys'])} keys of {table} unread after {ROUNDS} rounds")


def query_items(client: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item a Query finds, page after page (`request` is reused: its ExclusiveStartKey moves on)."""
    while True:
        response = client.query(**request)
        yield from response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
