"""Emit's failure handling end to end: SQS failures reported with stream semantics, and a poison
record taken out of the shard's way by the event source mapping (retries, bisect, on-failure queue)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.pollers.mappings import PollerStats, event_source_mappings
from local.pollers.streams import on_failure_sender, process_batch
from local.sam_template import translated_template
from tests.integration.conftest import MotoAws
from tests.support.builders import a_license, a_webhook
from tests.support.fakes import FlakySqs
from tests.support.handlers import LoadedHandler, function_clients
from tests.support.streams import Platform
from webhooks.adapters.aws_clients import client
from webhooks.adapters.stream_records import StreamBatchFailed


@pytest.fixture
def platform(aws: MotoAws) -> Platform:
    platform = Platform(aws.deployed)
    platform.register(a_webhook())
    for number in range(12):
        platform.put("LicensesTable", a_license(id=f"lic_{number:02}"))
    return platform


def _emit_with_sqs(handler_for: Callable[..., LoadedHandler], **flaky: str) -> LoadedHandler:
    """The emit handler, built with a FlakySqs around the real (moto) SQS client."""
    return handler_for("EmitFunction").with_clients(function_clients(sqs=FlakySqs(client("sqs"), **flaky)))


def test_entries_sqs_rejects_fail_their_record_and_everything_after_it(
    platform: Platform, handler_for: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SQS rejects the message of the sixth license
    emit = _emit_with_sqs(handler_for, fail_entries_with='"lic_05"')
    event = platform.stream_event("LicensesTable")
    # When emit handles the twelve records
    response = emit(event)
    # Then the sixth record is reported, so the stream retries from it; the others were enqueued
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][5]["dynamodb"]["SequenceNumber"]}]}
    enqueued = sorted(body["payload"]["id"] for body in platform.received())
    assert enqueued == [f"lic_{n:02}" for n in range(12) if n != 5]


def test_a_throttled_call_fails_the_records_it_carried(
    platform: Platform, handler_for: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SQS throttles the SendMessageBatch call that carries the eleventh license (the second call)
    emit = _emit_with_sqs(handler_for, throttle_calls_with='"lic_10"')
    event = platform.stream_event("LicensesTable")
    # When emit handles the twelve records
    response = emit(event)
    # Then the stream retries from the eleventh record; the first call's ten messages were enqueued
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][10]["dynamodb"]["SequenceNumber"]}]}
    assert len(platform.received()) == 10


def test_a_batch_failing_from_its_first_record_raises_so_that_it_is_bisected(
    platform: Platform, handler_for: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    emit = _emit_with_sqs(handler_for, fail_entries_with='"lic_00"')
    with pytest.raises(StreamBatchFailed, match="failed from record 0"):
        emit(platform.stream_event("LicensesTable"))


def test_a_poison_record_never_blocks_the_shard(
    aws: MotoAws, platform: Platform, handler_for: Callable[..., LoadedHandler]
) -> None:
    # Given the twelve stream records, the fourth one corrupted so that it can never be read
    emit = handler_for("EmitFunction")
    records = platform.stream_event("LicensesTable")["Records"]
    poison = records[3]
    del poison["eventName"]
    failure_queue = aws.deployed.queues["EmitFailureQueue"]

    def send_to_failure_queue(description: str) -> None:
        platform.sqs.send_message(QueueUrl=failure_queue, MessageBody=description)

    # When the template's event source mapping feeds them to emit
    mapping = next(m for m in event_source_mappings(translated_template()) if m.source == "LicensesTable")
    discard = on_failure_sender(mapping, send_to_failure_queue, "arn:aws:lambda:::function:emit", "shardId-1")
    stats = PollerStats(mapping.logical_id, mapping.function, mapping.source)
    process_batch(records, emit, mapping, discard, stats)
    # Then every other license reached the webhook (duplicates are deliver's to drop)
    received = {body["delivery_id"]: body["payload"]["id"] for body in platform.received()}
    assert sorted(received.values()) == [f"lic_{n:02}" for n in range(12) if n != 3]
    # And the poison record went to the on-failure queue, alone, after bounded retries
    (failure,) = platform.received("EmitFailureQueue")
    info = failure["DDBStreamBatchInfo"]
    sequence = poison["dynamodb"]["SequenceNumber"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (sequence, sequence, 1)
    assert failure["requestContext"]["approximateInvokeCount"] == mapping.maximum_retry_attempts + 1
