"""GET /webhooks/{id}/stats: a webhook's hourly delivery counters, for its chart."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from webhooks.api.bodies import Output
from webhooks.api.webhook_routes import Caller, responses
from webhooks.delivery.endpoint_stats import HourlyStats
from webhooks.delivery_log.statistics import HourlyRange, WebhookStatistics

router = Router()  # type: ignore[no-untyped-call]


def statistics() -> WebhookStatistics:
    """Provided by the function's composition root: `app.dependency_overrides[statistics] = ...`."""
    raise NotImplementedError("functions/manage/app.py provides the WebhookStatistics")


Statistics = Annotated[WebhookStatistics, Depends(statistics)]


class HourView(Output):
    hour: datetime = Field(description="The hour's start (UTC).")
    attempts: int = Field(description="POSTs made in the hour.")
    succeeded: int
    failed: int
    failed_by_kind: dict[str, int] = Field(description="Failed POSTs by error kind (`http_status`: not 2xx).")
    p50_ms: int | None = Field(description="Median duration, from a histogram; null with no POST.")
    p95_ms: int | None = Field(description="95th percentile duration, from a histogram; null with no POST.")

    @classmethod
    def of(cls, stats: HourlyStats) -> HourView:
        return cls.from_fields(stats, p50_ms=stats.percentile_ms(0.5), p95_ms=stats.percentile_ms(0.95))


class StatsView(Output):
    webhook_id: str
    since: datetime = Field(description="The first hour's start.")
    until: datetime = Field(description="The last hour's end.")
    hours: list[HourView] = Field(description="Every hour of the range, oldest first; zeros where none was sent.")

    @classmethod
    def of(cls, webhook_id: str, stats: HourlyRange) -> StatsView:
        return cls(
            webhook_id=webhook_id, since=stats.since, until=stats.until, hours=[HourView.of(h) for h in stats.hours]
        )


@router.get(
    "/webhooks/<webhook_id>/stats",
    tags=["webhooks"],
    responses=responses(HTTPStatus.OK, StatsView, 400, 404),
    summary="The webhook's deliveries per hour: attempts, outcomes, p50/p95 duration",
)
def webhook_stats(
    webhook_id: str,
    caller: Caller,
    service: Statistics,
    *,
    since: Annotated[datetime | None, Query(description="From this time's hour (RFC 3339); default: 7 days.")] = None,
    until: Annotated[datetime | None, Query(description="To the end of this time's hour; default: now.")] = None,
) -> StatsView:
    return StatsView.of(webhook_id, service.hourly(caller, webhook_id, since, until))
