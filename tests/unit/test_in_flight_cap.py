"""An endpoint not known to answer quickly has at most `max_in_flight` POSTs in flight across every
invocation: a batch leases slots before it POSTs and gives them back after, what finds no free slot
waits (deferred, not attempted), and an endpoint whose attempts were all quick POSTs without leasing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from tests.support.builders import NOW, a_delivery_message, a_webhook
from tests.support.fakes import (
    InMemoryCircuits,
    InMemoryWebhooks,
    RecordingQueue,
    a_deliverer,
    a_guard,
)
from tests.unit.test_slow_lane import SlowAndFastSender
from webhooks.delivery.attempt import DeliveryOutcome
from webhooks.delivery.circuit import Circuit, CircuitPolicy, Lease, lease_slots
from webhooks.delivery.endpoint_guard import StartTimer
from webhooks.delivery.message import DeliveryMessage

HOOK, OTHER = "https://new.example.com/hook", "https://other.example.com/hook"
HOOK_ID, OTHER_ID = "0f0f0f0f-0000-4000-8000-000000000e01", "0f0f0f0f-0000-4000-8000-000000000e02"
POLICY = CircuitPolicy()  # 10 in flight, leases of 60 s
KEY = ("acme", HOOK_ID)


def another_batch_holds(slots: int, until: timedelta = timedelta(seconds=60)) -> InMemoryCircuits:
    """Circuits where another invocation's batch holds `slots` of the endpoint, leased until NOW + `until`."""
    circuits = InMemoryCircuits()
    circuits.circuits[KEY] = Circuit(*KEY, leases=(Lease("elsewhere", slots, NOW + until),), version=1)
    return circuits


class World:
    def __init__(self, circuits: InMemoryCircuits, start_timer: StartTimer | None = None) -> None:
        webhooks = InMemoryWebhooks()
        webhooks.add(a_webhook(webhook_id=HOOK_ID, url=HOOK))
        webhooks.add(a_webhook(webhook_id=OTHER_ID, url=OTHER))
        self.sender, self.queue, self.circuits = SlowAndFastSender(), RecordingQueue(), circuits
        self.slow_lane = RecordingQueue()
        guard = a_guard(self.queue, circuits, start_timer=start_timer, slow_lane=self.slow_lane)
        self.deliverer = a_deliverer(webhooks, self.sender, self.queue, guard)

    def deliver(self, *messages: DeliveryMessage) -> list[str]:
        outcomes = self.deliverer.deliver_batch(list(messages))
        return [outcome.outcome if isinstance(outcome, DeliveryOutcome) else repr(outcome) for outcome in outcomes]

    def posts_to(self, url: str) -> int:
        return sum(request.url == url for request in self.sender.requests)


def to(webhook_id: str, n: int) -> DeliveryMessage:
    return a_delivery_message(webhook_id=webhook_id, delivery_id=f"msg_{webhook_id[-3:]}_{n:03}")


def test_a_lease_takes_what_is_free_and_expired_leases_free_their_slots() -> None:
    # Given leases of 4 (live) and 5 (ended) on a cap of 10
    circuit = Circuit(
        *KEY, leases=(Lease("a", 4, NOW + timedelta(seconds=30)), Lease("b", 5, NOW - timedelta(seconds=1)))
    )
    # When a batch asks for 8, Then it gets the 6 left, and the ended lease is dropped
    leased, granted = lease_slots(circuit, POLICY, 8, "mine", NOW)
    assert granted == 6
    assert [(lease.lease_id, lease.count) for lease in leased.leases] == [("a", 4), ("mine", 6)]
    # And with nothing free it gets none, and nothing is to be written
    full, none = lease_slots(leased, POLICY, 1, "late", NOW)
    assert (none, full) == (0, leased)


def test_when_other_invocations_hold_every_slot_the_endpoints_messages_wait_and_the_others_go_on() -> None:
    # Given another invocation holding all ten slots of an endpoint not known to be fast
    world = World(another_batch_holds(10))
    # When a batch holds three of its messages and one for another endpoint
    outcomes = world.deliver(to(HOOK_ID, 1), to(HOOK_ID, 2), to(HOOK_ID, 3), to(OTHER_ID, 1))
    # Then its three are deferred a few seconds in the slow lane, not POSTed, and the other endpoint's is delivered
    assert outcomes == ["deferred", "deferred", "deferred", "succeeded"]
    assert world.posts_to(HOOK) == 0
    assert {delay for _, delay in world.slow_lane.sent} == {5}
    assert world.queue.sent == []


def test_a_batch_posts_only_as_many_as_the_free_slots_and_gives_its_lease_back_after() -> None:
    # Given another invocation holding 8 of the 10 slots
    world = World(another_batch_holds(8))
    # When a batch holds five of the endpoint's messages
    outcomes = world.deliver(*(to(HOOK_ID, n) for n in range(5)))
    # Then two are POSTed and three wait; afterwards only the other invocation's lease is left
    assert outcomes.count("succeeded") == 2
    assert outcomes.count("deferred") == 3
    assert [lease.lease_id for lease in world.circuits.circuits[KEY].leases] == ["elsewhere"]


