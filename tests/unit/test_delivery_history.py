"""Reading the log: account scoping, cursors bound to their query, crashed claims shown as unknown."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from tests.support.builders import NOW, a_delivery_record, a_webhook
from tests.support.fakes import InMemoryWebhooks
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus
from webhooks.delivery_log.queries import (
    DeliveryFilters,
    DeliveryQueries,
    LogPosition,
    cursor_position,
    position_cursor,
)
from webhooks.domain.errors import InvalidCursor, InvalidInput, NotFound
from webhooks.domain.principal import Principal, Role

ACME = Principal("acme", "viewer@acme", Role.READER)
WEBHOOK_ID = a_webhook().webhook_id
POSITION = LogPosition(requested_at="2026-11-29T10:00:00.123000Z", delivery_id="msg_1", attempt=1)


class PagedHistory:
    def __init__(self, records: list[DeliveryRecord]) -> None:
        self.records = records
        self.starts: list[LogPosition | None] = []

    def page_for_webhook(self, account_id, webhook_id, filters, start, limit):
        self.starts.append(start)
        return self.records[:limit], POSITION if len(self.records) > limit else None

    def attempts(self, delivery_id):
        return [record for record in self.records if record.delivery_id == delivery_id]

    def for_event(self, event_id, account_id):
        return [r for r in self.records if r.event_id == event_id and r.account_id == account_id]


def _queries(records: list[DeliveryRecord]) -> tuple[DeliveryQueries, PagedHistory]:
    webhooks = InMemoryWebhooks()
    webhooks.add(a_webhook())
    history = PagedHistory(records)
    return DeliveryQueries(webhooks, history), history


def test_a_page_cursor_leads_to_the_next_page_of_the_same_query() -> None:
    queries, history = _queries([a_delivery_record(attempt=n) for n in (1, 2, 3)])
    page = queries.list_deliveries(ACME, WEBHOOK_ID, DeliveryFilters(), limit=2)
    assert len(page.records) == 2
    assert page.cursor is not None
    queries.list_deliveries(ACME, WEBHOOK_ID, DeliveryFilters(), cursor=page.cursor, limit=2)
    assert history.starts == [None, POSITION]


def test_a_cursor_for_another_webhook_account_or_filter_is_refused() -> None:
    queries, _ = _queries([a_delivery_record(attempt=n) for n in (1, 2, 3)])
    cursor = queries.list_deliveries(ACME, WEBHOOK_ID, DeliveryFilters(), limit=2).cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        queries.list_deliveries(
            ACME, WEBHOOK_ID, DeliveryFilters(statuses=frozenset({DeliveryStatus.FAILED})), cursor=cursor
        )
    other, _ = _queries([])
    other._webhooks.add(a_webhook(webhook_id="wh-2"))  # type: ignore[attr-defined]
    with pytest.raises(InvalidCursor):
        other.list_deliveries(ACME, "wh-2", DeliveryFilters(), cursor=cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(json.dumps({"s": "x", "p": POSITION.model_dump()}).encode()).decode(),
    ],
)
def test_a_forged_or_corrupted_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        cursor_position(cursor, "scope-of-this-query")


def test_a_cursor_round_trips_within_its_scope() -> None:
    assert cursor_position(position_cursor(POSITION, "s"), "s") == POSITION


def test_another_accounts_webhook_and_deliveries_do_not_exist() -> None:
    queries, _ = _queries([a_delivery_record()])
    globex = Principal("globex", "viewer@globex", Role.READER)
    with pytest.raises(NotFound):
        queries.list_deliveries(globex, WEBHOOK_ID, DeliveryFilters())
    with pytest.raises(NotFound):
        queries.get_delivery(globex, WEBHOOK_ID, a_delivery_record().delivery_id)
    assert queries.deliveries_for_event(globex, a_delivery_record().event_id) == []


def test_a_stale_claim_is_listed_and_filtered_as_unknown() -> None:
    stale = a_delivery_record(status=DeliveryStatus.PENDING, http_status=None)
    fresh = a_delivery_record(
        delivery_id="msg_2", status=DeliveryStatus.PENDING, requested_at=NOW + timedelta(minutes=9)
    )
    queries, _ = _queries([stale, fresh])
    later = NOW + timedelta(minutes=10)
    page = queries.list_deliveries(
        ACME, WEBHOOK_ID, DeliveryFilters(statuses=frozenset({DeliveryStatus.UNKNOWN})), now=later
    )
    assert [record.delivery_id for record in page.records] == [stale.delivery_id]
    (attempt,) = queries.get_delivery(ACME, WEBHOOK_ID, stale.delivery_id, now=later)
    assert attempt.status is DeliveryStatus.UNKNOWN


def test_a_time_range_that_ends_before_it_starts_is_invalid_input() -> None:
    # Given a webhook with deliveries (DynamoDB refuses a BETWEEN whose lower bound is above its upper one)
    queries, history = _queries([a_delivery_record()])
    backwards = DeliveryFilters(since=NOW + timedelta(hours=1), until=NOW)
    # When its log is listed from an hour after NOW until NOW, Then the caller gets a 4xx, the store no query
    with pytest.raises(InvalidInput):
        queries.list_deliveries(ACME, WEBHOOK_ID, backwards)
    assert history.starts == []
