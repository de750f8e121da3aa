"""Redeliver, recover and test events: same path as any delivery, the caller's account only, tests rate limited."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from tests.support.builders import NOW, a_delivery_message, a_delivery_record, a_webhook
from tests.support.fakes import InMemoryDeliveryLog, InMemoryWebhooks, RecordingQueue
from webhooks.catalogue import TEST_EVENT
from webhooks.delivery.message import Trigger
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.delivery.signing import encode_body
from webhooks.delivery_log import redelivery
from webhooks.delivery_log.redelivery import TEST_EVENT_INTERVAL_SECONDS, Accepted, ManualDeliveries, is_recoverable
from webhooks.domain.errors import Conflict, Forbidden, InvalidCursor, InvalidInput, NotFound, RateLimited
from webhooks.domain.principal import Principal, Role

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


@pytest.mark.parametrize(
    ("latest", "reason"),
    [
        pytest.param({"status": DeliveryStatus.PENDING}, "still in flight", id="attempt in flight"),
        pytest.param(
            {"status": DeliveryStatus.FAILED, "next_attempt_at": NOW + timedelta(minutes=5)},
            "a retry of this delivery is queued for 2026-11-29T10:05:00Z",
            id="retry queued",
        ),
    ],
)
def test_a_redelivery_never_takes_an_attempt_number_already_taken(world, latest, reason) -> None:
    # Given a delivery whose next attempt number is already spoken for
    manual, log, queue = world
    log.complete_all([a_delivery_record(attempt=3, requested_at=NOW - timedelta(seconds=10), **latest)])
    # When an admin redelivers it, Then it is refused (its claim would lose to the other), and nothing is queued
    with pytest.raises(Conflict, match=reason):
        manual.redeliver(ADMIN, WEBHOOK_ID, a_delivery_record().delivery_id, now=NOW)
    assert queue.sent == []


def test_a_claim_that_outlived_its_function_can_be_redelivered(world) -> None:
    # Given an attempt claimed and never completed (it reads as unknown once older than the function timeout)
    manual, log, queue = world
    log.complete_all(
        [a_delivery_record(attempt=3, status=DeliveryStatus.PENDING, requested_at=NOW - timedelta(minutes=5))]
    )
    # When an admin redelivers it, Then the next attempt is queued
    assert manual.redeliver(ADMIN, WEBHOOK_ID, a_delivery_record().delivery_id, now=NOW).attempt == 4
    assert len(queue.sent) == 1


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


# ---------------------------------------------------------------- recovery of failed deliveries

SINCE = NOW - timedelta(hours=2)
LATER = NOW + timedelta(minutes=5)


def _id(name: str) -> str:
    return "msg_" + hashlib.md5(name.encode()).hexdigest()  # noqa: S324 - an id, not a digest of secrets


def _failed(name: str, minutes_ago: int, **fields: Any) -> DeliveryRecord:
    """A failed attempt of delivery `name`, requested `minutes_ago` before NOW, with its body kept."""
    message = a_delivery_message(delivery_id=_id(name), event_id="evt_" + _id(name).removeprefix("msg_"))
    failed: dict[str, Any] = {
        "delivery_id": message.delivery_id,
        "event_id": message.event_id,
        "status": DeliveryStatus.FAILED,
        "http_status": 503,
        "requested_at": NOW - timedelta(minutes=minutes_ago),
        "request_body": encode_body(message),
    }
    return a_delivery_record(**(failed | fields))


def _skipped(name: str, minutes_ago: int, reason: ErrorKind, **fields: Any) -> DeliveryRecord:
    """An attempt of delivery `name` that deliver skipped (no POST) for `reason`."""
    return _failed(name, minutes_ago, status=DeliveryStatus.SKIPPED, error_kind=reason, http_status=None, **fields)


@pytest.fixture
def outage() -> tuple[ManualDeliveries, InMemoryDeliveryLog, RecordingQueue]:
    """Given a webhook whose endpoint was down for an hour: some deliveries failed and stayed failed (one
    on two attempts), one was answered on a later attempt, one is a test event, one failed before the
    range, one has a retry queued, and one failed with a body too large to keep. The admin disabled the
    webhook for a while: a retry and a queued delivery were skipped (`webhook_disabled`); two other
    deliveries were skipped because the webhook no longer wants them (its events and environment changed)."""
    webhooks = InMemoryWebhooks()
    webhooks.add(a_webhook())
    log = InMemoryDeliveryLog()
    log.complete_all(
        [
            _failed("a", 50),
            _failed("b", 40),
            _failed("twice", 35),
            _failed("twice", 33, attempt=2),
            _failed("too large", 30, request_body=None),
            _failed("answered", 20),
            _failed("answered", 10, attempt=2, status=DeliveryStatus.SUCCEEDED, http_status=200),
            _failed("ping", 15, event=TEST_EVENT),
            _failed("before", 180),
            _failed("retrying", 5, next_attempt_at=LATER),
            _failed("paused", 45),
            _skipped("paused", 44, ErrorKind.WEBHOOK_DISABLED, attempt=2),
            _skipped("queued while paused", 25, ErrorKind.WEBHOOK_DISABLED),
            _failed("unsubscribed", 28),
            _skipped("unsubscribed", 27, ErrorKind.NOT_SUBSCRIBED, attempt=2),
            _skipped("moved", 26, ErrorKind.ENVIRONMENT_MISMATCH),
        ]
    )
    queue = RecordingQueue()
    return ManualDeliveries(webhooks, log, queue, webhooks), log, queue


def test_a_recovery_queues_the_next_attempt_of_each_delivery_still_undelivered(outage) -> None:
    manual, _, queue = outage

    recovery = manual.recover(ADMIN, WEBHOOK_ID, since=SINCE, now=NOW)

    # Then the deliveries whose latest attempt in the range failed, or was skipped while the webhook was
    # disabled, are queued again, newest first, each as its next attempt, with the same body (the
    # receiver deduplicates on webhook-id)
    assert [(message.delivery_id, message.attempt, message.trigger) for message, _ in queue.sent] == [
        (_id("queued while paused"), 2, Trigger.REDELIVER),
        (_id("twice"), 3, Trigger.REDELIVER),
        (_id("b"), 2, Trigger.REDELIVER),
        (_id("paused"), 3, Trigger.REDELIVER),
        (_id("a"), 2, Trigger.REDELIVER),
    ]
    assert encode_body(queue.sent[2][0]) == _failed("b", 40).request_body
    assert encode_body(queue.sent[3][0]) == _failed("paused", 45).request_body
    assert [accepted.delivery_id for accepted in recovery.queued] == [message.delivery_id for message, _ in queue.sent]
    # And what cannot be sent again is named; answered, test, older, retrying and unwanted deliveries are left alone
    assert recovery.not_redeliverable == [_id("too large")]
    assert (recovery.since, recovery.until, recovery.cursor) == (SINCE, NOW, None)


def test_a_recovery_goes_on_page_by_page_and_never_queues_its_own_attempts_again(
    outage, monkeypatch: pytest.MonkeyPatch
) -> None:
    manual, log, queue = outage
    monkeypatch.setattr(redelivery, "RECOVERY_PAGE_SIZE", 1)

    def fail_again(accepted: Accepted) -> None:
        """The attempt a page queued fails too, before the admin asks for the next page."""
        (latest,) = [record for record in log.attempts(accepted.delivery_id) if record.attempt == accepted.attempt - 1]
        log.complete_all([latest.model_copy(update={"attempt": accepted.attempt, "requested_at": LATER})])

    pages = [manual.recover(ADMIN, WEBHOOK_ID, since=SINCE, now=NOW)]
    for accepted in pages[-1].queued:
        fail_again(accepted)
    while (cursor := pages[-1].cursor) is not None:
        pages.append(manual.recover(ADMIN, WEBHOOK_ID, since=SINCE, until=NOW, cursor=cursor, now=LATER))
        for accepted in pages[-1].queued:
            fail_again(accepted)

    # Then every delivery that failed in the range was queued exactly once over all the pages
    recovered = [_id("queued while paused"), _id("twice"), _id("b"), _id("paused"), _id("a")]
    assert [message.delivery_id for message, _ in queue.sent] == recovered
    assert [accepted.delivery_id for page in pages for accepted in page.queued] == recovered
    assert len(pages) > 2


@pytest.mark.parametrize(
    ("principal", "webhook_id", "error"),
    [
        (Principal("globex", "admin@globex", Role.ADMIN), WEBHOOK_ID, NotFound),
        (Principal("acme", "viewer@acme", Role.READER), WEBHOOK_ID, Forbidden),
        (ADMIN, "another-webhook", NotFound),
    ],
)
def test_a_recovery_keeps_to_the_callers_account_and_role(outage, principal, webhook_id, error) -> None:
    manual, _, queue = outage
    with pytest.raises(error):
        manual.recover(principal, webhook_id, since=SINCE, now=NOW)
    assert queue.sent == []


@pytest.mark.parametrize(
    ("since", "until"),
    [
        pytest.param(NOW, NOW - timedelta(minutes=1), id="until before since"),
        pytest.param(LATER, None, id="since in the future"),
        pytest.param(SINCE.replace(tzinfo=None), None, id="since without a time zone"),
        pytest.param(SINCE, NOW.replace(tzinfo=None), id="until without a time zone"),
    ],
)
def test_a_recovery_of_an_empty_or_unzoned_range_is_refused(outage, since, until) -> None:
    manual, _, queue = outage
    with pytest.raises(InvalidInput):
        manual.recover(ADMIN, WEBHOOK_ID, since=since, until=until, now=NOW)
    assert queue.sent == []


def test_a_recovery_refuses_a_cursor_made_for_another_range(outage, monkeypatch: pytest.MonkeyPatch) -> None:
    manual, _, queue = outage
    monkeypatch.setattr(redelivery, "RECOVERY_PAGE_SIZE", 1)
    cursor = manual.recover(ADMIN, WEBHOOK_ID, since=SINCE, now=NOW).cursor
    assert cursor is not None
    queue.sent.clear()
    with pytest.raises(InvalidCursor):
        manual.recover(ADMIN, WEBHOOK_ID, since=SINCE - timedelta(hours=1), until=NOW, cursor=cursor, now=NOW)
    assert queue.sent == []


def test_a_disabled_webhooks_deliveries_are_not_recovered(outage) -> None:
    _, log, queue = outage
    disabled = InMemoryWebhooks()
    disabled.add(a_webhook(enabled=False))
    manual = ManualDeliveries(disabled, log, queue, disabled)
    with pytest.raises(Conflict):
        manual.recover(ADMIN, WEBHOOK_ID, since=SINCE, now=NOW)
    assert queue.sent == []


@pytest.mark.parametrize(
    ("status", "reason", "recoverable"),
    [
        (DeliveryStatus.FAILED, ErrorKind.HTTP_STATUS, True),
        (DeliveryStatus.FAILED, ErrorKind.TIMEOUT, True),
        (DeliveryStatus.SKIPPED, ErrorKind.WEBHOOK_DISABLED, True),
        *((DeliveryStatus.SKIPPED, reason, False) for reason in ErrorKind if reason is not ErrorKind.WEBHOOK_DISABLED),
        (DeliveryStatus.SUCCEEDED, None, False),
        (DeliveryStatus.PENDING, None, False),
    ],
)
def test_only_failed_attempts_and_attempts_skipped_while_disabled_are_recoverable(status, reason, recoverable) -> None:
    # Given an attempt with that outcome, Then recovery sends its delivery again only when it failed or when
    # it was skipped because the webhook was disabled (a pause); other skips mean the webhook no longer wants it
    assert is_recoverable(_failed("x", 5, status=status, error_kind=reason)) is recoverable
