"""A message the queue contract should refuse fails alone (to the DLQ), never the whole batch."""

from __future__ import annotations

from tests.support.builders import a_delivery_message, a_webhook
from tests.support.events import sqs_event
from tests.support.fakes import (
    InMemoryWebhooks,
    RecordingQueue,
    ScriptedSender,
    a_deliverer,
    a_guard,
)
from webhooks.delivery.sqs_batch import deliver_sqs_batch

SLOW_LANE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/webhooks-delivery-slow-test"


def test_a_retry_due_time_without_a_time_zone_fails_its_message_alone() -> None:
    # Given a batch of a good message and one whose not_before has no time zone (not comparable to now)
    webhooks = InMemoryWebhooks()
    webhooks.add(a_webhook())
    sender, queue = ScriptedSender(), RecordingQueue()
    deliverer = a_deliverer(webhooks, sender, queue, a_guard(queue))
    naive = a_delivery_message(delivery_id="msg_naive").model_dump(mode="json") | {"not_before": "2026-11-29T09:00:00"}
    event = sqs_event(a_delivery_message().model_dump(mode="json"), naive)
    # When the batch is processed
    response = deliver_sqs_batch(deliverer, event["Records"], slow_lane_queue_url=SLOW_LANE_URL)
    # Then the good message is delivered and only the other one is reported (SQS moves it to the DLQ in time)
    assert response == {"batchItemFailures": [{"itemIdentifier": "message-1"}]}
    assert [request.headers["webhook-id"] for request in sender.requests] == [a_delivery_message().delivery_id]
