"""DynamoDB Streams -> a function, the way a Lambda event source mapping does it (local stack, tests).

`StreamReader` reads new records of one stream (DescribeStream, GetShardIterator, GetRecords) and
shapes them as Lambda does: `eventSourceARN` added, ApproximateCreationDateTime as epoch seconds.
`StreamMapping` hands them to the function in batches with the mapping's failure handling, as we
read Lambda's documentation:
- a partial batch response checkpoints before the lowest reported sequence number and retries
  from it (a retry of those records);
- a function error, or a response that names the batch's first record, fails the whole batch:
  with BisectBatchOnFunctionError it is split in two halves (the halves keep the retry count), a
  single record is retried as it is (each retry counts);
- records retried MaximumRetryAttempts times, or older than MaximumRecordAgeInSeconds, are
  discarded and their metadata goes to the on-failure destination; the shard moves on.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Invoke = Callable[[dict[str, Any]], Any]
OnFailure = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class MappingSettings:
    batch_size: int = 100
    bisect_on_error: bool = True
    maximum_retry_attempts: int = 5
    maximum_record_age_seconds: int = -1  # -1: records never expire

    @classmethod
    def from_event_source_mapping(cls, properties: dict[str, Any]) -> MappingSettings:
        """From an AWS::Lambda::EventSourceMapping's properties (the translated template)."""
        return cls(
            batch_size=int(properties.get("BatchSize", 100)),
            bisect_on_error=bool(properties.get("BisectBatchOnFunctionError", False)),
            maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
            maximum_record_age_seconds=int(properties.get("MaximumRecordAgeInSeconds", -1)),
        )


def _binary_as_base64(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _binary_as_base64(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_binary_as_base64(item) for item in value]
    return value


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record (as boto3 parses it) in the shape a Lambda stream event carries it:
    eventSourceARN added, the creation time in epoch seconds, binary values as base64 text (JSON)."""
    dynamodb = _binary_as_base64(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


class StreamReader:
    """Reads the records one stream got since the last read, every shard from its start."""

    def __init__(self, streams_client: Any, stream_arn: str) -> None:
        self._client = streams_client
        self.stream_arn = stream_arn
        self._iterators: dict[str, str] = {}

    def read(self) -> list[dict[str, Any]]:
        description = self._client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        records: list[dict[str, Any]] = []
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            iterator = (
                self._iterators.get(shard_id)
                or self._client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            while True:
                response = self._client.get_records(ShardIterator=iterator)
                records.extend(lambda_record(record, self.stream_arn) for record in response["Records"])
                following = response.get("NextShardIterator")
                if not following:
                    break
                iterator = following
                if not response["Records"]:
                    break
            self._iterators[shard_id] = iterator
        return records


class StreamMapping:
    def __init__(
        self,
        invoke: Invoke,
        settings: MappingSettings,
        on_failure: OnFailure,
        *,
        shard_id: str = "shardId-local",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._invoke = invoke
        self._settings = settings
        self._on_failure = on_failure
        self._shard_id = shard_id
        self._clock = clock
        self.invocations = 0

    def process(self, records: list[dict[str, Any]]) -> None:
        """Feed the records (one shard, in order) to the function until each is done or discarded."""
        for start in range(0, len(records), self._settings.batch_size):
            self._process_batch(records[start : start + self._settings.batch_size])

    def _process_batch(self, batch: list[dict[str, Any]]) -> None:
        pending: list[tuple[list[dict[str, Any]], int]] = [(batch, 0)]
        while pending:
            records, retries = pending.pop(0)
            records = self._without_expired(records, retries)
            if not records:
                continue
            failed_from = self._invoke_batch(records)
            if failed_from is None:
                continue
            exhausted = 0 <= self._settings.maximum_retry_attempts <= retries
            if failed_from > 0:
                # Partial success: checkpointed before the failed record, which is retried with the rest.
                pending.insert(0, (records[failed_from:], retries + 1))
            elif self._settings.bisect_on_error and len(records) > 1:
                half = len(records) // 2
                pending[0:0] = [(records[:half], retries), (records[half:], retries)]
            elif exhausted:
                self._discard(records, "RetryAttemptsExhausted", retries)
            else:
                pending.insert(0, (records, retries + 1))

    def _invoke_batch(self, records: list[dict[str, Any]]) -> int | None:
        """None when the batch succeeded, else the position the batch failed from."""
        self.invocations += 1
        try:
            response = self._invoke({"Records": records})
        except Exception:
            return 0
        failures = (response or {}).get("batchItemFailures") or []
        if not failures:
            return None
        positions = {record["dynamodb"]["SequenceNumber"]: index for index, record in enumerate(records)}
        reported = [positions.get(failure.get("itemIdentifier") or "") for failure in failures]
        return 0 if None in reported else min(position for position in reported if position is not None)

    def _without_expired(self, records: list[dict[str, Any]], retries: int) -> list[dict[str, Any]]:
        max_age = self._settings.maximum_record_age_seconds
        if max_age < 0:
            return records
        now = self._clock()
        expired = [r for r in records if now - float(r["dynamodb"]["ApproximateCreationDateTime"]) > max_age]
        if expired:
            self._discard(expired, "RecordAgeExceeded", retries)
        return [record for record in records if record not in expired]

    def _discard(self, records: list[dict[str, Any]], condition: str, retries: int) -> None:
        """Lambda's on-failure record for a stream: metadata of the discarded records, not the records."""
        first, last = records[0], records[-1]
        self._on_failure(
            {
                "requestContext": {
                    "requestId": str(uuid.uuid4()),
                    "condition": condition,
                    "approximateInvokeCount": retries + 1,
                },
                "responseContext": {"functionError": "Unhandled"},
                "version": "1.0",
                "timestamp": datetime.fromtimestamp(self._clock(), UTC).isoformat(),
                "DDBStreamBatchInfo": {
                    "shardId": self._shard_id,
                    "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
                    "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
                    "approximateArrivalOfFirstRecord": first["dynamodb"]["ApproximateCreationDateTime"],
                    "approximateArrivalOfLastRecord": last["dynamodb"]["ApproximateCreationDateTime"],
                    "batchSize": len(records),
                    "streamArn": first.get("eventSourceARN"),
                },
            }
        )
