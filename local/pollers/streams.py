"""A DynamoDB stream poller that feeds a function the way Lambda's event source mapping does.

Per shard, in order, with checkpoints: a batch is retried until it succeeds or its retries run out;
only then does the shard move on. On a function error the batch is retried whole, or split in two
when BisectBatchOnFunctionError is on (a split does not use a retry; the halves run in order, each
with the retries left). With ReportBatchItemFailures the batch is retried from the first reported
failed sequence number (the records before it are done). After MaximumRetryAttempts retries, or
when records are older than MaximumRecordAgeInSeconds, the failing records are described to the
on-failure destination (Lambda's record, DDBStreamBatchInfo) and the shard goes on.
Local simplification: a retried batch holds the same records (Lambda may re-read up to BatchSize).
`StreamReader` (GetRecords in Lambda's record shape) also feeds the tests' and benchmarks' stream events.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.pollers.lambda_records import lambda_record
from local.pollers.mappings import EventSourceMapping, PollerStats

logger = logging.getLogger(__name__)
Record = dict[str, Any]
GET_RECORDS_LIMIT = 1000  # DynamoDB Streams' maximum per call
Invoke = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Failure:
    """A failed invocation: records from `failed_from` on are to be retried."""

    failed_from: int
    function_error: bool


def _sequence_number(record: Record) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def invoke_batch(records: list[Record], invoke: Invoke, mapping: EventSourceMapping) -> Failure | None:
    try:
        result = invoke({"Records": records})
    except Exception:  # the function failed, as an unhandled Lambda error would
        logger.exception("%s: function error on a batch of %d records", mapping.logical_id, len(records))
        return Failure(0, function_error=True)
    if not mapping.report_batch_item_failures or not isinstance(result, dict):
        return None
    reported = result.get("batchItemFailures") or []
    if not reported:
        return None
    positions = {_sequence_number(record): index for index, record in enumerate(records)}
    identifiers = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in reported]
    if any(identifier not in positions for identifier in identifiers):
        return Failure(0, function_error=True)  # Lambda treats an unknown identifier as a failed batch
    return Failure(min(positions[str(identifier)] for identifier in identifiers), function_error=False)


Discard = Callable[[list[Record], str, int], None]


def process_batch(
    records: list[Record],
    invoke: Invoke,
    mapping: EventSourceMapping,
    discard: Discard,
    stats: PollerStats,
    *,
    now: Callable[[], float] = time.time,
    pause: Callable[[float], object] = time.sleep,
    retry_delay_seconds: float = 0.0,
    stopped: Callable[[], bool] = lambda: False,
) -> None:
    """Run one batch to completion: every record succeeds or is discarded to the on-failure destination.

    When the stack stops mid-batch the rest is abandoned, not discarded (the emulator's data goes too).
    """
    pending: list[tuple[list[Record], int]] = [(records, 0)]
    while pending and not stopped():
        batch, retries = pending.pop()
        batch = _drop_expired(batch, mapping, discard, stats, now=now(), retries=retries)
        if not batch:
            continue
        stats.add(invocations=1, records=len(batch))
        failure = invoke_batch(batch, invoke, mapping)
        if failure is None:
            stats.add(succeeded=len(batch))
            continue
        stats.add(function_errors=int(failure.function_error), partial_failures=int(not failure.function_error))
        stats.add(succeeded=failure.failed_from)
        if failure.function_error and mapping.bisect_on_error and len(batch) > 1:
            middle = len(batch) // 2
            pending += [(batch[middle:], retries), (batch[:middle], retries)]  # the first half runs first
            continue
        failing = batch[failure.failed_from :]
        if 0 <= mapping.maximum_retry_attempts <= retries:
            discard(failing, "RetryAttemptsExhausted", retries + 1)
            stats.add(sent_to_on_failure=len(failing))
            continue
        stats.add(retried=len(failing))
        pause(retry_delay_seconds)
        pending.append((failing, retries + 1))


def _drop_expired(
    batch: list[Record], mapping: EventSourceMapping, discard: Discard, stats: PollerStats, *, now: float, retries: int
) -> list[Record]:
    if mapping.maximum_record_age_seconds < 0:
        return batch
    oldest_allowed = now - mapping.maximum_record_age_seconds
    expired = [
        record for record in batch if record["dynamodb"].get("ApproximateCreationDateTime", now) < oldest_allowed
    ]
    if expired:
        discard(expired, "RecordAgeExceeded", retries)
        stats.add(sent_to_on_failure=len(expired))
    return batch[len(expired) :]


def on_failure_record(
    records: list[Record], condition: str, invoke_count: int, function_arn: str, shard_id: str
) -> dict[str, Any]:
    """What Lambda sends to a stream mapping's on-failure destination: where the records are, not the records."""
    arrivals = [record["dynamodb"].get("ApproximateCreationDateTime", 0) for record in records]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": _iso(time.time()),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": _sequence_number(records[0]),
            "endSequenceNumber": _sequence_number(records[-1]),
            "approximateArrivalOfFirstRecord": _iso(min(arrivals)),
            "approximateArrivalOfLastRecord": _iso(max(arrivals)),
            "batchSize": len(records),
            "streamArn": records[0]["eventSourceARN"],
        },
    }


