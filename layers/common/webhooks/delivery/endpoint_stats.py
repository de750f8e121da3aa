"""Hourly counters per webhook: the POSTs made, how they ended (by error kind) and how long they took
(a histogram, from which p50 and p95 are read), kept as long as the delivery log.

Deliver adds one batch's POSTs of a webhook to that webhook's current hour in one update (counters are
added, never read first), so concurrent invocations never lose a count and a batch costs one write per
webhook it POSTed to.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from webhooks.delivery.attempt import BatchAttempt, ConcurrentMap, in_turn
from webhooks.delivery.outbound import SendResult

logger = logging.getLogger(__name__)

# Upper bounds (ms) of the duration histogram's buckets; one more bucket holds what took longer.
DURATION_BOUNDS_MS: tuple[int, ...] = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)
HOUR = timedelta(hours=1)
WebhookKey = tuple[str, str]  # (account_id, webhook_id)


def hour_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class HourTally:
    """What one batch adds to one webhook's hour."""

    attempts: int = 0
    succeeded: int = 0
    failed_by_kind: dict[str, int] = field(default_factory=dict)
    durations: tuple[int, ...] = (0,) * (len(DURATION_BOUNDS_MS) + 1)  # POSTs per histogram bucket
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None


def tally(results: Sequence[SendResult], at: datetime) -> HourTally:
    """The counters one batch's POSTs to one webhook add, each failure under its error kind (the sender
    names an answer that was not 2xx `http_status`)."""
    failed = Counter(result.error_kind.value for result in results if not result.succeeded and result.error_kind)
    buckets = Counter(bisect_left(DURATION_BOUNDS_MS, result.duration_ms) for result in results)
    succeeded = sum(result.succeeded for result in results)
    return HourTally(
        attempts=len(results),
        succeeded=succeeded,
        failed_by_kind=dict(failed),
        durations=tuple(buckets.get(index, 0) for index in range(len(DURATION_BOUNDS_MS) + 1)),
        last_success_at=at if succeeded else None,
        last_failure_at=at if succeeded < len(results) else None,
    )


@dataclass(frozen=True, slots=True)
class HourlyStats:
    """One webhook's counters for one hour, as read back."""

    hour: datetime
    attempts: int = 0
    succeeded: int = 0
    failed_by_kind: dict[str, int] = field(default_factory=dict)
    durations: tuple[int, ...] = (0,) * (len(DURATION_BOUNDS_MS) + 1)
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None

    @property
    def failed(self) -> int:
        return self.attempts - self.succeeded

    def percentile_ms(self, fraction: float) -> int | None:
        """The duration below which `fraction` of the hour's POSTs completed, interpolated within its
        histogram bucket (the last bucket, open-ended, answers with its lower bound); None with no POST."""
        total = sum(self.durations)
        if total == 0:
            return None
        rank, seen = fraction * total, 0
        for index, count in enumerate(self.durations):
            if count and seen + count >= rank:
                lower = DURATION_BOUNDS_MS[index - 1] if index else 0
                if index == len(DURATION_BOUNDS_MS):
                    return lower
                return round(lower + (DURATION_BOUNDS_MS[index] - lower) * (rank - seen) / count)
            seen += count
        return DURATION_BOUNDS_MS[-1]


class StatsStore(Protocol):
    def add(self, account_id: str, webhook_id: str, hour: datetime, counts: HourTally) -> None:
        """Add the counts to the webhook's hour (creating it), in one update."""
        ...

    def hours(self, account_id: str, webhook_id: str, since: datetime, until: datetime) -> list[HourlyStats]:
        """The webhook's hours that overlap [since, until) and have counters, oldest first."""
        ...


class EndpointStatsRecorder:
    """Deliver's side: after a batch, each webhook's POSTs added to its hour (each webhook's update at once)."""

    def __init__(self, store: StatsStore, concurrent_map: ConcurrentMap = in_turn) -> None:
        self._store = store
        self._map = concurrent_map

    def record(self, attempts: Iterable[BatchAttempt], at: datetime) -> None:
        """A counter not written costs a chart's accuracy, never a delivery: failures are logged, not raised."""
        by_webhook: dict[WebhookKey, list[SendResult]] = {}
        for attempt in attempts:
            if attempt.sent is not None:
                key = (attempt.message.account_id, attempt.message.webhook_id)
                by_webhook.setdefault(key, []).append(attempt.sent)
        hour = hour_of(at)

        def add(item: tuple[WebhookKey, list[SendResult]]) -> None:
            (account_id, webhook_id), results = item
            try:
                self._store.add(account_id, webhook_id, hour, tally(results, at))
            except Exception:
                logger.exception("endpoint stats not written", extra={"webhook_id": webhook_id, "posts": len(results)})

        list(self._map(add, by_webhook.items()))


@dataclass(frozen=True, slots=True)
class HealthSummary:
    """A webhook's last day as its list and get views show it (all counted from the hourly counters)."""

    attempts_24h: int = 0
    succeeded_24h: int = 0
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    # The last 24 hours, oldest first, each (hour, succeeded, failed): the list's sparkline.
    last_24h: tuple[tuple[datetime, int, int], ...] = ()

    @property
    def success_rate_24h(self) -> float | None:
        return round(self.succeeded_24h / self.attempts_24h, 4) if self.attempts_24h else None


# How far back a summary looks for the last success and the last failure (and what one read covers).
SUMMARY_LOOKBACK = timedelta(days=7)


def summarize(hours: Sequence[HourlyStats], now: datetime) -> HealthSummary:
    """The summary of one webhook's hours read over `SUMMARY_LOOKBACK` up to `now`."""
    next_hour = hour_of(now) + HOUR
    recent = every_hour(hours, next_hour - 24 * HOUR, next_hour)
    return HealthSummary(
        attempts_24h=sum(stats.attempts for stats in recent),
        succeeded_24h=sum(stats.succeeded for stats in recent),
        last_success_at=max((s.last_success_at for s in hours if s.last_success_at), default=None),
        last_failure_at=max((s.last_failure_at for s in hours if s.last_failure_at), default=None),
        last_24h=tuple((stats.hour, stats.succeeded, stats.failed) for stats in recent),
    )


def every_hour(hours: Sequence[HourlyStats], since: datetime, until: datetime) -> list[HourlyStats]:
    """Each hour from `since` up to (not including) `until`, those without counters as zeros: a chart's x axis."""
    by_hour = {stats.hour: stats for stats in hours}
    first, count = hour_of(since), 0
    filled: list[HourlyStats] = []
    while (hour := first + HOUR * count) < until:
        filled.append(by_hour.get(hour, HourlyStats(hour)))
        count += 1
    return filled


class EndpointSummaries:
    """The manage side: each webhook's summary, one read per webhook, all of a page's at once."""

    def __init__(
        self,
        store: StatsStore,
        concurrent_map: ConcurrentMap = in_turn,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._map = concurrent_map
        self._clock = clock

    def of(self, keys: Sequence[WebhookKey]) -> dict[WebhookKey, HealthSummary]:
        now = self._clock()
        since, until = hour_of(now - SUMMARY_LOOKBACK), hour_of(now) + HOUR
        read = self._map(lambda key: self._store.hours(key[0], key[1], since, until), keys)
        return {key: summarize(hours, now) for key, hours in zip(keys, read, strict=True)}
