"""One endpoint's circuit breaker: what opens it, the backed-off jittered period, the one probe."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.builders import NOW
from webhooks.delivery.circuit import (
    Admission,
    Circuit,
    CircuitPolicy,
    CircuitState,
    Decision,
    admit,
    after_results,
    is_unwell,
    lease_probe,
)
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind

POLICY = CircuitPolicy(failure_threshold=5, open_seconds=30, max_open_seconds=900, probe_lease_seconds=60)
CLOSED = Circuit(account_id="acme", webhook_id="wh_1")


def middle(low: float, high: float) -> float:
    return (low + high) / 2


def highest(low: float, high: float) -> float:
    return high


def opened(reopenings: int = 1, until: timedelta = timedelta(seconds=30)) -> Circuit:
    return Circuit(
        account_id="acme",
        webhook_id="wh_1",
        state=CircuitState.OPEN,
        consecutive_failures=5,
        reopenings=reopenings,
        open_until=NOW + until,
        opened_at=NOW - timedelta(minutes=5),
        version=7,
    )


@pytest.mark.parametrize(
    "result",
    [
        SendResult(error_kind=ErrorKind.TIMEOUT),
        SendResult(error_kind=ErrorKind.CONNECTION),
        SendResult(error_kind=ErrorKind.TLS),
        SendResult(http_status=500, error_kind=ErrorKind.HTTP_STATUS),
        SendResult(http_status=503, error_kind=ErrorKind.HTTP_STATUS),
        SendResult(http_status=429, error_kind=ErrorKind.HTTP_STATUS),
    ],
)
def test_timeouts_connection_errors_5xx_and_429_count_against_the_endpoint(result: SendResult) -> None:
    assert is_unwell(result)


@pytest.mark.parametrize(
    "result",
    [
        SendResult(http_status=200),
        SendResult(http_status=400, error_kind=ErrorKind.HTTP_STATUS),
        SendResult(http_status=410, error_kind=ErrorKind.HTTP_STATUS),
        SendResult(http_status=302, error_kind=ErrorKind.REDIRECT),
        SendResult(error_kind=ErrorKind.BLOCKED_ADDRESS),
        SendResult(error_kind=ErrorKind.DNS),
    ],
)
def test_an_answer_or_a_refused_address_does_not(result: SendResult) -> None:
    assert not is_unwell(result)


def test_failures_below_the_threshold_are_counted_and_leave_it_closed() -> None:
    # Given a closed circuit, When four failures in a row complete
    after = after_results(CLOSED, [True] * 4, POLICY, NOW, middle)

    # Then it is still closed, with the count kept (a real change, so a new version to write)
    assert (after.state, after.consecutive_failures, after.version) == (CircuitState.CLOSED, 4, 1)
    assert admit(after, POLICY, NOW) == Decision(Admission.SEND)


def test_the_threshold_opens_it_for_the_base_period() -> None:
    # Given four failures already counted, When a fifth completes
    after = after_results(after_results(CLOSED, [True] * 4, POLICY, NOW), [True], POLICY, NOW, middle)

    # Then it is open for the base period (the jitter's middle), and its messages wait until then
    assert after.state is CircuitState.OPEN
    assert after.open_until == NOW + timedelta(seconds=30)
    assert after.opened_at == NOW
    assert admit(after, POLICY, NOW + timedelta(seconds=29)) == Decision(Admission.WAIT, NOW + timedelta(seconds=30))


def test_a_success_clears_the_count() -> None:
    after = after_results(CLOSED, [True, True, True, True, False, True], POLICY, NOW, middle)

    assert (after.state, after.consecutive_failures) == (CircuitState.CLOSED, 1)


def test_quick_successes_mark_a_new_endpoint_fast_once_and_then_write_nothing() -> None:
    # Given an endpoint never written, When only quick successes complete, Then it is marked fast
    fast = after_results(CLOSED, [False, False], POLICY, NOW)
    assert (fast.fast_until, fast.version) == (NOW + timedelta(seconds=300), 1)
    # And more quick successes within half the period change nothing (no write)
    assert after_results(fast, [False], POLICY, NOW + timedelta(seconds=100)) is fast


def test_once_the_period_ends_one_probe_is_allowed_and_others_wait_for_its_lease() -> None:
    # Given a circuit whose open period has ended
    circuit = opened()
    later = NOW + timedelta(seconds=31)
    assert admit(circuit, POLICY, later) == Decision(Admission.PROBE)

    # When one delivery takes the probe lease
    leased = lease_probe(circuit, POLICY, later)

    # Then it is half-open, written at the next version, and every other message waits, looking again
    # soon (the probe may settle it in milliseconds) but never past the lease
    assert (leased.state, leased.version) == (CircuitState.HALF_OPEN, 8)
    assert admit(leased, POLICY, later) == Decision(Admission.WAIT, later + timedelta(seconds=5))
    assert admit(leased, POLICY, later + timedelta(seconds=58)) == Decision(
        Admission.WAIT, later + timedelta(seconds=60)
    )
    # ... and a lease nobody settled (a crashed invocation) is free again once it ends
    assert admit(leased, POLICY, later + timedelta(seconds=61)) == Decision(Admission.PROBE)


def test_a_successful_probe_closes_it_and_forgets_the_run_of_opens() -> None:
    leased = lease_probe(opened(reopenings=3), POLICY, NOW)

    after = after_results(leased, [False], POLICY, NOW)

    assert after == Circuit(
        account_id="acme", webhook_id="wh_1", fast_until=NOW + timedelta(seconds=300), version=leased.version + 1
    )


def test_a_failed_probe_reopens_it_for_twice_as_long_from_when_it_first_opened() -> None:
    leased = lease_probe(opened(reopenings=1), POLICY, NOW)

    after = after_results(leased, [True], POLICY, NOW, middle)

    assert after.state is CircuitState.OPEN
    assert after.open_until == NOW + timedelta(seconds=60)
    assert after.reopenings == 2
    assert after.opened_at == NOW - timedelta(minutes=5)
    assert after.probe_until is None


@pytest.mark.parametrize(("reopenings", "seconds"), [(0, 36), (1, 72), (3, 288), (5, 900), (12, 900)])
def test_the_open_period_doubles_up_to_the_ceiling_even_with_jitter(reopenings: int, seconds: int) -> None:
    assert POLICY.open_period(reopenings, highest) == timedelta(seconds=seconds)


def test_the_jitter_spreads_the_period_a_fifth_either_way() -> None:
    seen: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        seen.append((low, high))
        return low

    assert POLICY.open_period(1, record) == timedelta(seconds=48)
    assert seen == [(0.8, 1.2)]


def test_a_failure_that_completes_while_it_is_open_does_not_extend_the_period() -> None:
    # Given an open circuit, When a POST that started before it opened fails
    circuit = opened()
    after = after_results(circuit, [True], POLICY, NOW, highest)

    # Then it is counted, and the period stands
    assert (after.open_until, after.consecutive_failures) == (circuit.open_until, 6)
