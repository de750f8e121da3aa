"""The SQS adapter against a real botocore client with its responses stubbed (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.support.builders import a_delivery_message
from webhooks.adapters.delivery_queue import SqsDeliveryQueue, pack
from webhooks.delivery.message import SQS_MAX_MESSAGE_BYTES, DeliveryMessage

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/delivery"


@pytest.fixture
def sqs() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("sqs", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _messages(count: int) -> list[DeliveryMessage]:
    return [a_delivery_message(delivery_id=f"msg_{n}", webhook_id=f"wh_{n % 3}") for n in range(count)]


def _ok(ids: list[int], failed: tuple[int, ...] = ()) -> dict[str, Any]:
    return {
        "Successful": [
            {"Id": str(i), "MessageId": f"m-{i}", "MD5OfMessageBody": "0" * 32} for i in ids if i not in failed
        ],
        "Failed": [
            {"Id": str(i), "SenderFault": False, "Code": "InternalError", "Message": "try again"} for i in failed
        ],
    }


def _expect(stubber: Stubber, messages: list[DeliveryMessage], positions: list[int], response: dict[str, Any]) -> None:
    entries = [
        {"Id": str(i), "MessageBody": messages[i].model_dump_json(), "MessageGroupId": messages[i].webhook_id}
        for i in positions
    ]
    stubber.add_response("send_message_batch", response, {"QueueUrl": QUEUE_URL, "Entries": entries})


def test_messages_go_in_batches_of_ten(sqs: tuple[Any, Stubber]) -> None:
    client, stubber = sqs
    messages = _messages(25)
    for group in (list(range(10)), list(range(10, 20)), list(range(20, 25))):
        _expect(stubber, messages, group, _ok(group))
    assert SqsDeliveryQueue(client, QUEUE_URL, concurrency=1).send_batch(messages) == []


def test_entries_sqs_lists_as_failed_are_reported_by_position(sqs: tuple[Any, Stubber]) -> None:
    client, stubber = sqs
    messages = _messages(15)
    _expect(stubber, messages, list(range(10)), _ok(list(range(10)), failed=(3, 7)))
    _expect(stubber, messages, list(range(10, 15)), _ok(list(range(10, 15)), failed=(14,)))
    assert SqsDeliveryQueue(client, QUEUE_URL, concurrency=1).send_batch(messages) == [3, 7, 14]


def test_a_throttled_call_fails_every_entry_it_carried(sqs: tuple[Any, Stubber]) -> None:
    client, stubber = sqs
    messages = _messages(15)
    _expect(stubber, messages, list(range(10)), _ok(list(range(10))))
    stubber.add_client_error("send_message_batch", service_error_code="RequestThrottled", http_status_code=403)
    assert SqsDeliveryQueue(client, QUEUE_URL, concurrency=1).send_batch(messages) == list(range(10, 15))


def test_nothing_to_send_makes_no_call(sqs: tuple[Any, Stubber]) -> None:
    client, _ = sqs
    assert SqsDeliveryQueue(client, QUEUE_URL).send_batch([]) == []


def test_a_single_message_can_be_sent_with_a_delay(sqs: tuple[Any, Stubber]) -> None:
    client, stubber = sqs
    message = a_delivery_message()
    stubber.add_response(
        "send_message",
        {"MessageId": "m-1", "MD5OfMessageBody": "0" * 32},
        {
            "QueueUrl": QUEUE_URL,
            "MessageBody": message.model_dump_json(),
            "DelaySeconds": 120,
            "MessageGroupId": message.webhook_id,
        },
    )
    SqsDeliveryQueue(client, QUEUE_URL).send(message, delay_seconds=120)


def test_packing_keeps_each_call_within_sqs_limits() -> None:
    quarter = "x" * (SQS_MAX_MESSAGE_BYTES // 4)
    groups = list(pack([quarter] * 5 + ["small"] * 12))
    assert [len(group) for group in groups] == [4, 10, 3]
    assert all(sum(len(body) for _, body in group) <= SQS_MAX_MESSAGE_BYTES for group in groups)
    assert [position for group in groups for position, _ in group] == list(range(17))


def test_each_message_of_a_batch_can_carry_its_own_delay(sqs: tuple[Any, Stubber]) -> None:
    # Given three messages, two of them to wait 30 s and 900 s
    client, stubber = sqs
    messages = _messages(3)
    entries = [
        {"Id": "0", "MessageBody": messages[0].model_dump_json(), "MessageGroupId": "wh_0", "DelaySeconds": 30},
        {"Id": "1", "MessageBody": messages[1].model_dump_json(), "MessageGroupId": "wh_1"},
        {"Id": "2", "MessageBody": messages[2].model_dump_json(), "MessageGroupId": "wh_2", "DelaySeconds": 900},
    ]
    stubber.add_response("send_message_batch", _ok([0, 1, 2]), {"QueueUrl": QUEUE_URL, "Entries": entries})
    # When they are sent with their delays, Then one call carries each delay (none where it is 0)
    assert SqsDeliveryQueue(client, QUEUE_URL, concurrency=1).send_batch(messages, [30, 0, 900]) == []
