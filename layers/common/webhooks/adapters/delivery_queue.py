"""The delivery queue (SQS): one message per delivery attempt, body = DeliveryMessage as JSON.

`send_batch` packs messages into SendMessageBatch calls (10 entries, at most SQS's 1 MiB in all),
makes the calls concurrently, and reports every message SQS did not take: the entries listed as
`Failed` and every entry of a call that failed as a whole (throttled after botocore's retries).

Every message carries its webhook's id as `MessageGroupId`: on a standard queue that makes SQS fair
queues serve each endpoint's messages as a tenant of its own, so one endpoint's backlog does not
hold back the quiet ones behind it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from webhooks.delivery.message import SQS_MAX_MESSAGE_BYTES, DeliveryMessage
from webhooks.observability import logger

BATCH_ENTRIES = 10
DEFAULT_CONCURRENCY = 8

_Entry = tuple[int, str]  # position in the caller's list, body


def pack(bodies: Sequence[str]) -> Iterator[list[_Entry]]:
    """Consecutive groups of at most 10 bodies whose sizes add up to at most one SQS batch."""
    group: list[_Entry] = []
    group_bytes = 0
    for position, body in enumerate(bodies):
        size = len(body.encode())
        if group and (len(group) == BATCH_ENTRIES or group_bytes + size > SQS_MAX_MESSAGE_BYTES):
            yield group
            group, group_bytes = [], 0
        group.append((position, body))
        group_bytes += size
    if group:
        yield group


class SqsDeliveryQueue:
    def __init__(self, client: Any, queue_url: str, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self._client = client
        self._queue_url = queue_url
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sqs-send")

    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None:
        """One message (a retry, a redelivery, a test event); delay up to SQS's 900 seconds."""
        self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=message.queue_body(),
            DelaySeconds=delay_seconds,
            MessageGroupId=message.webhook_id,
        )

    def send_batch(self, messages: Sequence[DeliveryMessage], delays: Sequence[int] | None = None) -> list[int]:
        """Enqueue every message, each after its delay in seconds (none: at once); return the positions of
        those SQS did not take, in order."""
        groups = list(pack([message.queue_body() for message in messages]))
        tenants = [message.webhook_id for message in messages]
        waits = list(delays) if delays is not None else [0] * len(messages)
        if len(groups) <= 1:
            results = [self._send_group(group, tenants, waits) for group in groups]
        else:
            results = list(self._pool.map(lambda group: self._send_group(group, tenants, waits), groups))
        return sorted(position for failed in results for position in failed)

    def _send_group(self, group: list[_Entry], tenants: list[str], delays: list[int]) -> list[int]:
        entries = [
            {"Id": str(position), "MessageBody": body, "MessageGroupId": tenants[position]}
            | ({"DelaySeconds": delays[position]} if delays[position] else {})
            for position, body in group
        ]
        try:
            response = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as error:
            logger.warning("SendMessageBatch failed", extra={"entries": len(entries), "error": str(error)})
            return [position for position, _ in group]
        failed = response.get("Failed", [])
        for failure in failed:
            logger.warning(
                "message not enqueued",
                extra={key: failure.get(key) for key in ("Id", "Code", "SenderFault", "Message")},
            )
        return [int(failure["Id"]) for failure in failed]
