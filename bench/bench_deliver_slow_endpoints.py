"""A batch of 10 messages to endpoints that each take 300 ms, against one 300 ms request.

Concurrent delivery should make the batch cost about one slow request, not ten.
Target: ratio = batch elapsed / one request elapsed <= 1.5. Prints `ratio=` last.
"""

from __future__ import annotations

import time

import urllib3

from bench.deliver_stack import deliver_stack, message_for

ENDPOINTS = 10
PATH = "/slow?ms=300"
TARGET = 1.5


def main() -> None:
    with deliver_stack() as stack:
        for index in range(ENDPOINTS):
            stack.add_webhook(f"slow-{index}", PATH)
        stack.add_webhook("warm", "/ok")
        # a warm container: clients exist, and a full batch has started every worker thread
        stack.deliver([message_for("warm", index) for index in range(ENDPOINTS)])
        started = time.perf_counter()
        urllib3.PoolManager().request("POST", stack.receiver.url(PATH), body=b"{}")
        one_request = time.perf_counter() - started
        started = time.perf_counter()
        response = stack.deliver([message_for(f"slow-{index}", 0) for index in range(ENDPOINTS)])
        batch = time.perf_counter() - started
        assert response == {"batchItemFailures": []}, response
    print(f"one 300 ms request: {one_request * 1000:.0f} ms; batch of {ENDPOINTS}: {batch * 1000:.0f} ms")
    print(f"target <= {TARGET}")
    print(f"ratio={batch / one_request:.2f}")


if __name__ == "__main__":
    main()
