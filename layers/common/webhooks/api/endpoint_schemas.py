"""What the webhook views show of its endpoint: its circuit breaker now, and its last day's deliveries."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from webhooks.api.bodies import Output
from webhooks.delivery.endpoint_health import EndpointHealth, EndpointState


class HourCounts(Output):
    hour: datetime
    succeeded: int
    failed: int


class EndpointView(Output):
    """The endpoint as deliver sees it now: its circuit breaker."""

    state: EndpointState = Field(
        description="`healthy`; `failing` (failures in a row, fewer than open the circuit); `slow_lane` (it answers "
        "slowly, so it is served by the slow lane until `slow_lane_until`); `rate_limited` (this second's POSTs "
        "under its `rate_limit_per_second` are taken; the rest wait); `circuit_open` (its messages wait, not "
        "POSTed, until `open_until`); `probing` (one attempt at a time decides whether it closes)."
    )
    consecutive_failures: int = Field(
        description="Attempts in a row that timed out, could not connect, or got 5xx/429."
    )
    open_until: datetime | None = Field(description="End of the circuit's current open period, if it opened.")
    down_since: datetime | None = Field(description="When its circuit first opened in this run of failures.")
    slow_lane_until: datetime | None = Field(
        description="While its attempts are slow: until when the slow lane serves it."
    )
    attempts_24h: int = Field(default=0, description="POSTs in the last 24 hours.")
    success_rate_24h: float | None = Field(
        default=None, description="Share of the last 24 hours' POSTs that succeeded (0 to 1); null with none."
    )
    last_success_at: datetime | None = Field(default=None, description="Its last successful POST (7 days back).")
    last_failure_at: datetime | None = Field(default=None, description="Its last failed POST (7 days back).")
    last_24h: list[HourCounts] = Field(
        default_factory=list, description="Each of the last 24 hours, oldest first: a sparkline's points."
    )

    @classmethod
    def of(cls, health: EndpointHealth) -> EndpointView:
        summary = health.summary
        return cls.from_fields(
            health,
            attempts_24h=summary.attempts_24h,
            success_rate_24h=summary.success_rate_24h,
            last_success_at=summary.last_success_at,
            last_failure_at=summary.last_failure_at,
            last_24h=[HourCounts(hour=h, succeeded=ok, failed=failed) for h, ok, failed in summary.last_24h],
        )
