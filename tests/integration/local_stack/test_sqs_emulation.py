"""The local emulator's SQS: moto's behaviour kept, without the work that grows with the queue's depth."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.sqs import models

from local.sqs_emulation import REPLACEMENTS, apply


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process moto SQS with the emulator's replacements, undone after the test."""
    for owner, name, _ in REPLACEMENTS:
        monkeypatch.setattr(owner, name, owner.__dict__[name])  # remembered, so teardown restores moto's own
    apply()
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def attribute_computations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a queue computes all its attributes (each pass counts every message it holds)."""
    computed = [0]
    original = models.Queue.attributes

    def counted(queue: models.Queue) -> dict[str, Any]:
        computed[0] += 1
        return original.fget(queue)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(models.Queue, "attributes", property(counted))
    return computed


def _send(sqs: Any, url: str, count: int, delay_seconds: int = 0) -> None:
    for start in range(0, count, 10):
        size = min(10, count - start)
        entries = [{"Id": str(i), "MessageBody": "m", "DelaySeconds": delay_seconds} for i in range(size)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _counts(sqs: Any, url: str) -> dict[str, str]:
    names = [f"ApproximateNumberOfMessages{state}" for state in ("", "Delayed", "NotVisible")]
    counts: dict[str, str] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return counts


def test_delayed_messages_wait_and_received_ones_are_counted_in_flight(sqs: Any) -> None:
    # Given 3 messages delayed by 15 minutes and 2 due now
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    _send(sqs, url, 3, delay_seconds=900)
    _send(sqs, url, 2)

    # When one receive asks for ten
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]

    # Then only the due ones come, and the counts say where each message is
    assert len(received) == 2
    assert _counts(sqs, url) == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesDelayed": "3",
        "ApproximateNumberOfMessagesNotVisible": "2",
    }


def test_a_message_whose_visibility_ends_is_received_again_and_either_handle_deletes_it(sqs: Any) -> None:
    # Given a message received once with no visibility timeout, then again
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    _send(sqs, url, 1)
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
    time.sleep(0.01)
    second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]["ReceiptHandle"]

    # When it is deleted by its older handle, then again by its newer one
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second)

    # Then the queue is empty, and a handle it never gave is refused
    assert _counts(sqs, url)["ApproximateNumberOfMessagesNotVisible"] == "0"
    with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="never-given")


def test_unknown_attribute_names_are_refused_and_all_answers_everything(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "600"})["QueueUrl"]

    with pytest.raises(ClientError, match="InvalidAttributeName"):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "NoSuchName"])
    everything = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert everything["MessageRetentionPeriod"] == "600"
    assert everything["ApproximateNumberOfMessages"] == "0"


def test_a_message_past_the_retention_period_is_not_received(sqs: Any) -> None:
    # Given a queue keeping messages 60 s, holding one sent 61 s ago
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    _send(sqs, url, 1)
    queue = models.sqs_backends["123456789012"]["us-east-1"].get_queue("q")
    message = queue._messages[0]
    message.sent_timestamp = int(message.sent_timestamp or 0) - 61_000  # type: ignore[assignment]

    # When it is received, nothing comes
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)


def test_receiving_and_asking_for_counts_no_longer_recount_the_queue_per_message_or_name(
    sqs: Any, attribute_computations: list[int]
) -> None:
    # Given a queue holding 10 messages due now (moto computed every attribute 3 times per message received)
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    _send(sqs, url, 10)
    attribute_computations[0] = 0

    # When they are received, then three counts asked for in one call
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 10
    after_receive = attribute_computations[0]
    _counts(sqs, url)

    # Then the receive computed none, and the counts one pass (moto: 30, then 7)
    assert after_receive == 0
    assert attribute_computations[0] == 1
