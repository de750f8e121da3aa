"""One endpoint's circuit breaker: closed, open until a time, or half-open with one probe in flight.

- Consecutive failures that say the endpoint is unwell (timeouts, connection and TLS errors, 5xx, 429)
  open it once they reach the threshold; any answer that shows it is up (2xx, or a 4xx other than
  429) closes it and clears the count.
- The open period doubles with each reopening in a row, up to a ceiling, with jitter so endpoints
  that failed together do not all come back at the same instant.
- When the period ends, one delivery at a time holds the probe lease; its result closes or reopens
  the circuit. Every other message of the endpoint waits, deferred, not attempted.

The same item flags an endpoint whose attempts are slow (they take `slow_attempt_seconds` or more, or
time out): until `slow_until` its messages are served by the slow lane, a queue of their own with a
small concurrency, so they cannot occupy the workers every other endpoint needs.

An endpoint not yet known to answer quickly may have at most `max_in_flight` POSTs in flight across
every invocation: a batch leases slots on the item before it POSTs, and gives them back when it
learns its results. What finds no free slot waits (deferred), so one endpoint that holds its POSTs
cannot take every invocation of the main lane; an endpoint whose attempts are all quick is marked
fast for `slow_lane_seconds` and POSTs without leasing (no write per batch).

The state is shared by every deliver invocation, so each change is written with the `version` it was
read at (a conditional update): the first writer wins and the others read again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind

_UNWELL_ERRORS = frozenset({ErrorKind.TIMEOUT, ErrorKind.CONNECTION, ErrorKind.TLS})
_UNWELL_STATUSES = frozenset({429}) | frozenset(range(500, 600))
# Each open period is the backed-off period times a factor drawn from this range.
_JITTER = (0.8, 1.2)


class CircuitState(StrEnum):
    CLOSED = "closed"  # POSTed as usual
    OPEN = "open"  # not POSTed until `open_until`
    HALF_OPEN = "half_open"  # one probe in flight decides


@dataclass(frozen=True, slots=True)
class CircuitPolicy:
    """The deployment's thresholds (template parameters)."""

    failure_threshold: int = 5
    open_seconds: int = 30
    max_open_seconds: int = 900
    # How long a probe may hold the lease: the longest POST (connect + read timeouts) and some margin.
    probe_lease_seconds: int = 60
    # While a probe is in flight the endpoint's other messages look again this soon, not at the lease's end.
    probe_recheck_seconds: int = 5
    # An attempt this long (or a timeout) flags its endpoint slow, for `slow_lane_seconds` after it.
    slow_attempt_seconds: float = 5.0
    slow_lane_seconds: int = 300
    # POSTs of one endpoint not known to be fast, in flight at once across invocations; a lease outlives
    # the longest attempt, so an invocation that dies frees its slots when its lease ends.
    max_in_flight: int = 10
    in_flight_lease_seconds: int = 60

    def open_period(self, reopenings: int, uniform: Callable[[float, float], float]) -> timedelta:
        backed_off = min(self.max_open_seconds, self.open_seconds * 2**reopenings)
        return timedelta(seconds=min(self.max_open_seconds, backed_off * uniform(*_JITTER)))


@dataclass(frozen=True, slots=True)
class Lease:
    """Slots one batch holds for its POSTs to the endpoint."""

    lease_id: str  # the batch's own
    count: int  # slots held
    until: datetime  # when they are free again, given back or not


@dataclass(frozen=True, slots=True)
class Circuit:
    """One endpoint's breaker as stored; `version` 0 is a circuit never written (closed)."""

    account_id: str
    webhook_id: str
    state: CircuitState = CircuitState.CLOSED
    consecutive_failures: int = 0
    reopenings: int = 0  # opens in a row without a success between them: the backoff's exponent
    open_until: datetime | None = None
    opened_at: datetime | None = None  # when this run of opens began: how long the endpoint has been down
    probe_until: datetime | None = None
    slow_until: datetime | None = None  # served by the slow lane until then
    fast_until: datetime | None = None  # its attempts were all quick: it POSTs without leasing until then
    leases: tuple[Lease, ...] = ()
    rate_window: datetime | None = None  # the second whose POSTs `rate_used` counts (a rate-limited webhook)
    rate_used: int = 0
    version: int = 0


