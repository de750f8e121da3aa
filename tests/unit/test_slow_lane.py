"""An endpoint that answers, but slowly, is served by the slow lane: once one of its attempts is slow,
the main lane moves its messages to the slow lane's queue (not an attempt) until the flag expires, and
the slow lane POSTs them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from tests.support.builders import NOW, a_delivery_message, a_webhook
from tests.support.fakes import (
    InMemoryCircuits,
    InMemoryDeliveryLog,
    InMemoryWebhooks,
    RecordingQueue,
    ScriptedSender,
    a_deliverer,
    a_guard,
)
from webhooks.delivery.attempt import DeliveryOutcome
from webhooks.delivery.circuit import Circuit, CircuitPolicy, CircuitState, after_results
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.outbound import OutboundRequest, SendResult

SLOW, FAST = "https://slow.example.com/hook", "https://fast.example.com/hook"
SLOW_ID, FAST_ID = "0f0f0f0f-0000-4000-8000-0000000005e0", "0f0f0f0f-0000-4000-8000-0000000000fa"
POLICY = CircuitPolicy()  # the template's defaults: 5 s makes an attempt slow, for 300 s


class SlowAndFastSender(ScriptedSender):
    """Answers 200 after 8 s for the slow endpoint, at once for every other."""

    def post(self, request: OutboundRequest) -> SendResult:
        self.requests.append(request)
        return SendResult(http_status=200, duration_ms=8_000 if request.url == SLOW else 40)


class World:
    def __init__(self, slow_lane: RecordingQueue | None = None) -> None:
        self.now = NOW
        webhooks = InMemoryWebhooks()
        webhooks.add(a_webhook(webhook_id=SLOW_ID, url=SLOW))
        webhooks.add(a_webhook(webhook_id=FAST_ID, url=FAST))
        self.log = InMemoryDeliveryLog()
        self.sender = SlowAndFastSender()
        self.queue, self.slow_lane = RecordingQueue(), slow_lane if slow_lane is not None else RecordingQueue()
        self.circuits = InMemoryCircuits()
        self.slowed: list[Circuit] = []
        self.deliverer = a_deliverer(
            webhooks,
            self.sender,
            self.queue,
            a_guard(self.queue, self.circuits, slow_lane=self.slow_lane, slowed=self.slowed),
            log=self.log,
            clock=lambda: self.now,
        )

    def deliver(self, *messages: DeliveryMessage, in_slow_lane: bool = False) -> list[str]:
        outcomes = self.deliverer.deliver_batch(list(messages), in_slow_lane=in_slow_lane)
        return [outcome.outcome if isinstance(outcome, DeliveryOutcome) else repr(outcome) for outcome in outcomes]

    def posts_to(self, url: str) -> int:
        return sum(request.url == url for request in self.sender.requests)


def to(webhook_id: str, n: int) -> DeliveryMessage:
    return a_delivery_message(webhook_id=webhook_id, delivery_id=f"msg_{webhook_id[-3:]}_{n:03}")


def slowed_world(slow_lane: RecordingQueue | None = None) -> World:
    """A world whose slow endpoint has just answered one attempt after 8 s."""
    world = World(slow_lane)
    assert world.deliver(to(SLOW_ID, 0)) == ["succeeded"]
    return world


def test_one_slow_answer_flags_the_endpoint_slow_for_the_period_and_reports_it_once() -> None:
    # Given an endpoint whose attempt took 8 s, When the batch is learned from
    world = slowed_world()
    # Then its circuit stays closed, flagged slow for 300 s, and the move is reported
    circuit = world.circuits.read_many([("acme", SLOW_ID)])[("acme", SLOW_ID)]
    assert (circuit.state, circuit.slow_until) == (CircuitState.CLOSED, NOW + timedelta(seconds=300))
    assert world.slowed == [circuit]


def test_the_main_lane_moves_a_slow_endpoints_messages_to_the_slow_lane_and_posts_the_others() -> None:
    # Given a slow-flagged endpoint
    world = slowed_world()
    # When the main lane receives two of its messages and one for a fast endpoint
    slow_messages, fast = [to(SLOW_ID, 1), to(SLOW_ID, 2)], to(FAST_ID, 1)
    outcomes = world.deliver(*slow_messages, fast)
    # Then the slow endpoint's are moved, unclaimed and not POSTed, and the fast one is delivered
    assert outcomes == ["moved", "moved", "succeeded"]
    assert world.posts_to(SLOW) == 1
    assert [world.log.attempts(m.delivery_id) for m in slow_messages] == [[], []]
    assert [(message.delivery_id, message.attempt, delay) for message, delay in world.slow_lane.sent] == [
        (slow_messages[0].delivery_id, 1, 0),
        (slow_messages[1].delivery_id, 1, 0),
    ]


def test_the_slow_lane_posts_what_it_receives_for_a_slow_endpoint_once() -> None:
    # Given a slow-flagged endpoint and its messages moved to the slow lane
    world = slowed_world()
    world.deliver(to(SLOW_ID, 1), to(SLOW_ID, 2))
    moved = [message for message, _ in world.slow_lane.sent]
    # When the slow lane receives them
    outcomes = world.deliver(*moved, in_slow_lane=True)
    # Then each is POSTed once and logged, and nothing is moved again
    assert outcomes == ["succeeded", "succeeded"]
    assert world.posts_to(SLOW) == 3
    assert len(world.slow_lane.sent) == 2


def test_once_the_flag_expires_the_main_lane_posts_the_endpoint_again() -> None:
    # Given a slow flag set 301 s ago
    world = slowed_world()
    world.now = NOW + timedelta(seconds=301)
    # When the main lane receives one of its messages
    outcomes = world.deliver(to(SLOW_ID, 3))
    # Then it is POSTed from the main lane
    assert outcomes == ["succeeded"]
    assert world.slow_lane.sent == []


def test_a_steadily_slow_endpoint_extends_its_flag_only_once_half_the_period_has_passed() -> None:
    # Given a flag set now
    flagged = after_results(Circuit(account_id="acme", webhook_id=SLOW_ID), [False], POLICY, NOW, slow=True)
    assert flagged.slow_until == NOW + timedelta(seconds=300)
    # When slow answers come 100 s later, and again 200 s later
    soon = after_results(flagged, [False], POLICY, NOW + timedelta(seconds=100), slow=True)
    later = after_results(flagged, [False], POLICY, NOW + timedelta(seconds=200), slow=True)
    # Then the first changes nothing (no write), and the second extends it from then
    assert soon is flagged
    assert later.slow_until == NOW + timedelta(seconds=500)
    assert later.version == flagged.version + 1


def test_a_success_after_failures_closes_the_circuit_and_keeps_the_slow_flag() -> None:
    # Given a slow-flagged endpoint with two failures in a row
    failing = Circuit(
        account_id="acme", webhook_id=SLOW_ID, consecutive_failures=2, slow_until=NOW + timedelta(seconds=60), version=3
    )
    # When it answers
    after = after_results(failing, [False], POLICY, NOW)
    # Then the count is cleared and the flag stays
    assert (after.consecutive_failures, after.slow_until, after.version) == (0, NOW + timedelta(seconds=60), 4)


class CountingQueue(RecordingQueue):
    """Counts the calls; rejects the messages of `rejected` delivery ids."""

    def __init__(self, rejected: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.calls = 0
        self.rejected = rejected

    def send_batch(self, messages: Sequence[DeliveryMessage], delays: Sequence[int] | None = None) -> list[int]:
        self.calls += 1
        super().send_batch(messages, delays)
        return [n for n, message in enumerate(messages) if message.delivery_id in self.rejected]


def test_a_batch_moves_its_held_back_messages_in_one_call_and_one_not_taken_fails_alone() -> None:
    # Given a slow-flagged endpoint, and a slow lane queue that will not take one message
    slow_lane = CountingQueue(rejected=frozenset({"msg_5e0_002"}))
    world = slowed_world(slow_lane)
    # When the main lane receives three of its messages
    outcomes = world.deliver(to(SLOW_ID, 1), to(SLOW_ID, 2), to(SLOW_ID, 3))
    # Then one call moved them, and the one not taken failed alone (SQS hands it over again)
    assert slow_lane.calls == 1
    assert [outcomes[0], outcomes[2]] == ["moved", "moved"]
    assert "NotQueued" in outcomes[1]
