"""What an admin is shown of an endpoint, from its circuit as deliver last wrote it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from tests.support.builders import NOW, a_webhook
from tests.support.fakes import InMemoryCircuits, InMemoryEndpointStats
from webhooks.delivery.circuit import Circuit, CircuitState
from webhooks.delivery.endpoint_health import EndpointHealth, EndpointState, EndpointStates, endpoint_health
from webhooks.delivery.endpoint_stats import EndpointSummaries, hour_of, tally
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind

DOWN_SINCE = NOW - timedelta(hours=2)


def a_circuit(**fields: object) -> Circuit:
    return Circuit(**({"account_id": "acme", "webhook_id": "wh_1"} | fields))  # type: ignore[arg-type]


def test_a_circuit_never_written_is_a_healthy_endpoint() -> None:
    assert endpoint_health(a_circuit(), NOW) == EndpointHealth(EndpointState.HEALTHY)


def test_failures_below_the_threshold_are_failing_with_their_count() -> None:
    assert endpoint_health(a_circuit(consecutive_failures=3, version=3), NOW) == EndpointHealth(
        EndpointState.FAILING, consecutive_failures=3
    )


def test_an_open_circuit_says_until_when_and_since_when_the_endpoint_is_down() -> None:
    # Given a circuit opened two hours ago, open for another minute
    circuit = a_circuit(
        state=CircuitState.OPEN,
        consecutive_failures=9,
        open_until=NOW + timedelta(minutes=1),
        opened_at=DOWN_SINCE,
        version=9,
    )
    # Then it is shown open, with both times
    assert endpoint_health(circuit, NOW) == EndpointHealth(
        EndpointState.CIRCUIT_OPEN, 9, NOW + timedelta(minutes=1), DOWN_SINCE
    )
    # And once the period is over, the next attempt is a probe
    assert endpoint_health(circuit, NOW + timedelta(minutes=2)).state is EndpointState.PROBING


def test_a_probe_in_flight_is_probing() -> None:
    circuit = a_circuit(state=CircuitState.HALF_OPEN, probe_until=NOW + timedelta(seconds=60), opened_at=DOWN_SINCE)
    assert endpoint_health(circuit, NOW).state is EndpointState.PROBING


@dataclass
class CountingCircuits(InMemoryCircuits):
    reads: list[list[tuple[str, str]]] = field(default_factory=list)

    def read_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Circuit]:
        wanted = list(keys)
        self.reads.append(wanted)
        return super().read_many(wanted)


def test_a_page_of_webhooks_is_read_in_one_call_and_none_for_an_empty_page() -> None:
    # Given two webhooks, one of whose endpoints is down
    circuits = CountingCircuits()
    circuits.circuits[("acme", "down")] = a_circuit(
        webhook_id="down", state=CircuitState.OPEN, open_until=NOW + timedelta(seconds=30), opened_at=NOW, version=5
    )
    counters = InMemoryEndpointStats()
    an_hour_ago = hour_of(NOW) - timedelta(hours=1)
    failed = SendResult(http_status=500, error_kind=ErrorKind.HTTP_STATUS, duration_ms=30)
    answered = SendResult(http_status=200, duration_ms=20)
    counters.add("acme", "down", an_hour_ago, tally([answered, failed, failed, failed], an_hour_ago))
    states = EndpointStates(circuits, EndpointSummaries(counters, clock=lambda: NOW), clock=lambda: NOW)
    # When their states are read
    health = states.of([a_webhook(webhook_id="up"), a_webhook(webhook_id="down")])
    # Then each has its own, from one read
    assert {webhook_id: h.state for webhook_id, h in health.items()} == {
        "up": EndpointState.HEALTHY,
        "down": EndpointState.CIRCUIT_OPEN,
    }
    assert len(circuits.reads) == 1
    # And each carries its last day: rate, counts, the hour in its sparkline's 24 points
    down = health["down"].summary
    assert (down.attempts_24h, down.success_rate_24h, down.last_success_at) == (4, 0.25, an_hour_ago)
    assert len(down.last_24h) == 24
    assert down.last_24h[-2] == (an_hour_ago, 1, 3)
    assert health["up"].summary.success_rate_24h is None
    # And an empty page reads nothing
    assert states.of([]) == {}
    assert len(circuits.reads) == 1


def test_a_webhook_whose_rate_this_second_is_used_up_is_rate_limited_for_that_second() -> None:
    # Given a webhook limited to 5 a second whose 5 of this second are taken
    this_second = NOW.replace(microsecond=0)
    circuit = a_circuit(rate_window=this_second, rate_used=5, version=4)
    # Then it is rate limited now, and healthy again the next second or with room left
    assert endpoint_health(circuit, NOW, rate_limit=5).state is EndpointState.RATE_LIMITED
    assert endpoint_health(circuit, this_second + timedelta(seconds=1), rate_limit=5).state is EndpointState.HEALTHY
    assert endpoint_health(circuit, NOW, rate_limit=6).state is EndpointState.HEALTHY
