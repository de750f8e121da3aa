"""What deliver makes of a batch's results for each endpoint: hourly counters, operational events
(webhook.failing, webhook.recovered, delivery.exhausted, webhook.disabled) and the auto-disable."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tests.support.builders import NOW, a_delivery_message, a_webhook
from tests.support.fakes import (
    GUARD_RULES,
    InMemoryCircuits,
    InMemoryEndpointStats,
    InMemoryOperationalEvents,
    InMemoryWebhooks,
    RecordingQueue,
    ScriptedSender,
    a_deliverer,
    a_guard,
    a_health,
)
from webhooks.delivery.circuit import Circuit, CircuitState
from webhooks.delivery.message import DeliveryMessage, Trigger
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind
from webhooks.domain.webhook import RetryPolicy

FAILED = SendResult(http_status=503, error_kind=ErrorKind.HTTP_STATUS, duration_ms=40)
ANSWERED = SendResult(http_status=200, duration_ms=12)
THRESHOLD = GUARD_RULES.policy.failure_threshold
WEBHOOK_KEY = ("acme", a_webhook().webhook_id)


class World:
    def __init__(self, result: SendResult = ANSWERED, auto_disable_after: timedelta = timedelta(hours=120)) -> None:
        self.webhooks = InMemoryWebhooks()
        self.sender = ScriptedSender(result=result)
        self.queue = RecordingQueue()
        self.circuits = InMemoryCircuits()
        self.stats = InMemoryEndpointStats()
        self.events = InMemoryOperationalEvents()
        health = a_health(self.webhooks, self.stats, self.events, auto_disable_after)
        guard = a_guard(self.queue, self.circuits)
        self.deliverer = a_deliverer(self.webhooks, self.sender, self.queue, guard, health=health)

    def deliver(self, messages: list[DeliveryMessage]) -> None:
        self.deliverer.deliver_batch(messages)


def _open_circuit(*, open_until: datetime, opened_at: datetime) -> Circuit:
    """The endpoint's circuit, open since `opened_at` after failures reached the threshold."""
    return Circuit("acme", a_webhook().webhook_id, CircuitState.OPEN, THRESHOLD, 1, open_until, opened_at, version=3)


def _messages(count: int, start: int = 0, **overrides: object) -> list[DeliveryMessage]:
    return [a_delivery_message(delivery_id=f"msg_{index}", **overrides) for index in range(start, start + count)]


