"""A stream record emit can never get through does not hold up the records behind it.

No domain record alone can make emit fail on the emulator: whatever the data, emit either derives
events or counts the record unroutable, and moto takes every message emit sends. What does fail a
record is the delivery queue refusing its message; here the queue's MaximumMessageSize is lowered
(a valid SQS setting, 256 KiB was the default) below one record's message, which emit still sizes
against SQS's 1 MiB limit. On AWS the same happens to a message SQS refuses for its characters
(U+FFFE, U+FFFF), which moto does not check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.receiver import Receiver
from tests.e2e.conftest import RunningStack, Tenant, eventually

pytestmark = pytest.mark.e2e

SQS_MAX_BYTES = 1_048_576
OLD_SQS_MAX_BYTES = 262_144


@pytest.fixture
def delivery_queue_taking_at_most_256_kib(local_stack: RunningStack) -> Iterator[None]:
    sqs, queue = local_stack.info.client("sqs"), local_stack.info.queues["delivery"]
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"MaximumMessageSize": str(OLD_SQS_MAX_BYTES)})
    yield
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"MaximumMessageSize": str(SQS_MAX_BYTES)})


def on_failure_records(local_stack: RunningStack) -> list[dict[str, Any]]:
    """Lambda's on-failure descriptions on the emit failure queue (received and deleted)."""
    sqs, queue = local_stack.info.client("sqs"), local_stack.info.queues["emit_failures"]
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(message["Body"]) for message in messages]


@pytest.mark.usefixtures("delivery_queue_taking_at_most_256_kib")
def test_a_record_emit_cannot_enqueue_goes_to_the_failure_queue_and_the_next_record_is_delivered(
    local_stack: RunningStack, tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given a webhook for license events, and the emit counters of the licenses stream
    receiver = new_receiver()
    tenant.subscribe(receiver, events=["license.*"])
    before = local_stack.poller("EmitFunctionLicenses")
    stream_arn = local_stack.info.client("dynamodb").describe_table(TableName=local_stack.info.tables["licenses"])[
        "Table"
    ]["LatestStreamArn"]
    poison, good = tenant.a_license(notes="x" * 300_000), tenant.a_license()

    # When a license whose message the queue refuses is written, then an ordinary one
    tenant.write(poison, good)

    # Then the ordinary license is delivered
    assert eventually(lambda: len(receiver.deliveries) == 1)
    (delivery,) = receiver.deliveries
    assert delivery.payload is not None
    assert delivery.payload["payload"]["id"] == good.item["id"]
    # And the poison record alone went to the emit failure queue, after the mapping's retries
    (failure,) = eventually(lambda: on_failure_records(local_stack))
    batch = failure["DDBStreamBatchInfo"]
    assert (batch["streamArn"], batch["batchSize"]) == (stream_arn, 1)
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # And the status endpoint counts it
    after = local_stack.poller("EmitFunctionLicenses")
    assert after["sent_to_on_failure"] == before["sent_to_on_failure"] + 1
    assert after["function_errors"] > before["function_errors"]
