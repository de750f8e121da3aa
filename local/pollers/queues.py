"""An SQS poller that feeds a function the way Lambda's event source mapping does.

Receives up to BatchSize messages (long poll, then up to the batching window to fill the batch),
invokes the function with an SQS event, deletes the messages it did not report in batchItemFailures
(all of them stay on a function error or an unknown identifier), and lets the queue do the rest:
a message left on the queue is received again after its visibility timeout, and the queue's redrive
policy moves it to the dead-letter queue after maxReceiveCount receives (moto applies it on receive).
Up to the mapping's MaximumConcurrency batches are in flight at once, each its own receive-invoke-
acknowledge loop, as Lambda scales an SQS mapping's pollers with the backlog (the function runs as many
containers); on an idle queue one poller long-polls, and a look at the queue's depth twice a second calls
the others in.
Local shortcut: a failed message's visibility is cut to a few seconds instead of the queue's 360 s,
so retries and the DLQ are observable in seconds (LOCAL_RETRY_VISIBILITY_SECONDS, default 2).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from local.pollers.mappings import EventSourceMapping, PollerStats

logger = logging.getLogger(__name__)
Message = dict[str, Any]
Invoke = Callable[[dict[str, Any]], Any]
SQS_RECEIVE_LIMIT = 10


def lambda_record(message: Message, queue_arn: str, region: str) -> dict[str, Any]:
    """A received message as Lambda's SQS event record."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": base64.b64encode(value["BinaryValue"]).decode() if "BinaryValue" in value else None,
                "stringListValues": list(value.get("StringListValues", [])),
                "binaryListValues": [base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_message_ids(records: list[dict[str, Any]], invoke: Invoke, mapping: EventSourceMapping) -> set[str]:
    """The ids of the messages to leave on the queue after one invocation."""
    every_id = {record["messageId"] for record in records}
    try:
        result = invoke({"Records": records})
    except Exception:  # an unhandled function error: the whole batch returns to the queue
        logger.exception("%s: function error on a batch of %d messages", mapping.logical_id, len(records))
        return every_id
    if not mapping.report_batch_item_failures or not isinstance(result, dict):
        return set()
    reported = result.get("batchItemFailures") or []
    identifiers = {item.get("itemIdentifier") if isinstance(item, dict) else None for item in reported}
    if not identifiers <= every_id:
        return every_id  # Lambda treats an unknown identifier as a failed batch
    return {str(identifier) for identifier in identifiers}


class QueuePoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        *,
        queue_url: str,
        queue_arn: str,
        region: str,
        sqs: Any,
        invoke: Invoke,
        stop: threading.Event,
        retry_visibility_seconds: int = 2,
        long_poll_seconds: int = 1,
    ) -> None:
        self.mapping = mapping
        self.stats = PollerStats(mapping.logical_id, mapping.function, mapping.source)
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._region = region
        self._sqs = sqs
        self._invoke = invoke
        self._stop = stop
        self._retry_visibility_seconds = retry_visibility_seconds
        self._long_poll_seconds = long_poll_seconds
        self._backlog = threading.Event()  # set while receives find messages: further pollers join in

    def run(self) -> None:
        """Poll until stopped, with up to one loop per concurrent invocation the mapping allows."""
        others = [
            threading.Thread(target=self._scaled_loop, name=f"{self.mapping.logical_id}-{index}", daemon=True)
            for index in range(1, self.mapping.maximum_concurrency)
        ]
        if others:
            others.append(
                threading.Thread(target=self._watch_backlog, name=f"{self.mapping.logical_id}-scaler", daemon=True)
            )
        for thread in others:
            thread.start()
        self._loop()
        for thread in others:
            thread.join()

    def _loop(self) -> None:
        """The first poller: always long-polling, as Lambda keeps a mapping's pollers on an idle queue."""
        while not self._stop.is_set():
            self._poll_guarded()

    def _scaled_loop(self) -> None:
        """A further poller: it polls only while messages keep coming, as Lambda scales a mapping up with
        the backlog and down when receives come back empty (an idle queue costs one long poll, not 20)."""
        while not self._stop.is_set():
            if self._backlog.wait(timeout=0.5) and self._poll_guarded() == 0:
                self._backlog.clear()

    def _watch_backlog(self) -> None:
        """Lambda scales a mapping's pollers with the queue's backlog, whatever its running invocations
        do: while every poller that found messages is busy, a backlog still calls further pollers in."""
        while not self._stop.wait(0.5):
            if self._backlog.is_set():
                continue
            try:
                attributes = self._sqs.get_queue_attributes(
                    QueueUrl=self._queue_url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
            except Exception:  # the emulator is stopping or busy: look again
                logger.debug("%s: queue depth not read", self.mapping.logical_id, exc_info=True)
                continue
            if int(attributes.get("ApproximateNumberOfMessages", "0")) > 0:
                self._backlog.set()

    def _poll_guarded(self) -> int:
        try:
            return self.poll_once()
        except Exception:  # the emulator is stopping or busy: try again, as Lambda's poller would
            self.stats.add(poll_errors=1)
            logger.exception("%s: polling failed", self.mapping.logical_id)
            self._stop.wait(0.5)
            return 0

    def poll_once(self) -> int:
        """One receive-invoke-acknowledge cycle; returns how many messages it handled."""
        messages = self._receive_batch()
        if not messages:
            return 0
        self._backlog.set()  # there may be more: further pollers join in while this batch runs
        records = [lambda_record(message, self._queue_arn, self._region) for message in messages]
        failed = failed_message_ids(records, self._invoke, self.mapping)
        self.stats.add(invocations=1, records=len(records), succeeded=len(records) - len(failed), retried=len(failed))
        if failed:
            self.stats.add(partial_failures=1)
        done = [record for record in records if record["messageId"] not in failed]
        kept = [record for record in records if record["messageId"] in failed]
        for chunk in _chunks(done):
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": record["receiptHandle"]} for i, record in enumerate(chunk)],
            )
        for chunk in _chunks(kept):
            self._sqs.change_message_visibility_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": record["receiptHandle"],
                        "VisibilityTimeout": self._retry_visibility_seconds,
                    }
                    for i, record in enumerate(chunk)
                ],
            )
        return len(records)

    def _receive_batch(self) -> list[Message]:
        messages = self._receive(self._long_poll_seconds, self.mapping.batch_size)
        deadline = time.monotonic() + self.mapping.batching_window_seconds
        while messages and len(messages) < self.mapping.batch_size and time.monotonic() < deadline:
            more = self._receive(0, self.mapping.batch_size - len(messages))
            messages += more
            if not more:
                self._stop.wait(0.05)
        return messages

    def _receive(self, wait_seconds: int, at_most: int) -> list[Message]:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(SQS_RECEIVE_LIMIT, at_most),
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[Message] = response.get("Messages", [])
        return messages


def _chunks(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [records[start : start + SQS_RECEIVE_LIMIT] for start in range(0, len(records), SQS_RECEIVE_LIMIT)]
