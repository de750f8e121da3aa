"""The emit on-failure replay tool: reads the records a failure message points to and runs them through emit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.pollers.streams import on_failure_record
from tests.integration.conftest import MotoAws
from tests.support.builders import a_license, a_webhook
from tests.support.handlers import LoadedHandler
from tests.support.streams import Platform
from tools.replay_emit_failures import EmitFailureReplay

EMIT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:webhooks-emit-dev"


@pytest.fixture
def platform(aws: MotoAws) -> Platform:
    return Platform(aws.deployed)


def _streams() -> Any:
    return boto3.Session(region_name="us-east-1").client(
        "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
    )


def _fail_to_emit(platform: Platform, records: list[dict[str, Any]], **batch_info: Any) -> None:
    """What Lambda sends to the on-failure destination when emit gave up on these records."""
    stream_arn = records[0]["eventSourceARN"]
    (shard,) = _streams().describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    message = on_failure_record(records, "RetryAttemptsExhausted", 6, EMIT_ARN, shard["ShardId"])
    message["DDBStreamBatchInfo"] |= batch_info
    platform.sqs.send_message(QueueUrl=platform.deployed.queues["EmitFailureQueue"], MessageBody=json.dumps(message))


def _replay(platform: Platform, invoke: Callable[[dict[str, Any]], Any]) -> EmitFailureReplay:
    return EmitFailureReplay(platform.sqs, _streams(), platform.deployed.queues["EmitFailureQueue"], invoke)


def test_the_records_emit_gave_up_on_are_emitted_again_and_the_message_removed(
    platform: Platform, handler_for: Callable[..., LoadedHandler]
) -> None:
    # Given a webhook, two license changes emit never delivered, and a later change that is not part of them
    platform.register(a_webhook())
    platform.put("LicensesTable", a_license())
    platform.update("LicensesTable", "lic_1", status="suspended")
    failed = platform.stream_event("LicensesTable")["Records"]
    platform.put("LicensesTable", a_license(id="lic_2"))
    _fail_to_emit(platform, failed)
    # When the replay runs them through emit
    report = _replay(platform, handler_for("EmitFunction")).run()
    # Then exactly the failed records' events are queued for delivery, and the failure message is gone
    assert sorted(body["event"] for body in platform.received()) == [
        "license.created",
        "license.suspended",
        "license.updated",
    ]
    assert (report.replayed_messages, report.replayed_records, report.failed, report.unavailable) == (1, 2, 0, 0)
    assert platform.received("EmitFailureQueue") == []


def test_a_message_whose_records_cannot_be_read_or_fail_again_stays_on_the_queue(platform: Platform) -> None:
    # Given one failure message for a stream that no longer exists and one whose records fail again
    platform.put("LicensesTable", a_license())
    records = platform.stream_event("LicensesTable")["Records"]
    _fail_to_emit(platform, records, streamArn=records[0]["eventSourceARN"].replace("licenses-dev", "deleted-dev"))
    _fail_to_emit(platform, records)
    # When the replay runs with an emit that reports every record as failed
    report = _replay(platform, lambda _event: {"batchItemFailures": [{"itemIdentifier": "1"}]}).run(
        visibility_timeout=0
    )
    # Then both messages are reported and left for the operator
    assert (report.replayed_messages, report.unavailable, report.failed) == (0, 1, 1)
    assert len(platform.received("EmitFailureQueue")) == 2
    assert report.summary().endswith("1 whose records are no longer in the stream, 1 that failed again")