def test_a_crashed_invocations_lease_frees_its_slots_when_it_ends() -> None:
    # Given all ten slots leased by an invocation whose lease ended a second ago
    world = World(another_batch_holds(10, until=timedelta(seconds=-1)))
    # When a batch holds three of the endpoint's messages, Then all three are POSTed
    assert world.deliver(*(to(HOOK_ID, n) for n in range(3))) == ["succeeded"] * 3


def test_an_endpoint_whose_attempts_were_quick_posts_without_leasing() -> None:
    # Given a new endpoint whose first batch was all quick answers
    world = World(InMemoryCircuits())
    world.deliver(to(HOOK_ID, 0))
    writes_after_first = len(world.circuits.writes)
    assert world.circuits.circuits[KEY].fast_until == NOW + timedelta(seconds=300)
    # When the next batch holds three of its messages
    outcomes = world.deliver(*(to(HOOK_ID, n) for n in range(1, 4)))
    # Then they are POSTed with no write to its circuit at all (no lease, nothing learned that changes it)
    assert outcomes == ["succeeded"] * 3
    assert len(world.circuits.writes) == writes_after_first


def test_a_post_still_running_after_a_slow_attempts_time_flags_its_endpoint_slow_before_it_ends() -> None:
    # Given a guard whose slow-attempt timers fire as each POST starts (the POST outlives the threshold)
    fired: list[float] = []

    def fires_at_once(seconds: float, action: Callable[[], None]) -> Callable[[], None]:
        fired.append(seconds)
        action()
        return lambda: None

    world = World(InMemoryCircuits(), start_timer=fires_at_once)
    # When a batch POSTs one message to the endpoint (it answers quickly afterwards)
    world.deliver(to(HOOK_ID, 1))
    # Then the timer was set at the slow threshold and the endpoint was flagged slow while in flight
    assert fired == [POLICY.slow_attempt_seconds]
    assert world.circuits.circuits[KEY].slow_until == NOW + timedelta(seconds=POLICY.slow_lane_seconds)
    # And the main lane moves its next messages to the slow lane
    assert world.deliver(to(HOOK_ID, 2)) == ["moved"]


def test_a_post_that_ends_before_the_threshold_cancels_its_timer_and_flags_nothing() -> None:
    cancelled: list[bool] = []

    def never_fires(seconds: float, action: Callable[[], None]) -> Callable[[], None]:
        return lambda: cancelled.append(True)

    world = World(InMemoryCircuits(), start_timer=never_fires)
    assert world.deliver(to(HOOK_ID, 1), to(HOOK_ID, 2)) == ["succeeded", "succeeded"]
    assert cancelled == [True, True]
    assert world.circuits.circuits[KEY].slow_until is None


class CountingReads(InMemoryCircuits):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def read_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Circuit]:
        self.reads += 1
        return super().read_many(keys)


def test_a_container_trusts_a_fast_endpoints_circuit_for_two_seconds_and_reads_anything_else_fresh() -> None:
    # Given an endpoint marked fast by its first batch
    circuits = CountingReads()
    world = World(circuits)
    world.deliver(to(HOOK_ID, 0))
    reads = circuits.reads
    # When another batch comes within two seconds, Then its circuit is not read again
    world.deliver(to(HOOK_ID, 1))
    assert circuits.reads == reads
    # And an endpoint it has not seen yet is read
    world.deliver(to(OTHER_ID, 1))
    assert circuits.reads == reads + 1


def test_a_batch_of_new_endpoints_leases_and_gives_back_their_slots_in_one_concurrent_round_each() -> None:
    # Given a guard whose concurrent map records each round of work it is handed
    rounds: list[list[object]] = []

    def recording_map[T, R](function: Callable[[T], R], items: Iterable[T], /) -> list[R]:
        handed = list(items)
        rounds.append(list(handed))
        return [function(item) for item in handed]

    webhooks = InMemoryWebhooks()
    for webhook_id, url in ((HOOK_ID, HOOK), (OTHER_ID, OTHER)):
        webhooks.add(a_webhook(webhook_id=webhook_id, url=url))
    queue, circuits = RecordingQueue(), InMemoryCircuits()
    guard = a_guard(queue, circuits, concurrent_map=recording_map)
    deliverer = a_deliverer(webhooks, SlowAndFastSender(), queue, guard)
    # When one batch holds a message for each of the two endpoints, neither known yet
    outcomes = deliverer.deliver_batch([to(HOOK_ID, 1), to(OTHER_ID, 1)])
    # Then both were sent, the two leases were written in one round, and the two results in another
    assert [outcome.outcome for outcome in outcomes if isinstance(outcome, DeliveryOutcome)] == ["succeeded"] * 2
    endpoint_rounds = [sorted(map(str, handed)) for handed in rounds]
    both = sorted(str(key) for key in (KEY, ("acme", OTHER_ID)))
    assert endpoint_rounds == [both, both]
    assert all(circuit.leases == () for circuit in circuits.circuits.values())
