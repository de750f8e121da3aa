"""Hourly endpoint counters: what a batch's POSTs add to a webhook's hour, what is read back from them
(percentiles, the last day's summary, a chart's hours) and how deliver and manage use the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.builders import NOW, a_delivery_message
from tests.support.fakes import InMemoryEndpointStats
from webhooks.delivery.attempt import BatchAttempt
from webhooks.delivery.endpoint_stats import (
    DURATION_BOUNDS_MS,
    HOUR,
    SUMMARY_LOOKBACK,
    EndpointStatsRecorder,
    EndpointSummaries,
    HealthSummary,
    HourlyStats,
    HourTally,
    every_hour,
    hour_of,
    summarize,
    tally,
)
from webhooks.delivery.outbound import SendResult
from webhooks.delivery.record import ErrorKind

ANSWERED = SendResult(http_status=200, duration_ms=12)
REFUSED = SendResult(http_status=503, error_kind=ErrorKind.HTTP_STATUS, duration_ms=40)
TIMED_OUT = SendResult(error_kind=ErrorKind.TIMEOUT, duration_ms=10_000)
THIS_HOUR = hour_of(NOW)
OVERFLOW = len(DURATION_BOUNDS_MS)  # the open-ended bucket's index


def _histogram(**counts: int) -> tuple[int, ...]:
    """durations with `b<index>=count` set, the other buckets empty."""
    return tuple(counts.get(f"b{index}", 0) for index in range(len(DURATION_BOUNDS_MS) + 1))


def _attempt(webhook_id: str, sent: SendResult | None, account_id: str = "acme") -> BatchAttempt:
    message = a_delivery_message(delivery_id=f"msg_{webhook_id}", webhook_id=webhook_id, account_id=account_id)
    return BatchAttempt(message=message, sent=sent)


# tally


def test_a_batch_counts_its_posts_and_each_failure_by_kind() -> None:
    # Given two answered POSTs, two 503s and a timeout
    results = [ANSWERED, REFUSED, ANSWERED, TIMED_OUT, REFUSED]
    # When they are tallied
    counts = tally(results, NOW)
    # Then every POST is an attempt, and each failure counts under its error kind (non-2xx: http_status)
    assert (counts.attempts, counts.succeeded) == (5, 2)
    assert counts.failed_by_kind == {"http_status": 2, "timeout": 1}


@pytest.mark.parametrize(
    ("duration_ms", "bucket"),
    [
        (0, 0),
        (DURATION_BOUNDS_MS[0], 0),
        (DURATION_BOUNDS_MS[0] + 1, 1),
        (DURATION_BOUNDS_MS[3], 3),
        (DURATION_BOUNDS_MS[-1], OVERFLOW - 1),
        (DURATION_BOUNDS_MS[-1] + 1, OVERFLOW),
    ],
    ids=["zero", "on-the-first-bound", "just-above-it", "on-a-middle-bound", "on-the-last-bound", "beyond-it"],
)
def test_a_duration_goes_in_the_bucket_of_the_first_bound_it_does_not_exceed(duration_ms: int, bucket: int) -> None:
    # Given a POST that took `duration_ms`
    answered = SendResult(http_status=204, duration_ms=duration_ms)
    # When it is tallied
    counts = tally([answered], NOW)
    # Then that one bucket holds it
    assert counts.durations == _histogram(**{f"b{bucket}": 1})


def test_the_histogram_counts_every_post_whatever_its_outcome() -> None:
    counts = tally([ANSWERED, REFUSED, TIMED_OUT, ANSWERED], NOW)
    assert counts.durations == _histogram(b0=3, b7=1)
    assert sum(counts.durations) == counts.attempts


@pytest.mark.parametrize(
    ("results", "last_success_at", "last_failure_at"),
    [([ANSWERED], NOW, None), ([REFUSED, TIMED_OUT], None, NOW), ([REFUSED, ANSWERED], NOW, NOW)],
    ids=["only-successes", "only-failures", "both"],
)
def test_the_last_success_and_failure_are_the_batchs_time_only_when_it_had_one(
    results: list[SendResult], last_success_at: datetime | None, last_failure_at: datetime | None
) -> None:
    counts = tally(results, NOW)
    assert (counts.last_success_at, counts.last_failure_at) == (last_success_at, last_failure_at)


# percentile_ms


def test_an_hour_without_posts_has_no_percentile_and_failed_is_what_did_not_succeed() -> None:
    assert HourlyStats(THIS_HOUR).percentile_ms(0.5) is None
    assert HourlyStats(THIS_HOUR, attempts=7, succeeded=4, durations=(0,) * (OVERFLOW + 1)).percentile_ms(0.95) is None
    assert HourlyStats(THIS_HOUR, attempts=7, succeeded=4).failed == 3


def test_a_percentile_is_interpolated_inside_its_bucket() -> None:
    # Given five POSTs in the bucket (100, 250] ms
    stats = HourlyStats(THIS_HOUR, durations=_histogram(b2=5))
    # When percentiles are read
    ranks = [stats.percentile_ms(fraction) for fraction in (0.2, 0.6, 1.0)]
    # Then the k-th of the five is k fifths of the way through the bucket's 150 ms
    assert ranks == [130, 190, 250]


def test_the_open_ended_bucket_answers_with_its_lower_bound() -> None:
    stats = HourlyStats(THIS_HOUR, durations=_histogram(b0=1, **{f"b{OVERFLOW}": 9}))
    assert stats.percentile_ms(0.5) == DURATION_BOUNDS_MS[-1]
    assert stats.percentile_ms(0.95) == DURATION_BOUNDS_MS[-1]


def test_p50_and_p95_fall_in_different_buckets_when_a_tenth_of_the_posts_are_slow() -> None:
    # Given 18 fast POSTs (at most 50 ms) and 2 slow ones (1-2.5 s)
    stats = HourlyStats(THIS_HOUR, durations=_histogram(b0=18, b5=2))
    # When the median and the 95th percentile are read
    p50, p95 = stats.percentile_ms(0.5), stats.percentile_ms(0.95)
    # Then the median is the 10th of 18 in the fast bucket (50 * 10/18), p95 half-way into the slow one
    assert (p50, p95) == (28, 1750)


# EndpointStatsRecorder


@dataclass
class FailingFor(InMemoryEndpointStats):
    """Counters that record each write and refuse those of one webhook."""

    refused: str = ""
    calls: list[tuple[str, str, datetime, HourTally]] = field(default_factory=list)

    def add(self, account_id: str, webhook_id: str, hour: datetime, counts: HourTally) -> None:
        self.calls.append((account_id, webhook_id, hour, counts))
        if webhook_id == self.refused:
            raise ConnectionError("table unavailable")
        super().add(account_id, webhook_id, hour, counts)


def test_a_batch_adds_one_update_per_webhook_with_all_of_its_posts() -> None:
    # Given a batch with three POSTs to one webhook, one to another (in another account), and one not sent
    store = FailingFor()
    at = THIS_HOUR + timedelta(minutes=17)
    attempts = [
        _attempt("wh_a", ANSWERED),
        _attempt("wh_b", REFUSED, account_id="globex"),
        _attempt("wh_a", REFUSED),
        _attempt("wh_a", None),
        _attempt("wh_a", TIMED_OUT),
        _attempt("wh_unsent", None),
    ]
    # When it is recorded
    EndpointStatsRecorder(store).record(attempts, at)
    # Then each webhook POSTed to had one update, to the hour of the batch, with exactly its POSTs
    assert {(call[0], call[1], call[2]) for call in store.calls} == {
        ("acme", "wh_a", THIS_HOUR),
        ("globex", "wh_b", THIS_HOUR),
    }
    assert len(store.calls) == 2
    counts = {call[1]: call[3] for call in store.calls}
    assert counts["wh_a"] == tally([ANSWERED, REFUSED, TIMED_OUT], at)
    assert counts["wh_b"] == tally([REFUSED], at)


def test_a_store_that_fails_is_logged_and_the_other_webhooks_are_still_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given counters that refuse the first webhook's write
    store = FailingFor(refused="wh_a")
    # When a batch POSTed to it and to another webhook is recorded
    with caplog.at_level(logging.ERROR, logger="webhooks.delivery.endpoint_stats"):
        EndpointStatsRecorder(store).record([_attempt("wh_a", ANSWERED), _attempt("wh_b", ANSWERED)], NOW)
    # Then nothing was raised, the failure is logged with the webhook, and the other webhook's hour was written
    (logged,) = [record for record in caplog.records if record.getMessage() == "endpoint stats not written"]
    assert logged.exc_info is not None
    assert (logged.__dict__["webhook_id"], logged.__dict__["posts"]) == ("wh_a", 1)
    assert [call[1] for call in store.calls] == ["wh_a", "wh_b"]
    (written,) = store.hours("acme", "wh_b", THIS_HOUR, THIS_HOUR + HOUR)
    assert written.attempts == 1
    assert store.hours("acme", "wh_a", THIS_HOUR, THIS_HOUR + HOUR) == []


# summarize and every_hour


def test_a_summary_is_the_24_hours_ending_with_the_current_one_zeros_included() -> None:
    # Given a webhook with counts this hour, 23 hours ago, and 24 hours ago (outside the last day)
    hours = [
        HourlyStats(THIS_HOUR, attempts=3, succeeded=2),
        HourlyStats(THIS_HOUR - 23 * HOUR, attempts=4, succeeded=4),
        HourlyStats(THIS_HOUR - 24 * HOUR, attempts=50, succeeded=0),
    ]
    # When it is summarized
    summary = summarize(hours, NOW)
    # Then it has 24 hours, oldest first, the first 23 hours ago and the last the current one
    assert [hour for hour, _, _ in summary.last_24h] == [THIS_HOUR - HOUR * back for back in range(23, -1, -1)]
    assert summary.last_24h[0] == (THIS_HOUR - 23 * HOUR, 4, 0)
    assert summary.last_24h[-1] == (THIS_HOUR, 2, 1)
    assert {(ok, failed) for _, ok, failed in summary.last_24h[1:-1]} == {(0, 0)}
    # And only those hours are counted
    assert (summary.attempts_24h, summary.succeeded_24h) == (7, 6)
    assert summary.success_rate_24h == round(6 / 7, 4)


@pytest.mark.parametrize(
    ("succeeded", "attempts", "rate"),
    [(2, 3, 0.6667), (1, 3, 0.3333), (1, 8, 0.125), (3, 3, 1.0), (0, 5, 0.0)],
)
def test_the_success_rate_is_rounded_to_four_places(succeeded: int, attempts: int, rate: float) -> None:
    assert HealthSummary(attempts_24h=attempts, succeeded_24h=succeeded).success_rate_24h == rate


def test_a_day_without_attempts_has_no_success_rate() -> None:
    old = HourlyStats(THIS_HOUR - 30 * HOUR, attempts=2, succeeded=2, last_success_at=NOW - 30 * HOUR)
    assert HealthSummary().success_rate_24h is None
    assert summarize([old], NOW).success_rate_24h is None


def test_the_last_success_and_failure_come_from_the_whole_lookback() -> None:
    # Given successes seven and six days ago, failures five and three days ago, and nothing in the last day
    days_ago = {days: NOW - timedelta(days=days) for days in (7, 6, 5, 3)}
    hours = [
        HourlyStats(hour_of(days_ago[7]), 1, 1, last_success_at=days_ago[7]),
        HourlyStats(hour_of(days_ago[6]), 1, 1, last_success_at=days_ago[6]),
        HourlyStats(hour_of(days_ago[5]), 1, 0, last_failure_at=days_ago[5]),
        HourlyStats(hour_of(days_ago[3]), 1, 0, last_failure_at=days_ago[3]),
    ]
    # When it is summarized
    summary = summarize(hours, NOW)
    # Then the last success and the last failure are the latest of each, though older than the last day
    assert (summary.last_success_at, summary.last_failure_at) == (days_ago[6], days_ago[3])
    assert summary.attempts_24h == 0
    assert summarize([], NOW).last_success_at is None
    assert summarize([], NOW).last_failure_at is None


def test_every_hour_fills_the_gaps_with_zeros_and_stops_before_until() -> None:
    # Given counts at the first hour and at the one before `until`
    since, until = THIS_HOUR - 4 * HOUR, THIS_HOUR
    first = HourlyStats(since, attempts=1, succeeded=1)
    last = HourlyStats(until - HOUR, attempts=2)
    beyond = HourlyStats(until, attempts=9)
    # When every hour of [since, until) is asked for
    filled = every_hour([last, beyond, first], since, until)
    # Then there are four, oldest first, the missing ones empty and `until` itself left out
    assert filled == [first, HourlyStats(since + HOUR), HourlyStats(since + 2 * HOUR), last]
    assert every_hour([first], since, since) == []
    # And a `since` inside an hour starts at that hour
    inside = every_hour([], since + timedelta(minutes=30), since + 2 * HOUR)
    assert [stats.hour for stats in inside] == [since, since + HOUR]


def test_hour_of_is_the_start_of_the_utc_hour() -> None:
    in_berlin = datetime(2026, 11, 29, 12, 45, 30, 5, tzinfo=timezone(timedelta(hours=1)))
    assert hour_of(in_berlin) == datetime(2026, 11, 29, 11, tzinfo=UTC)
    assert hour_of(in_berlin).tzinfo is UTC


# EndpointSummaries


@dataclass
class RecordingStats(InMemoryEndpointStats):
    reads: list[tuple[str, str, datetime, datetime]] = field(default_factory=list)

    def hours(self, account_id: str, webhook_id: str, since: datetime, until: datetime) -> list[HourlyStats]:
        self.reads.append((account_id, webhook_id, since, until))
        return super().hours(account_id, webhook_id, since, until)


def test_summaries_read_each_webhooks_lookback_once_and_are_keyed_by_webhook() -> None:
    # Given counters of two webhooks, one of them in another account, and a fixed clock
    store = RecordingStats()
    an_hour_ago = THIS_HOUR - HOUR
    store.add("acme", "wh_a", an_hour_ago, tally([ANSWERED, REFUSED], an_hour_ago))
    store.add("globex", "wh_b", THIS_HOUR, tally([ANSWERED], NOW))
    keys = [("acme", "wh_a"), ("globex", "wh_b"), ("acme", "wh_idle")]
    # When their summaries are read
    summaries = EndpointSummaries(store, clock=lambda: NOW).of(keys)
    # Then each webhook's range was read once: from the hour 7 days ago up to the end of the current hour
    since, until = hour_of(NOW - SUMMARY_LOOKBACK), THIS_HOUR + HOUR
    assert store.reads == [(account, webhook, since, until) for account, webhook in keys]
    assert since == THIS_HOUR - timedelta(days=7)
    # And each summary is its own webhook's
    assert list(summaries) == keys
    assert (summaries[("acme", "wh_a")].attempts_24h, summaries[("acme", "wh_a")].success_rate_24h) == (2, 0.5)
    assert summaries[("globex", "wh_b")].last_success_at == NOW
    assert summaries[("acme", "wh_idle")] == summarize([], NOW)
