"""Deliver against endpoints' circuit breakers: a failing endpoint's circuit opens, its messages wait
(deferred, not attempted) while a healthy neighbour's go on, one probe decides, and a message that
waits past the deployment's bound is logged failed and recoverable."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from tests.support.builders import NOW, a_delivery_message, a_webhook
from tests.support.fakes import (
    InMemoryCircuits,
    InMemoryDeliveryLog,
    InMemoryWebhooks,
    RecordingQueue,
    ScriptedSender,
    ThrottledError,
    a_deliverer,
    a_guard,
)
from webhooks.delivery.attempt import DeliveryOutcome
from webhooks.delivery.circuit import Circuit, CircuitState
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.outbound import OutboundRequest, SendResult
from webhooks.delivery.record import DeliveryStatus, ErrorKind
from webhooks.delivery_log.redelivery import is_recoverable

DOWN, UP = "https://down.example.com/hook", "https://up.example.com/hook"
DOWN_ID, UP_ID = "0f0f0f0f-0000-4000-8000-00000000d0e1", "0f0f0f0f-0000-4000-8000-0000000000a1"
TIMED_OUT = SendResult(error_kind=ErrorKind.TIMEOUT, duration_ms=10_000)


class EndpointsSender(ScriptedSender):
    """Times out for the down endpoint, answers 200 for every other."""

    down: bool = True

    def post(self, request: OutboundRequest) -> SendResult:
        self.requests.append(request)
        return TIMED_OUT if request.url == DOWN and self.down else SendResult(http_status=200, duration_ms=5)


class World:
    def __init__(self, circuits: InMemoryCircuits | None = None) -> None:
        self.now = NOW
        self.webhooks = InMemoryWebhooks()
        self.webhooks.add(a_webhook(webhook_id=DOWN_ID, url=DOWN))
        self.webhooks.add(a_webhook(webhook_id=UP_ID, url=UP))
        self.log = InMemoryDeliveryLog()
        self.sender = EndpointsSender()
        self.queue, self.slow_lane = RecordingQueue(), RecordingQueue()
        self.circuits = circuits if circuits is not None else InMemoryCircuits()
        self.opened: list[Circuit] = []
        self.deliverer = a_deliverer(
            self.webhooks,
            self.sender,
            self.queue,
            a_guard(self.queue, self.circuits, self.opened, slow_lane=self.slow_lane),
            log=self.log,
            clock=lambda: self.now,
        )

    def deliver(self, *messages: DeliveryMessage) -> list[DeliveryOutcome | Exception]:
        return self.deliverer.deliver_batch(list(messages))

    def circuit(self, webhook_id: str = DOWN_ID) -> Circuit:
        return self.circuits.read_many([("acme", webhook_id)])[("acme", webhook_id)]

    def posts_to(self, url: str) -> int:
        return sum(request.url == url for request in self.sender.requests)


def to(webhook_id: str, n: int) -> DeliveryMessage:
    return a_delivery_message(webhook_id=webhook_id, delivery_id=f"msg_{webhook_id[-3:]}_{n:03}")


def opened_world() -> World:
    """A world whose down endpoint has just failed five times in a row."""
    world = World()
    world.deliver(*(to(DOWN_ID, n) for n in range(5)))
    return world


def test_five_consecutive_failures_open_the_endpoints_circuit_once() -> None:
    # Given an endpoint that times out, When five of its messages fail in a batch
    world = opened_world()

    # Then its circuit is open for the first period, and the opening is reported once
    circuit = world.circuit()
    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.OPEN, 5)
    assert circuit.open_until == NOW + timedelta(seconds=30)
    assert world.opened == [circuit]


def test_while_open_its_messages_are_deferred_not_attempted_and_a_healthy_neighbour_goes_on() -> None:
    # Given an open circuit
    world = opened_world()
    posts_before = world.posts_to(DOWN)

    # When a batch holds a message for it and one for a healthy endpoint
    down, up = to(DOWN_ID, 10), to(UP_ID, 1)
    outcomes = world.deliver(down, up)

    # Then the healthy one is delivered, and the other is neither POSTed nor claimed: it waits in the slow
    # lane's queue (so the main lane does not meet it at every recheck), due when the circuit's period ends,
    # with the same attempt number
    assert [outcome.outcome for outcome in outcomes if isinstance(outcome, DeliveryOutcome)] == [
        "deferred",
        "succeeded",
    ]
    assert world.posts_to(DOWN) == posts_before
    assert world.log.attempts(down.delivery_id) == []
    assert world.queue.sent == []
    (deferred, delay) = world.slow_lane.sent[-1]
    assert (deferred.delivery_id, deferred.attempt) == (down.delivery_id, 1)
    assert deferred.not_before == NOW + timedelta(seconds=30)
    assert deferred.deferred_since == NOW
    assert delay == 30


def test_once_the_period_ends_one_probe_is_sent_and_the_rest_wait_for_it() -> None:
    # Given an open circuit whose period has ended, and an endpoint that is back
    world = opened_world()
    world.now = NOW + timedelta(seconds=31)
    world.sender.down = False
    posts_before = world.posts_to(DOWN)

    # When a batch holds three of its messages
    outcomes = world.deliver(*(to(DOWN_ID, n) for n in range(20, 23)))

    # Then one is POSTed as the probe and the others look again in a few seconds
    assert world.posts_to(DOWN) == posts_before + 1
    assert [outcome.outcome for outcome in outcomes if isinstance(outcome, DeliveryOutcome)] == [
        "succeeded",
        "deferred",
        "deferred",
    ]
    assert {message.not_before for message, _ in world.slow_lane.sent[-2:]} == {world.now + timedelta(seconds=5)}
    # ... and the probe's success closes the circuit
    assert world.circuit().state is CircuitState.CLOSED
    assert world.circuit().consecutive_failures == 0


def test_a_failed_probe_reopens_it_for_twice_as_long() -> None:
    world = opened_world()
    world.now = NOW + timedelta(seconds=31)

    world.deliver(to(DOWN_ID, 30))

    circuit = world.circuit()
    assert circuit.state is CircuitState.OPEN
    assert circuit.open_until == world.now + timedelta(seconds=60)
    assert len(world.opened) == 2


def test_a_message_deferred_past_the_bound_is_logged_failed_and_recoverable_not_posted() -> None:
    # Given an open circuit, and a message that has waited for it longer than the deployment allows
    world = opened_world()
    waited = to(DOWN_ID, 40).model_copy(update={"deferred_since": NOW - timedelta(hours=6, seconds=1)})
    posts_before = world.posts_to(DOWN)

    # When it comes round again
    (outcome,) = world.deliver(waited)

    # Then it is not POSTed but logged failed with circuit_open, which recovery sends again
    assert world.posts_to(DOWN) == posts_before
    assert isinstance(outcome, DeliveryOutcome)
    assert outcome.outcome == "failed"
    (record,) = world.log.attempts(waited.delivery_id)
    assert (record.status, record.error_kind) == (DeliveryStatus.FAILED, ErrorKind.CIRCUIT_OPEN)
    assert is_recoverable(record)


def test_a_deferred_message_keeps_the_time_it_first_waited_from() -> None:
    world = opened_world()
    first_waited = NOW - timedelta(hours=2)

    world.deliver(to(DOWN_ID, 50).model_copy(update={"deferred_since": first_waited}))

    (deferred, _) = world.slow_lane.sent[-1]
    assert deferred.deferred_since == first_waited


def test_a_retry_after_a_deferral_starts_its_own_wait_afresh() -> None:
    # Given a message that waited for the circuit once, and then failed with a retry policy
    world = World()
    world.webhooks.add(a_webhook(webhook_id=DOWN_ID, url=DOWN, retry_policy={"max_attempts": 3}))
    waited = to(DOWN_ID, 60).model_copy(update={"deferred_since": NOW - timedelta(hours=1)})

    # When it is attempted and fails
    world.deliver(waited)

    # Then its retry carries no deferral of its own yet
    (retry, _) = world.queue.sent[-1]
    assert (retry.attempt, retry.deferred_since) == (2, None)


class ChangedMeanwhile(InMemoryCircuits):
    """Another invocation writes four failures of the down endpoint just after this batch's first read."""

    def read_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Circuit]:
        read = super().read_many(keys)
        if not self.writes:
            self.save(Circuit(account_id="acme", webhook_id=DOWN_ID, consecutive_failures=4, version=1))
        return read


class ThrottledCircuits(InMemoryCircuits):
    def read_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Circuit]:
        raise ThrottledError("circuits not read")


def test_a_circuit_changed_by_another_invocation_gets_this_batchs_results_on_top() -> None:
    # Given a batch that read a closed circuit, while another invocation counted four failures meanwhile
    world = World(ChangedMeanwhile())

    # When this batch's one failure is written
    world.deliver(to(DOWN_ID, 70))

    # Then its write lost the race, read again, and made the fifth failure that opens the circuit
    assert world.circuit().state is CircuitState.OPEN
    assert world.circuit().consecutive_failures == 5


def test_a_circuit_read_that_fails_fails_the_batch_and_sends_nothing() -> None:
    # Given circuits that cannot be read (throttled past botocore's retries)
    world = World(ThrottledCircuits())

    # When a batch comes, Then every message fails with it (SQS hands them over again) and none is POSTed
    outcomes = world.deliver(to(UP_ID, 1), to(DOWN_ID, 1))

    assert all(isinstance(outcome, ThrottledError) for outcome in outcomes)
    assert world.sender.requests == []
