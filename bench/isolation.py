"""One phase of the isolation scenario on a running local stack: a healthy account's write-to-receipt latency,
alone or beside a neighbour whose endpoint is dead or slow and who has a backlog queued first.

The neighbour's webhook is created and its backlog written, and the phase waits until emit has queued all of
it; only then does the healthy account write its records at a steady rate. Each of them is one signed POST
to a verifying receiver, whose arrival time against the write time is that event's latency. A phase gives
up a bounded time after the last write: an event not received by then counts with the latency it had
reached, so the p95 is a lower bound and the result says how many did not arrive.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Literal, Protocol

from bench.driver import (
    LICENSE_CREATED,
    LICENSE_STREAM_MAPPING,
    create_webhook,
    license_item,
    poller_counters,
    write_licenses,
)
from bench.neighbours import SLOW_ANSWER_SECONDS, DeadEndpoint, SlowEndpoint
from local.demo import delivery_log_statuses
from local.receiver import ReceivedDelivery, Receiver
from local.state import StackInfo

TokenFor = Callable[[str], str]  # account id -> an admin bearer token of that account
PERCENTILE = 0.95
NeighbourKind = Literal["dead", "slow"]


class NeighbourEndpoint(Protocol):
    def url(self, path: str) -> str: ...

    @property
    def arrivals(self) -> int: ...

    def __enter__(self) -> NeighbourEndpoint: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None: ...


@dataclass(frozen=True)
class Neighbour:
    """An unhealthy neighbour: how its endpoint fails, how many of its events are queued before the healthy
    account writes, and its webhook's settings beyond the defaults a customer gets (none in the benchmark)."""

    kind: NeighbourKind
    backlog: int
    answer_after_seconds: float = SLOW_ANSWER_SECONDS
    webhook_settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.kind} neighbour, backlog {self.backlog}"

    def endpoint(self) -> NeighbourEndpoint:
        return DeadEndpoint() if self.kind == "dead" else SlowEndpoint(self.answer_after_seconds)


@dataclass(frozen=True)
class Workload:
    """The healthy account's records (at most 100: one page of its delivery log), written one at a time at a
    steady rate."""

    records: int = 40
    per_second: float = 4.0


@dataclass(frozen=True)
class PhaseResult:
    label: str
    expected: int
    received: int  # distinct events of the healthy account received
    duplicated: int
    unverified: int
    logged_succeeded: int
    p95_ms: float
    timeout_seconds: float
    backlog: int = 0
    backlog_queued: int = 0
    neighbour_arrivals: int = 0  # POSTs (slow) or connections (dead) that reached the neighbour's endpoint

    @property
    def not_received(self) -> int:
        return self.expected - self.received

    @property
    def delivered_once_each(self) -> bool:
        """Every event received once, verified, and logged as succeeded."""
        return (
            self.not_received == 0
            and self.duplicated == 0
            and self.unverified == 0
            and self.logged_succeeded == self.expected
        )

    def describe(self) -> str:
        """What the healthy account got (and the neighbour, if any), after the phase's figures."""
        parts = [f"B received {self.received}/{self.expected}, logged {self.logged_succeeded} succeeded"]
        if self.not_received:
            parts[0] += f" ({self.not_received} not received within {self.timeout_seconds:g} s: p95 is a lower bound)"
        if self.duplicated or self.unverified:
            parts.append(f"{self.duplicated} duplicated, {self.unverified} unverified")
        if self.backlog:
            parts.append(
                f"neighbour: {self.backlog_queued}/{self.backlog} queued first, "
                f"{self.neighbour_arrivals} reached its endpoint"
            )
        return "; ".join(parts)


