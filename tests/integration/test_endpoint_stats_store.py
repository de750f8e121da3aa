"""The hourly counters' store: the in-memory fake the unit tests use and DynamoEndpointStats on the
template's table (moto) held to the same scenarios, and what only the table keeps (each item's expiry)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import NOW
from tests.support.fakes import InMemoryEndpointStats
from webhooks.adapters.endpoint_stats import DynamoEndpointStats
from webhooks.delivery.endpoint_stats import HOUR, HourlyStats, hour_of, tally
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind

FLAVOURS = ["in-memory fake", "adapter on moto"]
RETENTION = timedelta(days=30)
THIS_HOUR = hour_of(NOW)
ANSWERED = SendResult(http_status=200, duration_ms=12)
SLOW = SendResult(http_status=201, duration_ms=700)
REFUSED = SendResult(http_status=503, error_kind=ErrorKind.HTTP_STATUS, duration_ms=40)
TIMED_OUT = SendResult(error_kind=ErrorKind.TIMEOUT, duration_ms=10_000)
WEBHOOK = "wh_1"


def _adapter(aws: MotoAws) -> DynamoEndpointStats:
    return DynamoEndpointStats(aws.session.client("dynamodb"), aws.deployed.tables["EndpointStatsTable"], RETENTION)


@pytest.fixture(params=FLAVOURS)
def store(request: pytest.FixtureRequest) -> InMemoryEndpointStats | DynamoEndpointStats:
    if request.param == "in-memory fake":
        return InMemoryEndpointStats()
    return _adapter(request.getfixturevalue("aws"))


def _one_post(store: InMemoryEndpointStats | DynamoEndpointStats, hour: datetime) -> None:
    """One answered POST to acme's WEBHOOK in that hour."""
    store.add("acme", WEBHOOK, hour, tally([ANSWERED], hour + timedelta(minutes=1)))


def test_two_adds_to_the_same_hour_add_up(store: InMemoryEndpointStats | DynamoEndpointStats) -> None:
    # Given a batch with a success and a 503, then another with a slow success, a 503 and a timeout
    first_at, second_at = THIS_HOUR + timedelta(minutes=5), THIS_HOUR + timedelta(minutes=20)
    store.add("acme", WEBHOOK, THIS_HOUR, tally([ANSWERED, REFUSED], first_at))
    store.add("acme", WEBHOOK, THIS_HOUR, tally([SLOW, REFUSED, TIMED_OUT], second_at))
    # When the hour is read back
    (stats,) = store.hours("acme", WEBHOOK, THIS_HOUR, THIS_HOUR + HOUR)
    # Then its counters are both batches' sums, bucket by bucket and kind by kind
    first, second = tally([ANSWERED, REFUSED], first_at), tally([SLOW, REFUSED, TIMED_OUT], second_at)
    assert (stats.hour, stats.attempts, stats.succeeded, stats.failed) == (THIS_HOUR, 5, 2, 3)
    assert stats.failed_by_kind == {"http_status": 2, "timeout": 1}
    assert stats.durations == tuple(a + b for a, b in zip(first.durations, second.durations, strict=True))
    assert sum(stats.durations) == 5
    # And the last success and failure are the latest batch's
    assert (stats.last_success_at, stats.last_failure_at) == (second_at, second_at)


def test_a_batch_without_a_success_or_a_failure_keeps_the_earlier_time(
    store: InMemoryEndpointStats | DynamoEndpointStats,
) -> None:
    # Given a batch that failed, then one that only succeeded, then one that only failed
    failed_at = THIS_HOUR + timedelta(minutes=1)
    succeeded_at, failed_again_at = failed_at + timedelta(minutes=10), failed_at + timedelta(minutes=20)
    store.add("acme", WEBHOOK, THIS_HOUR, tally([REFUSED], failed_at))
    store.add("acme", WEBHOOK, THIS_HOUR, tally([ANSWERED], succeeded_at))
    # When the hour is read after the second and after the third
    (after_success,) = store.hours("acme", WEBHOOK, THIS_HOUR, THIS_HOUR + HOUR)
    store.add("acme", WEBHOOK, THIS_HOUR, tally([TIMED_OUT], failed_again_at))
    (after_failure,) = store.hours("acme", WEBHOOK, THIS_HOUR, THIS_HOUR + HOUR)
    # Then a batch that had none leaves the time as written before, and one that had one replaces it
    assert (after_success.last_success_at, after_success.last_failure_at) == (succeeded_at, failed_at)
    assert (after_failure.last_success_at, after_failure.last_failure_at) == (succeeded_at, failed_again_at)


def test_hours_are_only_those_of_the_range_oldest_first(store: InMemoryEndpointStats | DynamoEndpointStats) -> None:
    # Given a webhook with counts in each of six hours, written newest first
    first = THIS_HOUR - 5 * HOUR
    for back in range(6):
        _one_post(store, THIS_HOUR - back * HOUR)
    # When the hours from the second one up to (not including) the last one are read
    hours = store.hours("acme", WEBHOOK, first + HOUR, THIS_HOUR)
    # Then those four are returned, oldest first
    assert [stats.hour for stats in hours] == [first + HOUR * index for index in range(1, 5)]
    assert {stats.attempts for stats in hours} == {1}


