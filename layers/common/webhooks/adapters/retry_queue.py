"""Sends one delivery message to the delivery queue, optionally delayed (retries, redeliveries, tests).

Emit's batch sender lives in delivery_queue.py; this single-message sender can fold into it.
"""

from __future__ import annotations

from typing import Any

from webhooks.domain.messages import DeliveryMessage


class SqsRetryQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url, MessageBody=message.model_dump_json(), DelaySeconds=delay_seconds
        )
