"""A webhook's hourly delivery counters over a time range, for its chart (GET /webhooks/{id}/stats)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from webhooks.delivery.endpoint_stats import HOUR, HourlyStats, StatsStore, every_hour, hour_of
from webhooks.delivery_log.queries import WebhookLookup
from webhooks.domain.errors import InvalidInput, NotFound
from webhooks.domain.principal import Principal

DEFAULT_RANGE = timedelta(days=7)
# A month of hours (744 buckets) at most: the counters expire with the delivery log anyway.
MAX_RANGE = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class HourlyRange:
    since: datetime  # the first hour's start
    until: datetime  # the end of the last hour
    hours: list[HourlyStats]  # every hour in between, oldest first, zeros where nothing was sent


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "in": "query", "message": message}])


class WebhookStatistics:
    def __init__(
        self, webhooks: WebhookLookup, store: StatsStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._webhooks = webhooks
        self._store = store
        self._clock = clock

    def hourly(
        self, principal: Principal, webhook_id: str, since: datetime | None, until: datetime | None
    ) -> HourlyRange:
        """The hours from `since`'s (default: 7 days before `until`) up to `until`'s (default: now), whole
        hours in UTC; InvalidInput for a time without an offset, an empty or inverted range, or over 31 days."""
        for field, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise _invalid(field, "give a time zone offset (RFC 3339), e.g. 2026-12-01T00:00:00Z")
        end = hour_of(until if until is not None else self._clock()) + HOUR
        start = hour_of(since) if since is not None else end - DEFAULT_RANGE
        if start >= end:
            raise _invalid("until", "the time range ends before it starts")
        if end - start > MAX_RANGE:
            raise _invalid("since", f"the time range is longer than {MAX_RANGE.days} days")
        if self._webhooks.read(principal.account_id, webhook_id) is None:
            raise NotFound(f"webhook {webhook_id} not found")
        stored = self._store.hours(principal.account_id, webhook_id, start, end)
        return HourlyRange(start, end, every_hour(stored, start, end))