def test_a_range_that_starts_or_ends_within_an_hour_includes_that_hour(
    store: InMemoryEndpointStats | DynamoEndpointStats,
) -> None:
    # Given counts in two hours in a row
    _one_post(store, THIS_HOUR - HOUR)
    _one_post(store, THIS_HOUR)
    # When the range read starts half-way through the first and ends half-way through the second
    hours = store.hours("acme", WEBHOOK, THIS_HOUR - HOUR / 2, THIS_HOUR + HOUR / 2)
    # Then both hours overlap it and are returned
    assert [stats.hour for stats in hours] == [THIS_HOUR - HOUR, THIS_HOUR]


def test_an_empty_range_and_a_range_outside_the_counts_have_no_hours(
    store: InMemoryEndpointStats | DynamoEndpointStats,
) -> None:
    _one_post(store, THIS_HOUR)
    assert store.hours("acme", WEBHOOK, THIS_HOUR, THIS_HOUR) == []
    assert store.hours("acme", WEBHOOK, THIS_HOUR - 3 * HOUR, THIS_HOUR) == []
    assert store.hours("acme", WEBHOOK, THIS_HOUR + HOUR, THIS_HOUR + 3 * HOUR) == []


def test_a_webhook_reads_only_its_own_hours(store: InMemoryEndpointStats | DynamoEndpointStats) -> None:
    # Given counts of the webhook, of another webhook of its account (whose id starts the same), and of
    # the same webhook id in another account, all in the same hours
    for hour in (THIS_HOUR - HOUR, THIS_HOUR):
        _one_post(store, hour)
        store.add("acme", f"{WEBHOOK}0", hour, tally([REFUSED, REFUSED], hour))
        store.add("globex", WEBHOOK, hour, tally([TIMED_OUT, TIMED_OUT, TIMED_OUT], hour))
    # When each one's hours are read
    since, until = THIS_HOUR - 2 * HOUR, THIS_HOUR + HOUR
    ours = store.hours("acme", WEBHOOK, since, until)
    neighbour = store.hours("acme", f"{WEBHOOK}0", since, until)
    elsewhere = store.hours("globex", WEBHOOK, since, until)
    # Then each has its own two hours and its own counts only
    assert [(stats.hour, stats.attempts, stats.succeeded) for stats in ours] == [
        (THIS_HOUR - HOUR, 1, 1),
        (THIS_HOUR, 1, 1),
    ]
    assert [(stats.attempts, stats.failed_by_kind) for stats in neighbour] == [(2, {"http_status": 2})] * 2
    assert [(stats.attempts, stats.failed_by_kind) for stats in elsewhere] == [(3, {"timeout": 3})] * 2
    assert store.hours("acme", "wh_never", since, until) == []


def test_an_hour_without_counters_is_absent(store: InMemoryEndpointStats | DynamoEndpointStats) -> None:
    # Given counts two hours ago and in the current hour, none in between
    _one_post(store, THIS_HOUR - 2 * HOUR)
    _one_post(store, THIS_HOUR)
    # When the three hours are read
    hours = store.hours("acme", WEBHOOK, THIS_HOUR - 2 * HOUR, THIS_HOUR + HOUR)
    # Then the hour between is not there (a chart fills it with zeros)
    assert [stats.hour for stats in hours] == [THIS_HOUR - 2 * HOUR, THIS_HOUR]
    assert HourlyStats(THIS_HOUR - HOUR) not in hours


def test_each_item_expires_when_the_delivery_log_of_its_hour_does(aws: MotoAws) -> None:
    # Given counts written in two hours (the second one twice)
    client, table = aws.session.client("dynamodb"), aws.deployed.tables["EndpointStatsTable"]
    adapter = _adapter(aws)
    _one_post(adapter, THIS_HOUR - HOUR)
    _one_post(adapter, THIS_HOUR)
    _one_post(adapter, THIS_HOUR)
    # When the table's items are read as stored
    items = client.query(
        TableName=table,
        KeyConditionExpression="account_id = :account",
        ExpressionAttributeValues={":account": {"S": "acme"}},
    )["Items"]
    # Then each hour is one item, keyed `webhook_id#hour`, expiring at the end of its hour plus the retention
    expiry = {item["bucket"]["S"]: int(item["expires_at"]["N"]) for item in items}
    assert expiry == {
        f"{WEBHOOK}#{hour:%Y-%m-%dT%H}": int((hour + HOUR + RETENTION).timestamp())
        for hour in (THIS_HOUR - HOUR, THIS_HOUR)
    }
    assert {item["attempts"]["N"] for item in items} == {"1", "2"}
