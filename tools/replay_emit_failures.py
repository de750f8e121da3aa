"""Replays what emit gave up on: the stream records behind each message of the emit on-failure queue.

A message there does not hold the records, only where they are (Lambda's `DDBStreamBatchInfo`: stream,
shard, first and last sequence number). The records stay readable in the stream for 24 hours. This reads
them, hands them to emit as one stream event (the shape Lambda gives it), and deletes the message once
emit reports no failure. Replaying is safe: event and delivery ids derive from the stream record, so a
delivery that already happened is claimed and not sent again. Runbook: docs/operations.md.

    python -m tools.replay_emit_failures --queue-url URL --function webhooks-emit-prod [--max-messages 100]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from local.pollers.lambda_records import lambda_record

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
# The records are gone (older than the stream's 24 hours) or the stream or shard no longer exists.
_UNAVAILABLE = ("TrimmedDataAccessException", "ExpiredIteratorException", "ResourceNotFoundException")


@dataclass
class ReplayReport:
    replayed_messages: int = 0
    replayed_records: int = 0
    unavailable: int = 0  # left on the queue: the records cannot be read any more
    failed: int = 0  # left on the queue: emit reported a failure again

    def summary(self) -> str:
        return (
            f"replayed {self.replayed_messages} messages ({self.replayed_records} records); left on the queue: "
            f"{self.unavailable} whose records are no longer in the stream, {self.failed} that failed again"
        )


class EmitFailureReplay:
    def __init__(self, sqs: Any, streams: Any, queue_url: str, invoke: Invoke) -> None:
        self._sqs = sqs
        self._streams = streams
        self._queue_url = queue_url
        self._invoke = invoke

    def run(self, max_messages: int = 100, visibility_timeout: int = 300) -> ReplayReport:
        """Each message is tried once per run; one left on the queue is hidden for `visibility_timeout`."""
        report = ReplayReport()
        tried: set[str] = set()
        while len(tried) < max_messages:
            batch = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(10, max_messages - len(tried)),
                VisibilityTimeout=visibility_timeout,
            ).get("Messages", [])
            fresh = [message for message in batch if message["MessageId"] not in tried]
            if not fresh:
                break
            for message in fresh:
                tried.add(message["MessageId"])
                self._replay(message, report)
        return report

    def _replay(self, message: dict[str, Any], report: ReplayReport) -> None:
        batch_info = json.loads(message["Body"])["DDBStreamBatchInfo"]
        records = self.records(batch_info)
        if not records:
            report.unavailable += 1
            return
        response = self._invoke({"Records": records})
        if response.get("batchItemFailures"):
            report.failed += 1
            return
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        report.replayed_messages += 1
        report.replayed_records += len(records)

    def records(self, batch_info: dict[str, Any]) -> list[dict[str, Any]]:
        """The records from startSequenceNumber to endSequenceNumber, shaped as Lambda sends them."""
        first, last = int(batch_info["startSequenceNumber"]), int(batch_info["endSequenceNumber"])
        try:
            iterator = self._streams.get_shard_iterator(
                StreamArn=batch_info["streamArn"],
                ShardId=batch_info["shardId"],
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=batch_info["startSequenceNumber"],
            )["ShardIterator"]
            records: list[dict[str, Any]] = []
            while iterator:
                page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                for record in page["Records"]:
                    if int(record["dynamodb"]["SequenceNumber"]) > last:
                        return records
                    if int(record["dynamodb"]["SequenceNumber"]) >= first:
                        records.append(lambda_record(record, batch_info["streamArn"]))
                if not page["Records"]:  # an open shard with nothing newer: the range is complete
                    return records
                iterator = page.get("NextShardIterator")
        except ClientError as error:
            if error.response["Error"]["Code"] in _UNAVAILABLE:
                return []
            raise
        return records


def _lambda_invoker(lambda_client: Any, function_name: str) -> Invoke:
    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        result = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
        payload = json.loads(result["Payload"].read() or b"{}")
        if "FunctionError" in result:
            return {"batchItemFailures": [{"itemIdentifier": "function error"}], "error": payload}
        return dict(payload or {})

    return invoke


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--queue-url", required=True, help="the emit on-failure queue (stack output EmitFailureQueueUrl)"
    )
    parser.add_argument("--function", required=True, help="the emit function's name, e.g. webhooks-emit-prod")
    parser.add_argument("--max-messages", type=int, default=100)
    arguments = parser.parse_args(argv)
    import boto3

    replay = EmitFailureReplay(
        boto3.client("sqs"),
        boto3.client("dynamodbstreams"),
        arguments.queue_url,
        _lambda_invoker(boto3.client("lambda"), arguments.function),
    )
    report = replay.run(arguments.max_messages)
    print(report.summary())
    return 0 if report.failed == 0 and report.unavailable == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