def _iso(epoch_seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StreamReader:
    """One stream's shards read forward from TRIM_HORIZON: each record once, in Lambda's shape."""

    def __init__(self, streams: Any, stream_arn: str) -> None:
        self.stream_arn = stream_arn
        self._streams = streams
        self._iterators: dict[str, str | None] = {}

    @property
    def open_shards(self) -> list[str]:
        """The shards known and not yet read to their end (a closed shard's last page has no next iterator)."""
        return [shard_id for shard_id, iterator in self._iterators.items() if iterator]

    def discover_shards(self) -> list[str]:
        """DescribeStream: a shard seen for the first time starts at TRIM_HORIZON; returns the open shards."""
        description = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        return self.open_shards

    def read_page(self, shard_id: str, limit: int) -> list[Record]:
        """One GetRecords call on the shard; the iterator moves on only when the call succeeded."""
        iterator = self._iterators.get(shard_id)
        if not iterator:
            return []
        page = self._streams.get_records(ShardIterator=iterator, Limit=limit)
        self._iterators[shard_id] = page.get("NextShardIterator")
        return [lambda_record(record, self.stream_arn) for record in page["Records"]]

    def read(self) -> list[Record]:
        """Every record written since the last read, shard by shard (tests and benchmarks)."""
        records: list[Record] = []
        for shard_id in self.discover_shards():
            while page := self.read_page(shard_id, GET_RECORDS_LIMIT):
                records += page
        return records


def on_failure_sender(
    mapping: EventSourceMapping, send: Callable[[str], None] | None, function_arn: str, shard_id: str
) -> Discard:
    """The `discard` of `process_batch` that describes the records to the mapping's on-failure destination."""

    def discard(records: list[Record], condition: str, invoke_count: int) -> None:
        description = on_failure_record(records, condition, invoke_count, function_arn, shard_id)
        logger.error("%s: records sent to the on-failure destination: %s", mapping.logical_id, description)
        if send is not None:
            send(json.dumps(description))

    return discard


class StreamPoller:
    """Reads every shard of one stream from TRIM_HORIZON and runs each batch through `process_batch`."""

    def __init__(
        self,
        mapping: EventSourceMapping,
        *,
        stream_arn: str,
        streams: Any,
        invoke: Invoke,
        function_arn: str,
        send_on_failure: Callable[[str], None] | None,
        stop: threading.Event,
        idle_seconds: float = 0.1,
        retry_delay_seconds: float = 0.2,
    ) -> None:
        self.mapping = mapping
        self.stats = PollerStats(mapping.logical_id, mapping.function, mapping.source)
        self._stream_arn = stream_arn
        self._reader = StreamReader(streams, stream_arn)
        self._invoke = invoke
        self._function_arn = function_arn
        self._send_on_failure = send_on_failure
        self._stop = stop
        self._idle_seconds = idle_seconds
        self._retry_delay_seconds = retry_delay_seconds

    def run(self) -> None:
        shards = self._reader.discover_shards()
        while not self._stop.is_set() and shards:
            busy = False
            for shard_id in shards:
                batch = self._collect(shard_id)
                if batch:
                    busy = True
                    self._process(batch, shard_id)
            shards = [shard_id for shard_id in shards if shard_id in self._reader.open_shards]
            if not busy:
                self._stop.wait(self._idle_seconds)

    def _collect(self, shard_id: str) -> list[Record]:
        """Up to BatchSize records, waiting at most the batching window once the first one arrived."""
        batch: list[Record] = []
        deadline = None
        while shard_id in self._reader.open_shards and len(batch) < self.mapping.batch_size and not self._stop.is_set():
            try:
                page = self._reader.read_page(shard_id, self.mapping.batch_size - len(batch))
            except Exception:  # the emulator is stopping or busy: try again, as Lambda's poller would
                self.stats.add(poll_errors=1)
                self._stop.wait(self._idle_seconds)
                continue
            batch += page
            if not batch:
                break
            deadline = deadline or time.monotonic() + self.mapping.batching_window_seconds
            if time.monotonic() >= deadline:
                break
            if not page:
                self._stop.wait(min(self._idle_seconds, max(0.0, deadline - time.monotonic())))
        return batch

    def _process(self, batch: list[Record], shard_id: str) -> None:
        process_batch(
            batch,
            self._invoke,
            self.mapping,
            on_failure_sender(self.mapping, self._send_on_failure, self._function_arn, shard_id),
            self.stats,
            pause=self._stop.wait,
            retry_delay_seconds=self._retry_delay_seconds,
            stopped=self._stop.is_set,
        )