class Admission(StrEnum):
    SEND = "send"  # closed: POST as usual
    SLOW_LANE = "slow_lane"  # closed but slow: POSTed from the slow lane, not from this one
    PROBE = "probe"  # the one POST that decides whether it closes (the caller must win the lease first)
    WAIT = "wait"  # open, or another probe is in flight: defer until `Decision.until`


@dataclass(frozen=True, slots=True)
class Decision:
    admission: Admission
    until: datetime | None = None


def is_slow(result: SendResult, policy: CircuitPolicy) -> bool:
    return result.error_kind is ErrorKind.TIMEOUT or result.duration_ms >= policy.slow_attempt_seconds * 1000


def is_unwell(result: SendResult) -> bool:
    """A result that counts against the endpoint. A refused address, a redirect or a 4xx is the
    endpoint (or its URL) answering, not the endpoint being down."""
    if result.error_kind is ErrorKind.HTTP_STATUS:
        return result.http_status in _UNWELL_STATUSES
    return result.error_kind in _UNWELL_ERRORS


def admit(circuit: Circuit, policy: CircuitPolicy, now: datetime, *, in_slow_lane: bool = False) -> Decision:
    """What a message of this endpoint may do now, in the lane that received it."""
    if circuit.state is CircuitState.CLOSED:
        slow = circuit.slow_until is not None and now < circuit.slow_until
        return Decision(Admission.SLOW_LANE if slow and not in_slow_lane else Admission.SEND)
    if circuit.state is CircuitState.OPEN and circuit.open_until is not None and now < circuit.open_until:
        return Decision(Admission.WAIT, circuit.open_until)
    if circuit.state is CircuitState.HALF_OPEN and circuit.probe_until is not None and now < circuit.probe_until:
        return Decision(Admission.WAIT, min(circuit.probe_until, now + timedelta(seconds=policy.probe_recheck_seconds)))
    return Decision(Admission.PROBE)


def lease_probe(circuit: Circuit, policy: CircuitPolicy, now: datetime) -> Circuit:
    """The state written to hold the probe: half-open until the lease ends (an abandoned probe, say a
    crashed invocation, frees the lease when it expires)."""
    return replace(
        circuit,
        state=CircuitState.HALF_OPEN,
        probe_until=now + timedelta(seconds=policy.probe_lease_seconds),
        version=circuit.version + 1,
    )


def after_results(
    circuit: Circuit,
    unwell: list[bool],
    policy: CircuitPolicy,
    now: datetime,
    uniform: Callable[[float, float], float] = random.uniform,
    *,
    slow: bool = False,
    released: str | None = None,
) -> Circuit:
    """The state after this endpoint's results of one batch, in the order they completed (`slow`: one of
    them was slow). Returns the circuit itself when nothing changes, so the caller writes only real changes."""
    state = circuit
    for failed in unwell:
        state = _after_failure(state, policy, now, uniform) if failed else _after_success(state)
    # Extended only once half the period has passed, so a steady endpoint costs a write every few minutes.
    period = timedelta(seconds=policy.slow_lane_seconds)
    if slow and (state.slow_until is None or state.slow_until < now + period / 2):
        state = replace(state, slow_until=now + period)
    quick = bool(unwell) and not slow and not any(unwell)
    if quick and (state.fast_until is None or state.fast_until < now + period / 2):
        state = replace(state, fast_until=now + period)
    if unwell and not quick and state.fast_until is not None:
        state = replace(state, fast_until=None)
    if released is not None or any(lease.until <= now for lease in state.leases):
        state = replace(state, leases=_live(state.leases, now, without=released))
    return state if state == circuit else replace(state, version=circuit.version + 1)


