"""Deliver throughput against its limit: a raw keep-alive POST loop doing one put_item per POST.

Same loopback receiver, same moto_server, same number of messages, one run. The handler does more
per message (a conditional claim, signing, the result; each webhook read once per batch) but
delivers a batch concurrently. The two sides alternate batch by batch, each warmed first, so load
from other processes on a shared machine (and the table growing) hits both alike.
Target: ratio = deliver msgs/s / raw msgs/s >= 0.7. Prints `ratio=` last.
"""

from __future__ import annotations

import time

import urllib3

from bench.deliver_stack import DeliverStack, deliver_stack, message_for

MESSAGES = 500
BATCH = 10
TARGET = 0.7


class RawLoop:
    """The limit: per message, one keep-alive POST and one put_item, one after the other."""

    def __init__(self, stack: DeliverStack) -> None:
        self._dynamodb = stack.session.client("dynamodb")
        self._table = stack.deployed.tables["DeliveriesTable"]
        self._pool = urllib3.PoolManager(maxsize=1)
        self._url = stack.receiver.url("/ok")
        self._body = message_for("raw", 0).encode()

    def run(self, indexes: range) -> float:
        started = time.perf_counter()
        for index in indexes:
            response = self._pool.request(
                "POST", self._url, body=self._body, headers={"content-type": "application/json"}
            )
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "delivery_id": {"S": f"raw_{index}"},
                    "attempt": {"N": "1"},
                    "status": {"N": str(response.status)},
                },
            )
        return time.perf_counter() - started


def deliver(stack: DeliverStack, messages: list[str]) -> float:
    started = time.perf_counter()
    response = stack.deliver(messages)
    elapsed = time.perf_counter() - started
    assert response == {"batchItemFailures": []}, response
    return elapsed


def main() -> None:
    with deliver_stack() as stack:
        stack.add_webhook("bench", "/ok")
        raw = RawLoop(stack)
        messages = [message_for("bench", index) for index in range(MESSAGES)]
        # warm both with a full batch, as a warm Lambda container is: clients, every worker thread and
        # keep-alive connection of the pool
        raw.run(range(-BATCH, 0))
        stack.deliver([message_for("bench", index) for index in range(-BATCH, 0)])
        raw_seconds = deliver_seconds = 0.0
        for start in range(0, MESSAGES, BATCH):
            raw_seconds += raw.run(range(start, start + BATCH))
            deliver_seconds += deliver(stack, messages[start : start + BATCH])
        assert len(stack.receiver.paths()) == 2 * (MESSAGES + BATCH)
        kms_calls = len(stack.kms_calls)
    raw_rate, deliver_rate = MESSAGES / raw_seconds, MESSAGES / deliver_seconds
    print(f"raw keep-alive POST + put_item: {raw_rate:.0f} msgs/s; deliver handler: {deliver_rate:.0f} msgs/s")
    print(
        f"KMS calls: {kms_calls} for {MESSAGES + BATCH} deliveries of one webhook by one container "
        f"({kms_calls * 1000 / (MESSAGES + BATCH):.1f} per 1,000; one Decrypt per data key and container every 300 s)"
    )
    print(f"target >= {TARGET}")
    print(f"ratio={deliver_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