def percentile(values: Sequence[float], fraction: float = PERCENTILE) -> float:
    """The nearest-rank percentile: the smallest value that at least `fraction` of the values do not exceed."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarise(
    label: str,
    written_at: Mapping[str, float],
    deliveries: Sequence[ReceivedDelivery],
    *,
    gave_up_at: float,
    logged_succeeded: int,
    timeout_seconds: float,
) -> PhaseResult:
    """The phase's figures from the write times (by license id) and what the receiver got: the first receipt
    of each event is its latency, and an event not received counts until the phase gave up."""
    received_at: dict[str, float] = {}
    for delivery in sorted(deliveries, key=lambda delivery: delivery.received_at):
        received_at.setdefault(_license_id(delivery), delivery.received_at)
    latencies = [(received_at.get(item, gave_up_at) - written) * 1000 for item, written in written_at.items()]
    per_event = Counter(delivery.webhook_id for delivery in deliveries)
    return PhaseResult(
        label=label,
        expected=len(written_at),
        received=len(received_at.keys() & written_at.keys()),
        duplicated=sum(count - 1 for count in per_event.values()),
        unverified=sum(not delivery.verified for delivery in deliveries),
        logged_succeeded=logged_succeeded,
        p95_ms=percentile(latencies),
        timeout_seconds=timeout_seconds,
    )


def run_phase(
    info: StackInfo,
    token_for: TokenFor,
    neighbour: Neighbour | None,
    workload: Workload,
    *,
    timeout_seconds: float = 120.0,
    settle_seconds: float = 0.0,
) -> PhaseResult:
    """One phase on a running stack, with accounts of its own; `settle_seconds` after the last receipt lets
    a duplicate show up before the phase counts."""
    run = uuid.uuid4().hex[:8]
    healthy = f"healthy-{run}"
    with ExitStack() as endpoints:
        receiver = endpoints.enter_context(Receiver(path="/healthy"))
        body = {"name": "healthy", "url": receiver.endpoint, "events": [LICENSE_CREATED]}
        webhook = create_webhook(info, token_for(healthy), body)
        receiver.add_secret(webhook["secret"])
        endpoint: NeighbourEndpoint | None = None
        queued = 0
        if neighbour is not None:
            endpoint = endpoints.enter_context(neighbour.endpoint())
            queued = queue_backlog(
                info, token_for, neighbour, url=endpoint.url("/neighbour"), run=run, timeout_seconds=timeout_seconds
            )
        written_at = write_paced(info, healthy, workload)
        gave_up_at = max(written_at.values(), default=time.time()) + timeout_seconds
        while not _all_received(receiver.deliveries, written_at) and time.time() < gave_up_at:
            time.sleep(0.05)
        gave_up_at = min(gave_up_at, time.time())
        time.sleep(settle_seconds)
        received = len({_license_id(delivery) for delivery in receiver.deliveries} & written_at.keys())
        statuses = logged_statuses(info, token_for(healthy), webhook["webhook_id"], received, timeout_seconds)
        result = summarise(
            "alone" if neighbour is None else neighbour.label,
            written_at,
            receiver.deliveries,
            gave_up_at=gave_up_at,
            logged_succeeded=sum(status == "succeeded" for status in statuses.values()),
            timeout_seconds=timeout_seconds,
        )
        if neighbour is None or endpoint is None:
            return result
        return replace(result, backlog=neighbour.backlog, backlog_queued=queued, neighbour_arrivals=endpoint.arrivals)


def queue_backlog(
    info: StackInfo, token_for: TokenFor, neighbour: Neighbour, *, url: str, run: str, timeout_seconds: float
) -> int:
    """The neighbour's webhook and its backlog of writes; waits (bounded) until emit has queued every one of
    them, and returns how many it had."""
    account = f"{neighbour.kind}-{run}"
    body = {"name": neighbour.kind, "url": url, "events": [LICENSE_CREATED]} | dict(neighbour.webhook_settings)
    create_webhook(info, token_for(account), body)
    before = poller_counters(info, LICENSE_STREAM_MAPPING)["succeeded"]
    write_licenses(info, [license_item(f"lic-{account}-{index}", account) for index in range(neighbour.backlog)])
    deadline = time.monotonic() + timeout_seconds
    while (queued := poller_counters(info, LICENSE_STREAM_MAPPING)["succeeded"] - before) < neighbour.backlog:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return min(int(queued), neighbour.backlog)


def logged_statuses(
    info: StackInfo, token: str, webhook_id: str, expected: int, timeout_seconds: float
) -> dict[str, str]:
    """The delivery log's statuses (its first page: up to 100) once `expected` deliveries are logged and none
    is pending, or the timeout passes: a batch logs its results together once its last POST ends, which a
    neighbour's message in the same batch can hold up to that neighbour's timeout."""
    deadline = time.monotonic() + timeout_seconds
    statuses = delivery_log_statuses(info, token, webhook_id)
    while (len(statuses) < expected or "pending" in statuses.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
        statuses = delivery_log_statuses(info, token, webhook_id)
    return statuses


def write_paced(info: StackInfo, account: str, workload: Workload) -> dict[str, float]:
    """The healthy account's licenses, one put_item each at the workload's rate; the write time of each."""
    dynamodb = info.client("dynamodb")
    written_at: dict[str, float] = {}
    started = time.monotonic()
    for index in range(workload.records):
        time.sleep(max(0.0, started + index / workload.per_second - time.monotonic()))
        item_id = f"lic-{account}-{index}"
        written_at[item_id] = time.time()
        dynamodb.put_item(TableName=info.tables["licenses"], Item=license_item(item_id, account))
    return written_at


def _license_id(delivery: ReceivedDelivery) -> str:
    return str((delivery.payload or {}).get("payload", {}).get("id", ""))


def _all_received(deliveries: Sequence[ReceivedDelivery], written_at: Mapping[str, float]) -> bool:
    return written_at.keys() <= {_license_id(delivery) for delivery in deliveries}
