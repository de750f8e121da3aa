"""The stream poller runs a batch the way Lambda's DynamoDB event source mapping does (template settings)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

from local.pollers.lambda_records import lambda_record
from local.pollers.mappings import PollerStats
from local.pollers.streams import on_failure_record, process_batch
from tests.support.local_stack import STREAM_ARN, FakeHandler, a_stream_mapping, a_stream_record, record_ids


class Discarded:
    def __init__(self) -> None:
        self.batches: list[tuple[list[str], str, int]] = []

    def __call__(self, records, condition, invoke_count) -> None:
        self.batches.append(([r["dynamodb"]["Keys"]["id"]["S"] for r in records], condition, invoke_count))


def run(
    records: list[dict[str, Any]], handler: Callable[[dict[str, Any]], Any], **mapping_overrides: Any
) -> tuple[Discarded, PollerStats]:
    discarded = Discarded()
    stats = PollerStats("EmitFunctionLicenses", "EmitFunction", "LicensesTable")
    process_batch(records, handler, a_stream_mapping(**mapping_overrides), discarded, stats)
    return discarded, stats


def test_a_successful_batch_is_invoked_once_in_order():
    handler = FakeHandler()

    discarded, stats = run([a_stream_record(n) for n in range(3)], handler)

    assert handler.invocations == [["lic-0", "lic-1", "lic-2"]]
    assert discarded.batches == []
    assert stats.snapshot()["succeeded"] == 3


def test_a_reported_failure_retries_the_batch_from_the_first_failed_sequence_number():
    handler = FakeHandler(report={"lic-3", "lic-1"})
    handler_calls = []

    def heal_after_first_call(event):
        handler_calls.append(event)
        if len(handler_calls) == 2:
            handler.report.clear()
        return handler(event)

    discarded, _ = run([a_stream_record(n) for n in range(5)], heal_after_first_call)

    assert handler.invocations == [["lic-0", "lic-1", "lic-2", "lic-3", "lic-4"], ["lic-1", "lic-2", "lic-3", "lic-4"]]
    assert discarded.batches == []


def test_a_function_error_bisects_the_batch_until_the_poison_record_is_alone():
    handler = FakeHandler(crash_on={"lic-2"})

    discarded, stats = run([a_stream_record(n) for n in range(4)], handler, maximum_retry_attempts=1)

    assert handler.invocations == [
        ["lic-0", "lic-1", "lic-2", "lic-3"],
        ["lic-0", "lic-1"],
        ["lic-2", "lic-3"],
        ["lic-2"],
        ["lic-2"],
        ["lic-3"],
    ]
    assert discarded.batches == [(["lic-2"], "RetryAttemptsExhausted", 2)]
    assert stats.snapshot()["sent_to_on_failure"] == 1


def test_without_bisect_a_function_error_retries_the_whole_batch_then_discards_it():
    handler = FakeHandler(crash_on={"lic-1"})

    discarded, _ = run([a_stream_record(n) for n in range(3)], handler, bisect_on_error=False)

    assert handler.invocations == [["lic-0", "lic-1", "lic-2"]] * 6  # the first attempt and five retries
    assert discarded.batches == [(["lic-0", "lic-1", "lic-2"], "RetryAttemptsExhausted", 6)]


def test_a_record_that_keeps_failing_goes_to_the_on_failure_destination_and_later_records_follow():
    handler = FakeHandler(report={"lic-1"})

    discarded, stats = run([a_stream_record(n) for n in range(3)], handler, maximum_retry_attempts=2)

    assert handler.invocations[0] == ["lic-0", "lic-1", "lic-2"]
    assert handler.invocations[1:] == [["lic-1", "lic-2"]] * 2
    assert discarded.batches == [(["lic-1", "lic-2"], "RetryAttemptsExhausted", 3)]
    assert stats.snapshot()["partial_failures"] == 3


def test_a_poison_record_does_not_block_the_records_after_it():
    handler = FakeHandler(crash_on={"lic-0"})

    discarded, _ = run([a_stream_record(n) for n in range(8)], handler)

    assert discarded.batches == [(["lic-0"], "RetryAttemptsExhausted", 6)]
    assert set(handler.processed) == {f"lic-{n}" for n in range(8)}
    assert handler.invocations[-1] == ["lic-4", "lic-5", "lic-6", "lic-7"]


def test_an_unknown_item_identifier_fails_the_whole_batch():
    def reports_nonsense(event):
        return {"batchItemFailures": [{"itemIdentifier": "not-a-sequence-number"}]}

    discarded, stats = run([a_stream_record(n) for n in range(2)], reports_nonsense, bisect_on_error=False)

    assert discarded.batches == [(["lic-0", "lic-1"], "RetryAttemptsExhausted", 6)]
    assert stats.snapshot()["function_errors"] == 6


def test_reported_failures_are_ignored_when_the_mapping_does_not_ask_for_them():
    handler = FakeHandler(report={"lic-0"})

    discarded, _ = run([a_stream_record(0)], handler, report_batch_item_failures=False)

    assert (handler.invocations, discarded.batches) == ([["lic-0"]], [])


def test_records_older_than_the_maximum_age_are_discarded_without_an_invocation():
    handler = FakeHandler()
    old = a_stream_record(0, created=time.time() - 7200)

    discarded, _ = run([old, a_stream_record(1)], handler)

    assert discarded.batches == [(["lic-0"], "RecordAgeExceeded", 0)]
    assert handler.invocations == [["lic-1"]]


def test_the_on_failure_record_describes_the_batch_like_lambda():
    records = [a_stream_record(4, created=1_795_946_400), a_stream_record(5, created=1_795_946_401)]

    described = on_failure_record(records, "RetryAttemptsExhausted", 6, "arn:aws:lambda:::function:emit", "shard-1")

    assert described["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert described["requestContext"]["approximateInvokeCount"] == 6
    assert described["DDBStreamBatchInfo"] == {
        "shardId": "shard-1",
        "startSequenceNumber": "1004",
        "endSequenceNumber": "1005",
        "approximateArrivalOfFirstRecord": "2026-11-29T10:00:00.000Z",
        "approximateArrivalOfLastRecord": "2026-11-29T10:00:01.000Z",
        "batchSize": 2,
        "streamArn": STREAM_ARN,
    }


def test_a_get_records_record_becomes_lambdas_json_with_its_stream_arn():
    from_boto3 = {
        "eventID": "e1",
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime.datetime(2026, 11, 29, 10, 0, tzinfo=datetime.UTC),
            "NewImage": {"id": {"S": "lic-1"}, "blob": {"B": b"\x00\x01"}, "tags": {"BS": [b"\x02"]}},
            "SequenceNumber": "1",
        },
    }

    record = lambda_record(from_boto3, STREAM_ARN)

    assert record["eventSourceARN"] == STREAM_ARN
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1_795_946_400
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}
    assert record["dynamodb"]["NewImage"]["tags"] == {"BS": ["Ag=="]}


class EmitLikeHandler(FakeHandler):
    """Fails as emit does: a partial response from a failing record, an error when it is the batch's first."""

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        ids = record_ids(event)
        self.invocations.append(ids)
        failing = next((index for index, item in enumerate(ids) if item in self.crash_on), None)
        if failing == 0:
            raise RuntimeError("poison record")
        if failing is None:
            return {"batchItemFailures": []}
        return {"batchItemFailures": [{"itemIdentifier": event["Records"][failing]["dynamodb"]["SequenceNumber"]}]}


def test_an_emit_like_poison_record_in_a_full_batch_is_isolated_and_alone_on_the_failure_destination():
    # Given a full batch of 100 records whose 38th never succeeds, and a handler failing the way emit does
    handler = EmitLikeHandler(crash_on={"lic-37"})

    # When the mapping runs the batch
    discarded, _ = run([a_stream_record(n) for n in range(100)], handler)

    # Then every other record was handled, and only the poison record went to the on-failure destination
    assert set(handler.processed) - {"lic-37"} == {f"lic-{n}" for n in range(100)} - {"lic-37"}
    assert handler.invocations[-1][-1] == "lic-99"
    assert discarded.batches == [(["lic-37"], "RetryAttemptsExhausted", 6)]
