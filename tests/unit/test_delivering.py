"""The deliver use case with in-memory ports: one POST per attempt, skips, crashes, retries, 410, and
the batch: duplicates within and across batches, throttled claims, unwritten results, one read per webhook."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.support.builders import NOW, SECRET, a_damaged_webhook, a_delivery_message, a_webhook
from tests.support.fakes import (
    DELIVERY_RULES,
    InMemoryCircuits,
    InMemoryDeliveryLog,
    InMemoryWebhooks,
    RecordingQueue,
    ScriptedSender,
    ThrottledError,
    a_deliverer,
    a_guard,
)
from webhooks.catalogue import Environment
from webhooks.delivery.attempt import DeliveryOutcome, ResultNotLogged
from webhooks.delivery.circuit import Circuit
from webhooks.delivery.message import DeliveryMessage, Trigger
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import DeliveryStatus, ErrorKind
from webhooks.delivery.rules import DeliveryRules
from webhooks.delivery_log.queries import as_seen_at
from webhooks.domain.signing_keys import SealedSecret, SignatureScheme
from webhooks.domain.webhook import MAX_PREVIOUS_SECRETS, RetryPolicy, SigningSecret


def _highest(low: float, high: float) -> float:
    return high


class World:
    def __init__(self, rules: DeliveryRules = DELIVERY_RULES, result: SendResult | None = None) -> None:
        self.webhooks = InMemoryWebhooks()
        self.log = InMemoryDeliveryLog()
        self.sender = ScriptedSender(result=result or SendResult(http_status=200, duration_ms=12))
        self.queue = RecordingQueue()
        self.circuits = InMemoryCircuits()
        self.opened: list[Circuit] = []
        self.deliverer = a_deliverer(
            self.webhooks,
            self.sender,
            self.queue,
            a_guard(self.queue, self.circuits, self.opened),
            log=self.log,
            rules=rules,
            uniform=_highest,
        )

    def deliver(self, message: DeliveryMessage) -> DeliveryOutcome:
        """A batch of one; a message that fails the batch raises its exception."""
        (outcome,) = self.deliverer.deliver_batch([message])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_a_message_is_posted_once_and_logged_with_its_outcome_and_expiry() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    outcome = world.deliver(a_delivery_message())
    assert outcome.outcome == "succeeded"
    (request,) = world.sender.requests
    assert request.url == "https://hooks.example.com/licenses"
    assert request.headers["webhook-id"] == a_delivery_message().delivery_id
    (record,) = world.log.attempts(a_delivery_message().delivery_id)
    assert (record.status, record.http_status, record.duration_ms) == (DeliveryStatus.SUCCEEDED, 200, 12)
    assert record.expires_at == int((NOW + timedelta(days=30)).timestamp())
    assert "webhook-signature" not in record.request_headers
    assert record.request_body is not None


def test_the_signature_header_stays_bounded_however_many_secrets_the_webhook_holds() -> None:
    # Given a webhook stored before rotations were bounded: 300 rotated-out secrets still in their grace period
    current = SigningSecret(value=SecretStr(SECRET), created_at=NOW)
    piled_up = tuple(
        SigningSecret(value=SecretStr(f"whsec_old{n:03}"), created_at=NOW, expires_at=NOW + timedelta(hours=1))
        for n in range(300)
    )
    world = World()
    world.webhooks.add(a_webhook(secrets=(current, *piled_up)))

    # When a message is delivered
    world.deliver(a_delivery_message())

    # Then the current secret and the three most recently rotated out sign it: a few hundred bytes, not 14 KB
    (request,) = world.sender.requests
    header, body, delivery_id = (
        request.headers["webhook-signature"],
        request.body.decode(),
        request.headers["webhook-id"],
    )
    signed_by = (SECRET, "whsec_old000", "whsec_old001", "whsec_old002")
    assert header.split(" ") == [StandardWebhook(s).sign(delivery_id, NOW, body) for s in signed_by]
    assert len(signed_by) == 1 + MAX_PREVIOUS_SECRETS
    assert len(header) < 256


def test_a_duplicate_message_sends_nothing_and_is_not_a_failure() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    world.deliver(a_delivery_message())
    assert world.deliver(a_delivery_message()).outcome == "duplicate"
    assert len(world.sender.requests) == 1


def test_a_crash_between_claim_and_result_leaves_a_record_that_reads_as_unknown() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    world.sender.crash = RuntimeError("the function timed out mid-request")
    with pytest.raises(RuntimeError):
        world.deliver(a_delivery_message())
    (stored,) = world.log.attempts(a_delivery_message().delivery_id)
    assert as_seen_at(stored, NOW + timedelta(seconds=5)).status is DeliveryStatus.PENDING
    seen = as_seen_at(stored, NOW + timedelta(minutes=5))
    assert (seen.status, seen.error_kind) == (DeliveryStatus.UNKNOWN, ErrorKind.CRASHED)
    # and the message SQS hands over again does not POST a second time
    world.sender.crash = None
    assert world.deliver(a_delivery_message()).outcome == "duplicate"
    assert len(world.sender.requests) == 1


def test_a_secret_that_does_not_open_fails_its_message_before_the_claim_and_the_next_try_sends_it() -> None:
    # Given a webhook whose sealed secret cannot be opened for now (KMS throttled), and another webhook
    kms_up = [False]

    def open_with_kms(sealed: str) -> str:
        if not kms_up[0]:
            raise RuntimeError("ThrottlingException")
        return SECRET

    sealed = SealedSecret("sealed-text", open_with_kms, SignatureScheme.V1, None)
    world = World()
    world.webhooks.add(a_webhook(secrets=(SigningSecret(value=sealed, created_at=NOW),)))
    world.webhooks.add(a_webhook(webhook_id="wh-other"))
    sealed_message = a_delivery_message()
    other = a_delivery_message(delivery_id="msg_other", webhook_id="wh-other")
    # When a batch holds a message for each
    outcomes = world.deliverer.deliver_batch([sealed_message, other])
    # Then the sealed webhook's message fails alone with nothing claimed or sent; the other is delivered
    assert isinstance(outcomes[0], RuntimeError)
    assert world.log.attempts(sealed_message.delivery_id) == []
    assert [request.url for request in world.sender.requests] == [a_webhook(webhook_id="wh-other").url]
    # And when SQS hands it over again with KMS back, it is sent once, signed with the secret
    kms_up[0] = True
    world.webhooks.add(a_webhook(secrets=(SigningSecret(value=sealed, created_at=NOW),)))
    assert world.deliver(sealed_message).outcome == "succeeded"
    request = world.sender.requests[-1]
    sent_at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    signature = StandardWebhook(SECRET).sign(request.headers["webhook-id"], sent_at, request.body.decode())
    assert request.headers["webhook-signature"] == signature


@pytest.mark.parametrize(
    ("webhook_overrides", "message_overrides", "rules", "reason"),
    [
        (None, {}, DELIVERY_RULES, ErrorKind.WEBHOOK_NOT_FOUND),
        ({"enabled": False}, {}, DELIVERY_RULES, ErrorKind.WEBHOOK_DISABLED),
        ({"environment": Environment.STAGING}, {}, DELIVERY_RULES, ErrorKind.ENVIRONMENT_MISMATCH),
        ({"events": frozenset({"contract.*"})}, {}, DELIVERY_RULES, ErrorKind.NOT_SUBSCRIBED),
        ({"filter": {"payload": {"seats": {"$gt": 5}}}}, {}, DELIVERY_RULES, ErrorKind.FILTERED_OUT),
        ({}, {"account_id": "globex"}, DELIVERY_RULES, ErrorKind.WEBHOOK_NOT_FOUND),
        (
            {},
            {},
            DeliveryRules(frozenset({Environment.STAGING}), ("*",), allow_http_for_development=False, retention_days=1),
            ErrorKind.NOT_PERMITTED,
        ),
        (
            {},
            {},
            DeliveryRules(frozenset(Environment), ("contract.*",), allow_http_for_development=False, retention_days=1),
            ErrorKind.NOT_PERMITTED,
        ),
    ],
)
def test_what_no_longer_matches_at_send_time_is_skipped_with_the_reason(
    webhook_overrides, message_overrides, rules, reason
) -> None:
    world = World(rules)
    if webhook_overrides is not None:
        world.webhooks.add(a_webhook(**webhook_overrides))
    message = a_delivery_message(**message_overrides)
    outcome = world.deliver(message)
    assert world.sender.requests == []
    assert outcome.record is not None
    assert (outcome.record.status, outcome.record.error_kind) == (DeliveryStatus.SKIPPED, reason)
    assert world.log.attempts(message.delivery_id) == [outcome.record]


def test_a_payload_filter_is_checked_again_at_send_time_and_lets_a_matching_body_and_the_test_event_through() -> None:
    # Given a webhook that takes licenses of at least 5 seats
    world = World()
    world.webhooks.add(a_webhook(filter={"payload": {"seats": {"$gte": 5}}}))
    # When a 5-seat license, a 4-seat one and a test event (its payload has no seats) are delivered
    five = world.deliver(a_delivery_message())
    four = world.deliver(a_delivery_message(delivery_id="msg_four", payload={"id": "lic_2", "seats": 4}))
    test = world.deliver(a_delivery_message(delivery_id="msg_test", event="webhook.test", payload={"test": True}))
    # Then the 5-seat one and the test event are POSTed, and the 4-seat one is skipped as filtered out
    assert [request.headers["webhook-id"] for request in world.sender.requests] == [
        a_delivery_message().delivery_id,
        "msg_test",
    ]
    assert (five.outcome, test.outcome) == ("succeeded", "succeeded")
    assert four.record is not None
    assert (four.record.status, four.record.error_kind) == (DeliveryStatus.SKIPPED, ErrorKind.FILTERED_OUT)


def test_plain_http_is_allowed_only_for_development_webhooks_where_the_deployment_allows_it() -> None:
    rules = DeliveryRules(frozenset(Environment), ("*",), allow_http_for_development=True, retention_days=1)
    world = World(rules)
    world.webhooks.add(a_webhook(environment=Environment.DEVELOPMENT))
    world.webhooks.add(a_webhook(webhook_id="prod"))
    world.deliver(a_delivery_message(environment=Environment.DEVELOPMENT))
    world.deliver(a_delivery_message(webhook_id="prod", delivery_id="msg_prod"))
    assert [request.allow_http for request in world.sender.requests] == [True, False]


def test_without_a_retry_policy_a_failure_is_final() -> None:
    world = World(result=SendResult(http_status=503, error_kind=ErrorKind.HTTP_STATUS))
    world.webhooks.add(a_webhook())
    assert world.deliver(a_delivery_message()).outcome == "failed"
    assert world.queue.sent == []


def test_with_a_retry_policy_the_next_attempt_is_queued_with_its_backoff() -> None:
    world = World(result=SendResult(http_status=503, error_kind=ErrorKind.HTTP_STATUS, retry_after_seconds=120))
    world.webhooks.add(a_webhook(retry_policy=RetryPolicy(max_attempts=3, initial_backoff_seconds=30)))
    outcome = world.deliver(a_delivery_message())
    ((retry, delay),) = world.queue.sent
    assert (retry.attempt, retry.trigger, retry.delivery_id) == (2, Trigger.RETRY, a_delivery_message().delivery_id)
    assert retry.not_before == NOW + timedelta(seconds=120)
    assert delay == 120
    assert outcome.record is not None
    assert outcome.record.next_attempt_at == retry.not_before


def test_a_retry_not_yet_due_is_sent_back_to_wait_without_posting() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    due = NOW + timedelta(hours=2)
    assert world.deliver(a_delivery_message(attempt=2, not_before=due)).outcome == "deferred"
    assert world.sender.requests == []
    assert [(message.not_before, delay) for message, delay in world.queue.sent] == [(due, 900)]


def test_a_duplicate_of_an_attempt_whose_retry_was_logged_queues_the_retry_again() -> None:
    world = World(result=SendResult(http_status=500, error_kind=ErrorKind.HTTP_STATUS))
    world.webhooks.add(a_webhook(retry_policy=RetryPolicy(max_attempts=3)))
    world.deliver(a_delivery_message())
    world.deliver(a_delivery_message())
    assert [message.attempt for message, _ in world.queue.sent] == [2, 2]
    assert len(world.sender.requests) == 1


def test_410_gone_disables_a_webhook_with_a_retry_policy_and_does_not_retry() -> None:
    world = World(result=SendResult(http_status=410, error_kind=ErrorKind.HTTP_STATUS))
    world.webhooks.add(a_webhook(retry_policy=RetryPolicy(max_attempts=3)))
    outcome = world.deliver(a_delivery_message())
    assert outcome.disabled_webhook
    assert world.webhooks.disabled == [a_webhook().webhook_id]
    assert world.queue.sent == []


def test_redeliveries_and_tests_are_single_attempts() -> None:
    world = World(result=SendResult(http_status=500, error_kind=ErrorKind.HTTP_STATUS))
    world.webhooks.add(a_webhook(retry_policy=RetryPolicy(max_attempts=3)))
    world.deliver(a_delivery_message(attempt=2, trigger=Trigger.REDELIVER))
    assert world.queue.sent == []


def _messages(count: int, **overrides: object) -> list[DeliveryMessage]:
    return [a_delivery_message(delivery_id=f"msg_{index}", **overrides) for index in range(count)]


def test_a_batch_reads_each_distinct_webhook_once_and_posts_each_message_once() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    world.webhooks.add(a_webhook(webhook_id="other"))
    batch = [*_messages(3), a_delivery_message(delivery_id="msg_other", webhook_id="other")]
    outcomes = world.deliverer.deliver_batch(batch)
    assert [outcome.outcome for outcome in outcomes if isinstance(outcome, DeliveryOutcome)] == ["succeeded"] * 4
    assert world.webhooks.batch_reads == [{("acme", a_webhook().webhook_id), ("acme", "other")}]
    assert sorted(request.headers["webhook-id"] for request in world.sender.requests) == sorted(
        message.delivery_id for message in batch
    )


def test_the_same_attempt_twice_in_one_batch_is_posted_once_and_neither_message_fails() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    outcomes = world.deliverer.deliver_batch([a_delivery_message(), a_delivery_message()])
    assert [getattr(outcome, "outcome", outcome) for outcome in outcomes] == ["succeeded", "duplicate"]
    assert len(world.sender.requests) == 1


def test_an_attempt_handed_over_again_in_a_later_batch_is_not_posted_again() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    world.deliverer.deliver_batch(_messages(3))
    outcomes = world.deliverer.deliver_batch([*_messages(3)[1:], a_delivery_message(delivery_id="msg_new")])
    assert [getattr(outcome, "outcome", outcome) for outcome in outcomes] == ["duplicate", "duplicate", "succeeded"]
    assert len(world.sender.requests) == 4


def test_a_throttled_claim_fails_that_message_alone_and_its_retry_posts_it_once() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    world.log.throttled_claims.add(("msg_1", 1))
    first = world.deliverer.deliver_batch(_messages(3))
    assert isinstance(first[1], ThrottledError)
    assert [outcome.outcome for outcome in (first[0], first[2]) if isinstance(outcome, DeliveryOutcome)] == [
        "succeeded",
        "succeeded",
    ]
    assert world.log.attempts("msg_1") == []
    # SQS hands the failed message over again (here, with the whole batch): each is posted exactly once
    world.log.throttled_claims.clear()
    again = world.deliverer.deliver_batch(_messages(3))
    assert [getattr(outcome, "outcome", outcome) for outcome in again] == ["duplicate", "succeeded", "duplicate"]
    assert sorted(request.headers["webhook-id"] for request in world.sender.requests) == ["msg_0", "msg_1", "msg_2"]


def test_a_failed_webhook_read_fails_the_batch_before_anything_is_claimed_or_sent() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    world.webhooks.read_error = ThrottledError("batch read throttled")
    outcomes = world.deliverer.deliver_batch(_messages(2))
    assert all(isinstance(outcome, ThrottledError) for outcome in outcomes)
    assert (world.log.records, world.sender.requests) == ({}, [])
    assert [getattr(outcome, "outcome", None) for outcome in world.deliverer.deliver_batch(_messages(2))] == [
        "succeeded",
        "succeeded",
    ]


def test_a_result_that_cannot_be_written_leaves_the_claim_pending_and_is_never_posted_again() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    world.log.unwritable_results.add(("msg_0", 1))
    outcomes = world.deliverer.deliver_batch(_messages(2))
    assert isinstance(outcomes[0], ResultNotLogged)
    assert getattr(outcomes[1], "outcome", None) == "succeeded"
    (stored,) = world.log.attempts("msg_0")
    assert as_seen_at(stored, NOW + timedelta(minutes=5)).status is DeliveryStatus.UNKNOWN
    world.log.unwritable_results.clear()
    assert [getattr(outcome, "outcome", None) for outcome in world.deliverer.deliver_batch(_messages(1))] == [
        "duplicate"
    ]
    assert len(world.sender.requests) == 2


def test_a_skip_is_written_as_the_claim_itself_and_sends_nothing() -> None:
    world = World()
    world.webhooks.add(a_webhook(enabled=False))
    (outcome,) = world.deliverer.deliver_batch([a_delivery_message()])
    assert isinstance(outcome, DeliveryOutcome)
    assert outcome.record is not None
    assert world.log.attempts(a_delivery_message().delivery_id) == [outcome.record]
    assert (outcome.record.status, world.sender.requests) == (DeliveryStatus.SKIPPED, [])


def test_the_posts_of_a_batch_go_through_the_concurrent_map_it_is_given() -> None:
    world = World()
    world.webhooks.add(a_webhook())
    mapped: list[int] = []

    def recording_map[T, R](function: Callable[[T], R], items: Iterable[T], /) -> list[R]:
        listed = list(items)
        mapped.append(len(listed))
        return [function(item) for item in listed]

    deliverer = a_deliverer(
        world.webhooks, world.sender, world.queue, a_guard(world.queue), log=world.log, concurrent_map=recording_map
    )
    deliverer.deliver_batch(_messages(4))
    # one webhook's secrets opened, then the four POSTs
    assert (mapped, len(world.sender.requests)) == ([1, 4], 4)


def test_a_webhook_that_does_not_read_back_fails_its_own_deliveries_alone_and_sends_nothing_to_it() -> None:
    # Given a batch for a healthy webhook and for one stored with a 0 ms read timeout (it does not read back)
    world = World()
    world.webhooks.add(a_webhook())
    damaged = world.webhooks.add(a_damaged_webhook(a_webhook(webhook_id="damaged"), read_timeout_ms=0))
    batch = [a_delivery_message(), a_delivery_message(delivery_id="msg_damaged", webhook_id=damaged.webhook_id)]
    # When the batch is delivered
    healthy, broken = world.deliverer.deliver_batch(batch)
    # Then the healthy webhook's message is posted, and neither message fails the batch
    assert isinstance(healthy, DeliveryOutcome)
    assert isinstance(broken, DeliveryOutcome)
    assert (healthy.outcome, broken.outcome) == ("succeeded", "failed")
    assert [request.headers["webhook-id"] for request in world.sender.requests] == [a_delivery_message().delivery_id]
    # And the damaged one's attempt is logged as failed, saying why and how to repair it, with no retry
    (record,) = world.log.attempts("msg_damaged")
    assert (record.status, record.error_kind, record.next_attempt_at) == (
        DeliveryStatus.FAILED,
        ErrorKind.WEBHOOK_DAMAGED,
        None,
    )
    assert record.error_detail == damaged.detail
    assert "read_timeout_seconds" in (record.error_detail or "")
    # And SQS handing it over again is a duplicate, not a second record
    (again,) = world.deliverer.deliver_batch(batch[1:])
    assert getattr(again, "outcome", again) == "duplicate"
