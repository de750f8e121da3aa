"""Endpoints through the deliver handler, moto's queues and tables, and a real receiver. One goes down and
comes back: its circuit opens, its messages wait without being attempted, and once it answers again each
of its events is delivered once or was logged failed, none POSTed twice. One answers slowly: its messages
move to the slow lane and are POSTed there once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import a_delivery_message, a_webhook
from tests.support.delivery_log import DeliveryLogTable
from tests.support.events import sqs_event
from tests.support.handlers import LoadedHandler
from tests.support.receivers import Receiver
from tests.support.streams import Platform
from webhooks.adapters.endpoint_circuits import DynamoEndpointCircuits
from webhooks.catalogue import Environment
from webhooks.delivery.circuit import CircuitState
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.record import DeliveryStatus

LOOPBACK = {"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"}
WEBHOOK_ID = "wh_recovering"


def _test_client(service: str) -> Any:
    return boto3.Session(region_name="us-east-1").client(service)  # type: ignore[call-overload]


def _messages(numbers: range) -> list[DeliveryMessage]:
    return [
        a_delivery_message(delivery_id=f"msg_{n}", webhook_id=WEBHOOK_ID, environment=Environment.DEVELOPMENT)
        for n in numbers
    ]


class DeliveryQueueMapping:
    """Lambda's SQS event source mapping in miniature: receive a batch, invoke deliver, delete what it
    did not report in `batchItemFailures`."""

    def __init__(self, aws: MotoAws, deliver: LoadedHandler, queue: str = "DeliveryQueue") -> None:
        self._sqs = _test_client("sqs")
        self._url = aws.deployed.queues[queue]
        self._arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._deliver = deliver

    def send(self, messages: list[DeliveryMessage]) -> None:
        for message in messages:
            self._sqs.send_message(QueueUrl=self._url, MessageBody=message.queue_body())

    def serve_one_batch(self, batch_size: int) -> int:
        received = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=batch_size, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if not received:
            return 0
        response = self._deliver(sqs_event(*(message["Body"] for message in received), queue_arn=self._arn))
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        done = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(received)
            if f"message-{index}" not in failed  # sqs_event names its records message-<index>
        ]
        if done:
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=done)
        return len(received)

    def serve_until(self, finished: Callable[[], bool], batch_size: int, rounds: int = 90) -> None:
        for _ in range(rounds):
            if finished():
                return
            self.serve_one_batch(batch_size)
        raise AssertionError(f"not finished after {rounds} receives")


@pytest.fixture
def log(aws: MotoAws) -> DeliveryLogTable:
    return DeliveryLogTable(_test_client("dynamodb"), aws.deployed.tables["DeliveriesTable"])


def _circuit_state(aws: MotoAws, message: DeliveryMessage) -> CircuitState:
    circuits = DynamoEndpointCircuits(_test_client("dynamodb"), aws.deployed.tables["EndpointCircuitsTable"])
    key = (message.account_id, message.webhook_id)
    return circuits.read_many([key])[key].state


def _statuses(log: DeliveryLogTable, messages: list[DeliveryMessage]) -> dict[str, list[DeliveryStatus]]:
    return {m.delivery_id: [record.status for record in log.attempts(m.delivery_id)] for m in messages}


def test_a_dead_endpoint_that_comes_back_gets_each_waiting_event_once_and_none_twice(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler], log: DeliveryLogTable
) -> None:
    # Given a webhook without retries whose endpoint answers 500, and deliver with a 1 s open period
    Platform(aws.deployed).register(
        a_webhook(webhook_id=WEBHOOK_ID, url=receiver.url("/recovering"), environment=Environment.DEVELOPMENT)
    )
    deliver = handler_for("DeliverFunction", **LOOPBACK, CIRCUIT_OPEN_SECONDS="1")
    mapping, slow_lane = DeliveryQueueMapping(aws, deliver), DeliveryQueueMapping(aws, deliver, "SlowDeliveryQueue")
    first, waiting = _messages(range(5)), _messages(range(5, 12))
    # When the first five (the threshold) are attempted, and fail
    mapping.send(first)
    assert mapping.serve_one_batch(batch_size=5) == 5
    # Then each was one attempt, logged failed, and the circuit is open
    assert _statuses(log, first) == {m.delivery_id: [DeliveryStatus.FAILED] for m in first}
    assert _circuit_state(aws, first[0]) is CircuitState.OPEN
    # When seven more arrive while it is open
    mapping.send(waiting)
    mapping.serve_one_batch(batch_size=10)
    # Then none is POSTed or logged: a deferral is not an attempt; they wait in the slow lane, not the main queue
    assert len(receiver.requests) == 5
    assert _statuses(log, waiting) == {m.delivery_id: [] for m in waiting}
    assert mapping.serve_one_batch(batch_size=10) == 0
    # When the endpoint comes back and the slow lane is served until every waiting event has an answer
    receiver.recovered.set()
    slow_lane.serve_until(
        lambda: all(statuses == [DeliveryStatus.SUCCEEDED] for statuses in _statuses(log, waiting).values()),
        batch_size=10,
    )
    # Then each waiting event was POSTed exactly once, and the five failed ones were never sent again
    posted = [request.headers["webhook-id"] for request in receiver.requests]
    assert sorted(posted) == sorted([m.delivery_id for m in first] + [m.delivery_id for m in waiting])
    assert _statuses(log, first) == {m.delivery_id: [DeliveryStatus.FAILED] for m in first}
    # And the circuit is closed again, with nothing left on either queue
    assert _circuit_state(aws, first[0]) is CircuitState.CLOSED
    assert (mapping.serve_one_batch(batch_size=10), slow_lane.serve_one_batch(batch_size=10)) == (0, 0)


def test_a_slow_endpoints_messages_move_to_the_slow_lane_and_are_posted_there_once(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler], log: DeliveryLogTable
) -> None:
    # Given a webhook whose endpoint answers 200 after 300 ms, and deliver counting 200 ms as slow
    Platform(aws.deployed).register(
        a_webhook(webhook_id=WEBHOOK_ID, url=receiver.url("/slow?ms=300"), environment=Environment.DEVELOPMENT)
    )
    deliver = handler_for("DeliverFunction", **LOOPBACK, SLOW_ATTEMPT_SECONDS="0.2")
    main_lane, slow_lane = DeliveryQueueMapping(aws, deliver), DeliveryQueueMapping(aws, deliver, "SlowDeliveryQueue")
    first, later = _messages(range(1)), _messages(range(1, 6))
    # When its first message is delivered from the main lane, and five more arrive there
    main_lane.send(first)
    assert main_lane.serve_one_batch(batch_size=10) == 1
    main_lane.send(later)
    assert main_lane.serve_one_batch(batch_size=10) == 5
    # Then only the first was POSTed from the main lane; the others were moved, unclaimed
    assert len(receiver.requests) == 1
    assert _statuses(log, later) == {m.delivery_id: [] for m in later}
    # When the slow lane serves its queue
    slow_lane.serve_until(
        lambda: all(statuses == [DeliveryStatus.SUCCEEDED] for statuses in _statuses(log, later).values()),
        batch_size=10,
    )
    # Then each moved message was POSTed once, from there, and both queues are empty
    assert sorted(request.headers["webhook-id"] for request in receiver.requests) == sorted(
        m.delivery_id for m in first + later
    )
    assert main_lane.serve_one_batch(batch_size=10) == 0
    assert slow_lane.serve_one_batch(batch_size=10) == 0
