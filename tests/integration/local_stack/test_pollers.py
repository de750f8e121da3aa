"""The pollers against the template's tables and queues (moto in-process), with fake handlers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.pollers.queues import QueuePoller
from local.pollers.streams import StreamPoller
from tests.support.local_stack import FakeHandler, a_queue_mapping, a_stream_mapping, wait_for


@contextmanager
def running(poller: StreamPoller | QueuePoller) -> Iterator[None]:
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        poller._stop.set()
        thread.join(timeout=10)


def stream_poller(aws: Any, handler: FakeHandler, **mapping_overrides: Any) -> StreamPoller:
    table = aws.deployed.tables["LicensesTable"]
    stream_arn = aws.session.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    sqs = aws.session.client("sqs")
    failures_url = aws.deployed.queues["EmitFailureQueue"]
    return StreamPoller(
        a_stream_mapping(**mapping_overrides),
        stream_arn=stream_arn,
        streams=aws.session.client("dynamodbstreams"),
        invoke=handler,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:webhooks-emit-dev",
        send_on_failure=lambda body: sqs.send_message(QueueUrl=failures_url, MessageBody=body),
        stop=threading.Event(),
        idle_seconds=0.02,
        retry_delay_seconds=0,
    )


def put_licenses(aws: Any, *ids: str) -> None:
    dynamodb = aws.session.client("dynamodb")
    for item_id in ids:
        item = {"id": {"S": item_id}, "account_id": {"S": "acme"}, "environment": {"S": "production"}}
        dynamodb.put_item(TableName=aws.deployed.tables["LicensesTable"], Item=item)


def received_messages(aws: Any, logical_id: str) -> list[dict[str, Any]]:
    response = aws.session.client("sqs").receive_message(
        QueueUrl=aws.deployed.queues[logical_id], MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )
    messages: list[dict[str, Any]] = response.get("Messages", [])
    return messages


def test_stream_records_reach_the_function_in_order_as_lambda_passes_them(aws):
    handler = FakeHandler()
    poller = stream_poller(aws, handler)

    with running(poller):
        put_licenses(aws, "lic-1", "lic-2", "lic-3")
        wait_for(lambda: len(handler.processed) >= 3)

    assert handler.processed == ["lic-1", "lic-2", "lic-3"]
    record = handler.events[0]["Records"][0]
    assert record["eventName"] == "INSERT"
    assert record["eventSourceARN"] == poller._stream_arn
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["dynamodb"]["NewImage"]["account_id"] == {"S": "acme"}
    assert poller.stats.snapshot()["succeeded"] == 3


def test_a_poison_record_goes_to_the_emit_failure_queue_and_later_records_still_arrive(aws):
    handler = FakeHandler(crash_on={"lic-2"})
    poller = stream_poller(aws, handler, maximum_retry_attempts=1)

    with running(poller):
        put_licenses(aws, "lic-1", "lic-2", "lic-3")
        wait_for(lambda: "lic-3" in handler.processed and poller.stats.snapshot()["sent_to_on_failure"] == 1)
        put_licenses(aws, "lic-4")
        wait_for(lambda: "lic-4" in handler.processed)

    (message,) = received_messages(aws, "EmitFailureQueue")
    described = json.loads(message["Body"])
    assert described["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert described["DDBStreamBatchInfo"]["batchSize"] == 1
    assert described["DDBStreamBatchInfo"]["streamArn"] == poller._stream_arn
    poisoned = [inv for inv in handler.invocations if inv == ["lic-2"]]
    assert len(poisoned) == 2  # the first attempt and one retry
    assert handler.processed[-1] == "lic-4"


def queue_poller(aws: Any, handler: Any, **mapping_overrides: Any) -> QueuePoller:
    return QueuePoller(
        a_queue_mapping(**mapping_overrides),
        queue_url=aws.deployed.queues["DeliveryQueue"],
        queue_arn=aws.deployed.arn("DeliveryQueue"),
        region="us-east-1",
        sqs=aws.session.client("sqs"),
        invoke=handler,
        stop=threading.Event(),
        retry_visibility_seconds=0,
        long_poll_seconds=0,
    )


def send(aws: Any, *bodies: str) -> None:
    sqs = aws.session.client("sqs")
    for body in bodies:
        sqs.send_message(
            QueueUrl=aws.deployed.queues["DeliveryQueue"],
            MessageBody=body,
            MessageAttributes={"trigger": {"DataType": "String", "StringValue": "event"}},
        )


def test_queue_messages_reach_the_function_as_lambdas_sqs_event_and_are_deleted(aws):
    handler = FakeHandler()
    poller = queue_poller(aws, handler)
    send(aws, "m1", "m2")

    assert poller.poll_once() == 2

    record = handler.events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == aws.deployed.arn("DeliveryQueue")
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["trigger"] == {
        "stringValue": "event",
        "binaryValue": None,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert {"messageId", "receiptHandle", "body", "md5OfBody"} <= set(record)
    assert poller.poll_once() == 0  # both deleted


def test_reported_messages_stay_on_the_queue_and_the_others_are_deleted(aws):
    handler = FakeHandler(report={"m2"})
    poller = queue_poller(aws, handler)
    send(aws, "m1", "m2", "m3")

    poller.poll_once()
    handler.report.clear()
    poller.poll_once()

    assert sorted(handler.invocations[0]) == ["m1", "m2", "m3"]
    assert handler.invocations[1] == ["m2"]
    assert poller.poll_once() == 0


def test_a_function_error_leaves_the_whole_batch_on_the_queue(aws):
    handler = FakeHandler(crash_on={"m1"})
    poller = queue_poller(aws, handler)
    send(aws, "m1", "m2")

    poller.poll_once()
    handler.crash_on.clear()
    poller.poll_once()

    assert sorted(handler.invocations[1]) == ["m1", "m2"]
    assert poller.stats.snapshot()["retried"] == 2


def test_a_message_that_keeps_failing_moves_to_the_dead_letter_queue_after_max_receive_count(aws):
    handler = FakeHandler(report={"m1"})
    poller = queue_poller(aws, handler)
    send(aws, "m1")

    for _ in range(6):
        poller.poll_once()

    assert handler.invocations == [["m1"]] * 5  # maxReceiveCount 5 in template.yaml
    (dead,) = received_messages(aws, "DeliveryDeadLetterQueue")
    assert dead["Body"] == "m1"


def test_the_queue_is_polled_by_up_to_the_mappings_maximum_concurrency_at_once(aws):
    # Given a mapping of batch size 1 and maximum concurrency 4, and a function that holds each batch
    in_flight: list[int] = []
    lock, release = threading.Lock(), threading.Event()
    now = [0]

    def slow_handler(event: dict[str, Any]) -> dict[str, Any]:
        with lock:
            now[0] += 1
            in_flight.append(now[0])
        release.wait(timeout=10)
        with lock:
            now[0] -= 1
        return {"batchItemFailures": []}

    poller = queue_poller(aws, slow_handler, batch_size=1, maximum_concurrency=4)
    send(aws, *[f"m{index}" for index in range(6)])
    # When it runs until six batches were handed over
    with running(poller):
        wait_for(lambda: len(in_flight) >= 4, timeout_seconds=10)
        release.set()
        wait_for(lambda: poller.stats.snapshot()["succeeded"] == 6, timeout_seconds=10)
    # Then four batches were in flight at once, never more
    assert max(in_flight) == 4


def test_a_backlog_that_arrives_while_every_running_batch_is_held_still_calls_further_pollers_in(aws):
    # Given a mapping of batch size 1 and maximum concurrency 4, and a function that holds each batch
    in_flight: list[str] = []
    release = threading.Event()

    def holding_handler(event: dict[str, Any]) -> dict[str, Any]:
        in_flight.extend(record["body"] for record in event["Records"])
        release.wait(timeout=20)
        return {"batchItemFailures": []}

    poller = queue_poller(aws, holding_handler, batch_size=1, maximum_concurrency=4)
    with running(poller):
        # When one message is taken and held, the other pollers find the queue empty and idle,
        send(aws, "first")
        wait_for(lambda: in_flight == ["first"], timeout_seconds=10)
        time.sleep(1.5)
        # and then three more arrive while the only busy poller still holds its batch
        send(aws, "second", "third", "fourth")
        # Then further pollers take them up, as Lambda scales with the backlog, not with finished batches
        taken = wait_for(lambda: len(in_flight) == 4, timeout_seconds=10)
        release.set()
    assert taken
    assert sorted(in_flight) == ["first", "fourth", "second", "third"]