def needs_lease(circuit: Circuit, now: datetime, *, in_slow_lane: bool) -> bool:
    """Whether a batch must lease slots before POSTing to this (closed) endpoint: yes unless it is
    known to be fast, or the batch is the slow lane's (which bounds its endpoints by its own size)."""
    return not in_slow_lane and (circuit.fast_until is None or circuit.fast_until <= now)


def is_fast_and_free(circuit: Circuit, now: datetime) -> bool:
    """Closed, known to be fast, not slow, no slot leased: nothing a fresh read could make it hold back."""
    fast = circuit.fast_until is not None and now < circuit.fast_until
    slow = circuit.slow_until is not None and now < circuit.slow_until
    leased = any(lease.until > now for lease in circuit.leases)
    return circuit.state is CircuitState.CLOSED and fast and not slow and not leased


def lease_slots(
    circuit: Circuit, policy: CircuitPolicy, wanted: int, lease_id: str, now: datetime
) -> tuple[Circuit, int]:
    """The circuit with a lease of up to `wanted` free slots for this batch, and how many it got (0: the
    circuit itself, unchanged: nothing to write). The caller raises the version once for all it changed."""
    live = _live(circuit.leases, now)
    granted = min(wanted, max(0, policy.max_in_flight - sum(lease.count for lease in live)))
    if granted == 0:
        return circuit, 0
    lease = Lease(lease_id, granted, now + timedelta(seconds=policy.in_flight_lease_seconds))
    return replace(circuit, leases=(*live, lease)), granted


def rate_window(now: datetime) -> datetime:
    """The second a rate limit counts `now` in (fixed one-second windows)."""
    return now.replace(microsecond=0)


def rate_used_now(circuit: Circuit, now: datetime) -> int:
    """The POSTs already counted in the current second."""
    return circuit.rate_used if circuit.rate_window == rate_window(now) else 0


def take_tokens(circuit: Circuit, limit: int, wanted: int, now: datetime) -> tuple[Circuit, int]:
    """Up to `wanted` of the current second's `limit` POSTs (counted on the item, so every invocation
    shares it), and the circuit that counts them (itself when none is left)."""
    window = rate_window(now)
    used = rate_used_now(circuit, now)
    granted = min(wanted, max(0, limit - used))
    if granted == 0:
        return circuit, 0
    return replace(circuit, rate_window=window, rate_used=used + granted), granted


def _live(leases: tuple[Lease, ...], now: datetime, without: str | None = None) -> tuple[Lease, ...]:
    return tuple(lease for lease in leases if lease.until > now and lease.lease_id != without)


# A success forgets the run of failures and opens; what it says of speed and the slots leased stay.
_CLOSED_AFRESH: dict[str, Any] = {
    "state": CircuitState.CLOSED,
    "consecutive_failures": 0,
    "reopenings": 0,
    "open_until": None,
    "opened_at": None,
    "probe_until": None,
}


def _after_success(circuit: Circuit) -> Circuit:
    if circuit.state is CircuitState.CLOSED and circuit.consecutive_failures == 0:
        return circuit
    return replace(circuit, **_CLOSED_AFRESH)


def _after_failure(
    circuit: Circuit, policy: CircuitPolicy, now: datetime, uniform: Callable[[float, float], float]
) -> Circuit:
    failures = circuit.consecutive_failures + 1
    probe_failed = circuit.state is CircuitState.HALF_OPEN
    if circuit.state is CircuitState.OPEN or (not probe_failed and failures < policy.failure_threshold):
        # Already open (a POST that started before it opened): counted, the period stands.
        return replace(circuit, consecutive_failures=failures)
    return replace(
        circuit,
        state=CircuitState.OPEN,
        consecutive_failures=failures,
        reopenings=circuit.reopenings + 1,
        open_until=now + policy.open_period(circuit.reopenings, uniform),
        opened_at=circuit.opened_at or now,
        probe_until=None,
    )
