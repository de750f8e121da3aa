"""Redeliver and test events: same path as any delivery, the caller's account only, tests rate limited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.builders import NOW, a_delivery_message, a_delivery_record, a_webhook
from tests.support.fakes import InMemoryDeliveryLog, InMemoryWebhooks, RecordingQueue
from webhooks.catalogue import TEST_EVENT
from webhooks.domain.errors import Conflict, Forbidden, NotFound, RateLimited
from webhooks.domain.manual_delivery import TEST_EVENT_INTERVAL_SECONDS, ManualDeliveries
from webhooks.domain.messages import Trigger
from webhooks.domain.principal import Principal, Role
from webhooks.domain.signing import encode_body

ADMIN = Principal("acme", "admin@acme", Role.ADMIN)
WEBHOOK_ID = a_webhook().webhook_id


@pytest.fixture
def world() -> tuple[ManualDeliveries, InMemoryDeliveryLog, RecordingQueue]:
    webhooks = InMemoryWebhooks()
    webhooks.add(a_webhook())
    log = InMemoryDeliveryLog()
    log.complete_all(
        [a_delivery_record(request_body=encode_body(a_delivery_message(previous_attributes={"seats": 4})))]
    )
    log.complete_all([a_delivery_record(attempt=2, request_body=None)])
    queue = RecordingQueue()
    return ManualDeliveries(webhooks, log, queue, webhooks), log, queue


def test_a_redelivery_keeps_the_delivery_id_and_body_and_takes_the_next_attempt(world) -> None:
    manual, _, queue = world
    accepted = manual.redeliver(ADMIN, WEBHOOK_ID, a_delivery_record().delivery_id)
    ((message, delay),) = queue.sent
    assert (accepted.delivery_id, accepted.attempt, delay) == (a_delivery_record().delivery_id, 3, 0)
    assert message.trigger is Trigger.REDELIVER
    assert encode_body(message) == encode_body(a_delivery_message(previous_attributes={"seats": 4}))


@pytest.mark.parametrize(
    ("principal", "webhook_id", "delivery_id", "error"),
    [
        (Principal("globex", "admin@globex", Role.ADMIN), WEBHOOK_ID, "msg_0123456789abcdef0123456789abcdef", NotFound),
        (ADMIN, "another-webhook", "msg_0123456789abcdef0123456789abcdef", NotFound),
        (ADMIN, WEBHOOK_ID, "msg_unknown", NotFound),
        (Principal("acme", "viewer@acme", Role.READER), WEBHOOK_ID, "msg_0123456789abcdef0123456789abcdef", Forbidden),
    ],
)
def test_a_redelivery_keeps_to_the_callers_account_and_role(world, principal, webhook_id, delivery_id, error) -> None:
    manual, _, queue = world
    with pytest.raises(error):
        manual.redeliver(principal, webhook_id, delivery_id)
    assert queue.sent == []


def test_a_delivery_whose_body_was_not_kept_cannot_be_redelivered(world) -> None:
    manual, log, _ = world
    log.records.clear()
    log.complete_all([a_delivery_record(request_body=None)])
    with pytest.raises(Conflict):
        manual.redeliver(ADMIN, WEBHOOK_ID, a_delivery_record().delivery_id)


def test_a_test_event_is_queued_for_the_webhook_and_then_rate_limited(world) -> None:
    manual, _, queue = world
    accepted = manual.send_test(ADMIN, WEBHOOK_ID, now=NOW)
    ((message, _),) = queue.sent
    assert (message.event, message.trigger, message.delivery_id) == (TEST_EVENT, Trigger.TEST, accepted.delivery_id)
    assert message.environment is a_webhook().environment
    with pytest.raises(RateLimited) as limited:
        manual.send_test(ADMIN, WEBHOOK_ID, now=NOW + timedelta(seconds=3))
    assert limited.value.extensions["retry_after"] == TEST_EVENT_INTERVAL_SECONDS - 3
    later = manual.send_test(ADMIN, WEBHOOK_ID, now=NOW + timedelta(seconds=TEST_EVENT_INTERVAL_SECONDS))
    assert later.event_id != accepted.event_id


def test_another_accounts_webhook_cannot_be_tested(world) -> None:
    manual, _, queue = world
    with pytest.raises(NotFound):
        manual.send_test(Principal("globex", "admin@globex", Role.ADMIN), WEBHOOK_ID)
    assert queue.sent == []