def test_a_batch_adds_each_webhooks_posts_to_its_hour_in_one_update() -> None:
    # Given two webhooks
    world = World()
    world.webhooks.add(a_webhook())
    world.webhooks.add(a_webhook(webhook_id="other"))
    # When one batch POSTs three messages to the first and one to the second
    world.deliver([*_messages(3), a_delivery_message(delivery_id="msg_other", webhook_id="other")])
    # Then each webhook's hour was updated once, with its own counts
    assert world.stats.adds == 2
    (first,) = world.stats.hours("acme", a_webhook().webhook_id, NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    (other,) = world.stats.hours("acme", "other", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert (first.attempts, first.succeeded, other.attempts) == (3, 3, 1)


def test_a_circuit_that_opens_records_webhook_failing_once() -> None:
    # Given an endpoint that answers 503
    world = World(result=FAILED)
    world.webhooks.add(a_webhook())
    # When a batch brings it to the failure threshold
    world.deliver(_messages(THRESHOLD))
    # Then its circuit is open and one webhook.failing says so, about this webhook
    assert world.circuits.circuits[WEBHOOK_KEY].state is CircuitState.OPEN
    (failing,) = world.events.recorded
    assert (failing.event, failing.about_webhook_id) == ("webhook.failing", a_webhook().webhook_id)
    assert failing.data["consecutive_failures"] == THRESHOLD
    assert failing.data["webhook_name"] == a_webhook().name


def test_failures_below_the_threshold_are_no_news() -> None:
    world = World(result=FAILED)
    world.webhooks.add(a_webhook())
    world.deliver(_messages(THRESHOLD - 1))
    assert world.events.recorded == []


def test_a_probe_that_succeeds_records_webhook_recovered_with_the_downtime() -> None:
    # Given an endpoint whose circuit opened ten minutes ago and whose open period is over
    world = World()
    world.webhooks.add(a_webhook())
    opened_at = NOW - timedelta(minutes=10)
    world.circuits.circuits[WEBHOOK_KEY] = _open_circuit(open_until=NOW - timedelta(seconds=1), opened_at=opened_at)
    # When its probe is answered
    world.deliver(_messages(1))
    # Then it is closed and webhook.recovered says how long it was down
    assert world.circuits.circuits[WEBHOOK_KEY].state is CircuitState.CLOSED
    (recovered,) = world.events.recorded
    assert recovered.event == "webhook.recovered"
    assert recovered.data["downtime_seconds"] == 600


def test_a_probe_that_fails_reopens_the_circuit_without_news() -> None:
    world = World(result=FAILED)
    world.webhooks.add(a_webhook())
    world.circuits.circuits[WEBHOOK_KEY] = _open_circuit(open_until=NOW - timedelta(seconds=1), opened_at=NOW)
    world.deliver(_messages(1))
    assert world.circuits.circuits[WEBHOOK_KEY].state is CircuitState.OPEN
    assert world.events.recorded == []


def test_the_last_attempt_under_a_retry_policy_that_fails_records_delivery_exhausted() -> None:
    # Given a webhook retried up to 3 attempts, answering 503
    world = World(result=FAILED)
    world.webhooks.add(a_webhook(retry_policy=RetryPolicy(max_attempts=3)))
    # When its first attempt fails (a retry follows) and another delivery's third one fails (none follows)
    world.deliver([a_delivery_message(delivery_id="msg_first")])
    world.deliver([a_delivery_message(delivery_id="msg_last", attempt=3, trigger=Trigger.RETRY)])
    # Then only the last one is exhausted
    (exhausted,) = world.events.recorded
    assert (exhausted.event, exhausted.data["delivery_id"]) == ("delivery.exhausted", "msg_last")
    assert (exhausted.data["attempts"], exhausted.data["last_http_status"]) == (3, 503)


def test_no_delivery_exhausted_without_a_retry_policy_or_about_an_operational_events_delivery() -> None:
    # Given a webhook without a retry policy, and one with a policy whose delivery is itself an operational event
    world = World(result=FAILED)
    world.webhooks.add(a_webhook())
    world.webhooks.add(a_webhook(webhook_id="ops", retry_policy=RetryPolicy(max_attempts=1), events=frozenset({"*"})))
    # When both fail their last attempt
    world.deliver([a_delivery_message(delivery_id="msg_plain")])
    world.deliver([a_delivery_message(delivery_id="msg_ops", webhook_id="ops", event="webhook.failing")])
    # Then neither is news: one has no policy, and news of news could feed itself
    assert world.events.names() == []


def test_a_webhook_down_longer_than_allowed_is_disabled_with_the_reason() -> None:
    # Given an endpoint whose circuit opened six hours ago and is still open, with a limit of five hours,
    # and a webhook last changed a day ago
    world = World(auto_disable_after=timedelta(hours=5))
    world.webhooks.add(a_webhook(version=2, updated_at=NOW - timedelta(days=1)))
    opened_at = NOW - timedelta(hours=6)
    world.circuits.circuits[WEBHOOK_KEY] = _open_circuit(open_until=NOW + timedelta(minutes=5), opened_at=opened_at)
    # When a batch holds its messages back
    world.deliver(_messages(2))
    # Then nothing was POSTed, and the webhook is disabled (version 2 -> 3) with webhook.disabled announced
    assert world.sender.requests == []
    assert world.webhooks.disabled == [a_webhook().webhook_id]
    (disabled,) = world.webhooks.announced
    assert (disabled.event, disabled.data["reason"], disabled.data["disabled_by"]) == (
        "webhook.disabled",
        "endpoint_down",
        "system:deliver",
    )


def test_a_webhook_enabled_again_by_an_admin_gets_the_whole_period_again() -> None:
    # Given an endpoint down for six hours (limit five), whose webhook an admin enabled again an hour ago
    world = World(auto_disable_after=timedelta(hours=5))
    world.webhooks.add(a_webhook(version=4, updated_at=NOW - timedelta(hours=1)))
    opened_at = NOW - timedelta(hours=6)
    world.circuits.circuits[WEBHOOK_KEY] = _open_circuit(open_until=NOW + timedelta(minutes=5), opened_at=opened_at)
    # When a batch holds its messages back
    world.deliver(_messages(2))
    # Then it stays enabled: the period counts from the admin's change
    assert world.webhooks.disabled == []


def test_a_webhook_down_for_less_than_the_limit_stays_enabled() -> None:
    world = World(auto_disable_after=timedelta(hours=5))
    world.webhooks.add(a_webhook(updated_at=NOW - timedelta(days=1)))
    world.circuits.circuits[WEBHOOK_KEY] = _open_circuit(
        open_until=NOW + timedelta(minutes=5), opened_at=NOW - timedelta(hours=4)
    )
    world.deliver(_messages(2))
    assert world.webhooks.disabled == []


def test_events_that_cannot_be_recorded_cost_no_delivery() -> None:
    # Given an operational events table that refuses writes
    world = World(result=FAILED)
    world.webhooks.add(a_webhook())

    def refuse(events: object) -> None:
        raise ConnectionError("table unavailable")

    world.events.record = refuse  # type: ignore[method-assign]
    # When a batch opens the circuit
    outcomes = world.deliverer.deliver_batch(_messages(THRESHOLD))
    # Then every message still has its outcome (failed, logged), none an exception
    assert [outcome.outcome for outcome in outcomes if not isinstance(outcome, Exception)] == ["failed"] * THRESHOLD


def test_an_event_about_a_webhook_is_not_sent_to_it_unless_it_is_its_recovery() -> None:
    from webhooks.domain.operational_events import webhook_failing, webhook_recovered

    failing = webhook_failing(a_webhook(), consecutive_failures=5, down_since=NOW, retry_at=None, at=NOW)
    recovered = webhook_recovered(a_webhook(), down_since=NOW, at=NOW + timedelta(minutes=1))
    assert not failing.is_sent_to(a_webhook().webhook_id)
    assert failing.is_sent_to("another")
    assert recovered.is_sent_to(a_webhook().webhook_id)
    # And the same change recorded twice is the same event (a retried batch makes no second one)
    again = webhook_failing(a_webhook(), consecutive_failures=6, down_since=NOW, retry_at=None, at=NOW)
    assert again.event_id == failing.event_id
    assert replace(failing, event_id="x").event_id != failing.event_id
