"""What an admin is shown of a webhook's endpoint: its circuit breaker as deliver last wrote it (read in
one batch for a page of webhooks) and its last day's deliveries from the hourly counters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from webhooks.delivery.circuit import Circuit, CircuitState, rate_used_now
from webhooks.delivery.endpoint_stats import EndpointSummaries, HealthSummary
from webhooks.domain.webhook import Webhook


class EndpointState(StrEnum):
    HEALTHY = "healthy"  # its last attempt was answered
    FAILING = "failing"  # failures in a row, fewer than open the circuit
    SLOW_LANE = "slow_lane"  # answering, slowly: served by the slow lane until `slow_lane_until`
    RATE_LIMITED = "rate_limited"  # this second's POSTs under its rate limit are taken: the rest wait
    CIRCUIT_OPEN = "circuit_open"  # not POSTed until `open_until`; its messages wait
    PROBING = "probing"  # the open period is over: one attempt at a time decides whether it closes


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    state: EndpointState = EndpointState.HEALTHY
    consecutive_failures: int = 0
    open_until: datetime | None = None
    down_since: datetime | None = None
    slow_lane_until: datetime | None = None
    summary: HealthSummary = field(default_factory=HealthSummary)


def endpoint_health(circuit: Circuit, now: datetime, rate_limit: int | None = None) -> EndpointHealth:
    slow_until = circuit.slow_until if circuit.slow_until is not None and now < circuit.slow_until else None
    if circuit.state is CircuitState.CLOSED:
        if circuit.consecutive_failures:
            state = EndpointState.FAILING
        elif slow_until:
            state = EndpointState.SLOW_LANE
        elif rate_limit is not None and rate_used_now(circuit, now) >= rate_limit:
            state = EndpointState.RATE_LIMITED
        else:
            state = EndpointState.HEALTHY
        return EndpointHealth(state, circuit.consecutive_failures, slow_lane_until=slow_until)
    still_open = circuit.state is CircuitState.OPEN and circuit.open_until is not None and now < circuit.open_until
    return EndpointHealth(
        EndpointState.CIRCUIT_OPEN if still_open else EndpointState.PROBING,
        circuit.consecutive_failures,
        circuit.open_until,
        circuit.opened_at,
        slow_until,
    )


class CircuitReader(Protocol):
    def read_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Circuit]: ...


class EndpointStates:
    def __init__(
        self,
        circuits: CircuitReader,
        summaries: EndpointSummaries,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._circuits = circuits
        self._summaries = summaries
        self._clock = clock

    def of(self, webhooks: Sequence[Webhook]) -> dict[str, EndpointHealth]:
        """Each webhook's endpoint health by webhook id: one read of the circuits for all of them, and each
        one's counters read at once (none for none)."""
        if not webhooks:
            return {}
        keys = [(webhook.account_id, webhook.webhook_id) for webhook in webhooks]
        circuits = self._circuits.read_many(keys)
        summaries = self._summaries.of(keys)
        now = self._clock()
        limits = {webhook.webhook_id: webhook.rate_limit_per_second for webhook in webhooks}
        return {
            key[1]: replace(endpoint_health(circuit, now, limits.get(key[1])), summary=summaries[key])
            for key, circuit in circuits.items()
        }
