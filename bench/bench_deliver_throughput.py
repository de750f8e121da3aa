"""Deliver throughput against its limit: a raw keep-alive POST loop doing one put_item per POST.

Same loopback receiver, same moto_server, same number of messages, one run each. The handler does
more per message (claim, webhook re-read, signing, result) but delivers a batch concurrently.
Target (DESIGN.md section 8): ratio = deliver msgs/s / raw msgs/s >= 0.7. Prints `ratio=` last.
"""

from __future__ import annotations

import time

import urllib3

from bench.deliver_stack import DeliverStack, deliver_stack, message_for

MESSAGES = 200
BATCH = 10
TARGET = 0.7


def raw_loop(stack: DeliverStack) -> float:
    dynamodb = stack.session.client("dynamodb")
    pool = urllib3.PoolManager(maxsize=1)
    url = stack.receiver.url("/ok")
    body = message_for("raw", 0).encode()
    started = time.perf_counter()
    for index in range(MESSAGES):
        response = pool.request("POST", url, body=body, headers={"content-type": "application/json"})
        dynamodb.put_item(
            TableName=stack.deployed.tables["DeliveriesTable"],
            Item={"delivery_id": {"S": f"raw_{index}"}, "attempt": {"N": "1"}, "status": {"N": str(response.status)}},
        )
    return MESSAGES / (time.perf_counter() - started)


def deliver(stack: DeliverStack) -> float:
    stack.add_webhook("bench", "/ok")
    messages = [message_for("bench", index) for index in range(MESSAGES)]
    stack.deliver([message_for("bench", -1)])  # warm: pools and clients, as a warm Lambda container has
    started = time.perf_counter()
    for start in range(0, MESSAGES, BATCH):
        response = stack.deliver(messages[start : start + BATCH])
        assert response == {"batchItemFailures": []}, response
    return MESSAGES / (time.perf_counter() - started)


def main() -> None:
    with deliver_stack() as stack:
        raw = raw_loop(stack)
        delivered = deliver(stack)
        assert len(stack.receiver.paths()) == 2 * MESSAGES + 1
    ratio = delivered / raw
    print(f"raw keep-alive POST + put_item: {raw:.0f} msgs/s; deliver handler: {delivered:.0f} msgs/s")
    print(f"target >= {TARGET}")
    print(f"ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
