"""GET /webhooks/{id}/stats through the manage handler, on the counters deliver writes (moto)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.integration.conftest import MotoAws
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import OTHER_ADMIN, ManageApi
from webhooks.adapters.endpoint_stats import DynamoEndpointStats
from webhooks.delivery.endpoint_stats import hour_of, tally
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


def _counters(aws: MotoAws) -> DynamoEndpointStats:
    client = boto3.session.Session(region_name="us-east-1").client("dynamodb")
    return DynamoEndpointStats(client, aws.deployed.tables["EndpointStatsTable"], timedelta(days=30))


def test_the_stats_are_every_hour_of_the_range_with_outcomes_and_percentiles(api: ManageApi, aws: MotoAws) -> None:
    # Given a webhook whose deliveries two hours ago were 3 answered and 1 timeout
    webhook_id = api.create()["webhook_id"]
    two_hours_ago = hour_of(datetime.now(UTC)) - timedelta(hours=2)
    results = [SendResult(http_status=200, duration_ms=ms) for ms in (20, 30, 40)]
    results.append(SendResult(error_kind=ErrorKind.TIMEOUT, duration_ms=10_000))
    _counters(aws).add("acme", webhook_id, two_hours_ago, tally(results, two_hours_ago + timedelta(minutes=5)))
    # When its stats of the last day are read
    since = (two_hours_ago - timedelta(hours=21)).isoformat()
    answer = api("GET", f"/webhooks/{webhook_id}/stats", query={"since": since})
    # Then every hour up to now is there, zeros included, and that hour holds its counts
    assert answer.status == 200, answer.body
    hours = answer.body["hours"]
    assert len(hours) == 24
    (busy,) = [hour for hour in hours if hour["attempts"]]
    assert datetime.fromisoformat(busy["hour"]) == two_hours_ago
    assert (busy["succeeded"], busy["failed"], busy["failed_by_kind"]) == (3, 1, {"timeout": 1})
    assert 0 < busy["p50_ms"] <= 50
    assert busy["p95_ms"] >= 5000
    assert {hour["p50_ms"] for hour in hours if not hour["attempts"]} == {None}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, "until"),
        ({"since": "2026-10-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, "since"),
        ({"since": "2026-12-01T00:00:00"}, "since"),
        ({"until": "yesterday"}, "until"),
    ],
    ids=["inverted", "longer-than-31-days", "no-offset", "not-a-time"],
)
def test_a_bad_range_is_a_problem_naming_the_parameter(api: ManageApi, query: dict[str, str], field: str) -> None:
    webhook_id = api.create()["webhook_id"]
    answer = api("GET", f"/webhooks/{webhook_id}/stats", query=query)
    assert answer.status in (400, 422), answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert field in str(answer.body)


def test_another_accounts_webhook_has_no_stats(api: ManageApi) -> None:
    webhook_id = api.create()["webhook_id"]
    answer = api("GET", f"/webhooks/{webhook_id}/stats", caller=OTHER_ADMIN)
    assert answer.status == 404
    assert answer.problem_type == "not-found"


def test_the_list_and_get_views_carry_each_webhooks_last_day(api: ManageApi, aws: MotoAws) -> None:
    # Given two webhooks, the first with 1 success and 1 failure this hour, the second with nothing sent
    busy, idle = api.create()["webhook_id"], api.create(name="Idle")["webhook_id"]
    now = datetime.now(UTC)
    results = [SendResult(http_status=200, duration_ms=20), SendResult(error_kind=ErrorKind.CONNECTION)]
    _counters(aws).add("acme", busy, hour_of(now), tally(results, now))
    # When the list is read (one call for the whole page), and the first webhook alone
    listed = {item["webhook_id"]: item["endpoint"] for item in api("GET", "/webhooks").body["items"]}
    alone = api("GET", f"/webhooks/{busy}").body["endpoint"]
    # Then each carries its own summary and 24 sparkline points, the same in both views
    assert (listed[busy]["attempts_24h"], listed[busy]["success_rate_24h"]) == (2, 0.5)
    assert listed[busy]["last_success_at"] is not None
    assert listed[busy]["last_24h"][-1]["succeeded"] == 1
    assert listed[busy]["last_24h"][-1]["failed"] == 1
    assert (listed[idle]["attempts_24h"], listed[idle]["success_rate_24h"]) == (0, None)
    assert len(listed[idle]["last_24h"]) == 24
    assert alone == listed[busy]
