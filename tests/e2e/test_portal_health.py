"""The webhook page's health on the local stack: its badge, its last day, and the 7-day chart of a webhook
whose endpoint failed and recovered."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack
from tests.support.local_stack import wait_for
from tests.support.portal import Portal, registered, webhook_state
from tests.support.receivers import Receiver
from webhooks.adapters.endpoint_stats import DynamoEndpointStats
from webhooks.delivery.endpoint_stats import HOUR, hour_of, tally
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind

pytestmark = pytest.mark.e2e
OUTAGE = range(46, 52)  # hours ago: the endpoint timed out or answered 503


def _earlier_days(stack: RunningStack, account: str, webhook_id: str) -> None:
    """The six days before this hour as deliver counts them (one update per hour, through its own adapter):
    a daily rhythm of successes, and a six-hour outage two days ago."""
    store = DynamoEndpointStats(stack.info.client("dynamodb"), stack.info.tables["endpoint_stats"], timedelta(days=7))
    this_hour = hour_of(datetime.now(UTC))
    for back in range(1, 7 * 24):
        at = this_hour - back * HOUR
        if back in OUTAGE:
            results = [SendResult(error_kind=ErrorKind.TIMEOUT, duration_ms=10_000)] * 9
            results += [SendResult(http_status=503, error_kind=ErrorKind.HTTP_STATUS, duration_ms=40)] * 6
        else:
            busy = round(18 + 12 * math.sin(at.hour / 24 * 2 * math.pi))
            results = [SendResult(http_status=200, duration_ms=60 + 30 * (n % 7)) for n in range(busy)]
        store.add(account, webhook_id, at, tally(results, at + timedelta(minutes=30)))


def _send(stack: RunningStack, account: str, count: int) -> None:
    for n in range(count):
        item = {"id": {"S": f"lic-{account}-{n}-{datetime.now(UTC).timestamp()}"}}
        item |= {"account_id": {"S": account}, "environment": {"S": "development"}}
        stack.info.client("dynamodb").put_item(TableName=stack.info.tables["licenses"], Item=item)


def _attempts_24h(stack: RunningStack, account: str, webhook: dict[str, Any]) -> int:
    return int(webhook_state(stack, account, webhook["webhook_id"])["endpoint"]["attempts_24h"])


def test_the_webhook_page_charts_a_week_in_which_its_endpoint_failed_and_recovered(
    portal: Portal, receiver: Receiver, local_stack: RunningStack, account: str
):
    # Given a webhook with six days of counters behind it, an outage among them
    webhook = registered(local_stack, account, receiver.url(f"/server-error?hook={account}"), name="Warehouse sync")
    _earlier_days(local_stack, account, webhook["webhook_id"])
    before = _attempts_24h(local_stack, account, webhook)
    # And, this hour, two events its endpoint answered with 503, then two after it was fixed
    _send(local_stack, account, 2)
    assert wait_for(
        lambda: _attempts_24h(local_stack, account, webhook) == before + 2, timeout_seconds=DELIVERY_SECONDS
    )
    fixed = {"url": receiver.url(f"/ok?hook={account}")}
    local_stack.request("PATCH", f"/webhooks/{webhook['webhook_id']}", token=local_stack.token(account), body=fixed)
    _send(local_stack, account, 2)
    assert wait_for(
        lambda: _attempts_24h(local_stack, account, webhook) == before + 4, timeout_seconds=DELIVERY_SECONDS
    )

    # When the admin opens its page
    portal.open(f"#/webhooks/{webhook['webhook_id']}/deliveries")
    chart = portal.page.get_by_test_id("health-chart")
    chart.wait_for()

    # Then it is healthy, over a day of mostly successes
    expect(portal.page.get_by_test_id("health")).to_have_text("healthy")
    expect(portal.page.locator(".health-panel")).to_contain_text("last failure")
    # And the chart draws each hour the API counts: red where POSTs failed (the outage, and this hour's
    # 503s), green where they succeeded, with a p95 line
    _, _, stats = local_stack.request(
        "GET", f"/webhooks/{webhook['webhook_id']}/stats", token=local_stack.token(account)
    )
    hours = stats["hours"]
    bars = chart.locator("g.hour")
    expect(bars).to_have_count(len(hours))
    failed = [index for index, hour in enumerate(hours) if hour["failed"]]
    assert len(failed) == len(OUTAGE) + 1
    drawn_failed = bars.evaluate_all(
        "(bars) => bars.flatMap((bar, index) => bar.querySelector('.failed') ? [index] : [])"
    )
    assert drawn_failed == failed
    last = bars.nth(len(hours) - 1)
    expect(last.locator("rect.succeeded")).to_have_count(1)
    expect(last.locator("rect.failed")).to_have_count(1)
    assert chart.locator("path.p95").get_attribute("d")
    portal.screenshot("health")
