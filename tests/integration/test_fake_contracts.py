"""The in-memory fakes the unit tests lean on answer as the adapters they stand in for do on the
template's tables: every scenario here runs once against the fake and once against the adapter on moto,
so a fake that drifts from its adapter fails here instead of letting a unit test pass for the wrong reason."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.conftest import MotoAws
from tests.support.aws_faults import DynamoFaults
from tests.support.builders import NOW, a_delivery_record, a_stored_webhook, a_webhook
from tests.support.delivery_log import DeliveryLogTable
from tests.support.fakes import InMemoryCircuits, InMemoryDeliveryLog, InMemoryWebhooks
from tests.support.sealing import FakeSealer
from webhooks.adapters.endpoint_circuits import DynamoEndpointCircuits
from webhooks.adapters.webhook_store import DynamoWebhookStore, read_webhook
from webhooks.adapters.webhook_system_writes import DELIVER_ACTOR, DynamoWebhookSystemWrites
from webhooks.delivery.attempt import Claim
from webhooks.delivery.circuit import Circuit, CircuitState, Lease
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus
from webhooks.delivery_log.queries import DeliveryFilters, LogPosition
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.errors import WebhookDamaged
from webhooks.domain.operational_events import DisableReason
from webhooks.domain.webhook import Webhook

FLAVOURS = ["in-memory fake", "adapter on moto"]


@dataclass
class LogUnderTest:
    log: InMemoryDeliveryLog | DeliveryLogTable
    # The next claim's write lands, its answer does not, so the same put is sent again; returns what was lost.
    lose_next_claim_answer: Callable[[], Sequence[object]]


@dataclass
class WebhooksUnderTest:
    """The fake plays both adapters: the store's reads and the platform's own writes."""

    reads: InMemoryWebhooks | DynamoWebhookStore
    writes: InMemoryWebhooks | DynamoWebhookSystemWrites
    store: Callable[[Webhook], object]  # as an admin's change leaves the webhook stored
    store_item: Callable[[dict[str, Any]], object]  # a stored item as is (a_stored_webhook: maybe a damaged one)


@pytest.fixture(params=FLAVOURS)
def delivery_log(request: pytest.FixtureRequest) -> LogUnderTest:
    if request.param == "in-memory fake":
        fake = InMemoryDeliveryLog()
        return LogUnderTest(fake, fake.lose_next_claim_answer)
    aws: MotoAws = request.getfixturevalue("aws")
    client = aws.session.client("dynamodb")

    def lose_next_claim_answer() -> Sequence[object]:
        return DynamoFaults(client).lose_answer("PutItem", times=1)

    return LogUnderTest(DeliveryLogTable(client, aws.deployed.tables["DeliveriesTable"]), lose_next_claim_answer)


@pytest.fixture(params=FLAVOURS)
def webhooks(request: pytest.FixtureRequest) -> WebhooksUnderTest:
    if request.param == "in-memory fake":
        fake = InMemoryWebhooks()
        return WebhooksUnderTest(fake, fake, fake.add, lambda item: fake.add(read_webhook(item, FakeSealer())))
    aws: MotoAws = request.getfixturevalue("aws")
    client, tables = aws.session.client("dynamodb"), aws.deployed.tables

    def store_item(item: dict[str, Any]) -> None:
        client.put_item(TableName=tables["WebhooksTable"], Item=item)

    return WebhooksUnderTest(
        DynamoWebhookStore(client, tables["WebhooksTable"], FakeSealer()),
        DynamoWebhookSystemWrites(
            client, tables["WebhooksTable"], tables["AuditTable"], tables["OperationalEventsTable"]
        ),
        lambda webhook: store_item(a_stored_webhook(webhook)),
        store_item,
    )


@pytest.fixture(params=FLAVOURS)
def circuits(request: pytest.FixtureRequest) -> InMemoryCircuits | DynamoEndpointCircuits:
    if request.param == "in-memory fake":
        return InMemoryCircuits()
    aws: MotoAws = request.getfixturevalue("aws")
    return DynamoEndpointCircuits(aws.session.client("dynamodb"), aws.deployed.tables["EndpointCircuitsTable"])


def _pending(delivery_id: str = "msg_1", attempt: int = 1) -> DeliveryRecord:
    return a_delivery_record(delivery_id=delivery_id, attempt=attempt, status=DeliveryStatus.PENDING, http_status=None)


# Claims


def test_the_first_claim_of_an_attempt_wins_and_every_later_one_is_shown_the_holder(delivery_log: LogUnderTest) -> None:
    log, pending = delivery_log.log, _pending()
    # Given an attempt claimed once
    first = log.claim(pending)
    # When it is claimed again, before and after its result is written
    again = log.claim(pending)
    succeeded = pending.model_copy(update={"status": DeliveryStatus.SUCCEEDED, "http_status": 200})
    unwritten = log.complete_all([succeeded])
    after_result = log.claim(pending)
    # Then only the first call holds it, and each later one is given the record that holds it
    assert first.token is not None
    assert (again.token, again.earlier) == (None, pending)
    assert unwritten == set()
    assert (after_result.token, after_result.earlier) == (None, succeeded)
    assert log.attempts(pending.delivery_id) == [succeeded]


def test_each_attempt_is_claimed_on_its_own_with_a_token_of_its_own(delivery_log: LogUnderTest) -> None:
    log = delivery_log.log
    # When three attempts (two of one delivery) are claimed
    tokens = [log.claim(record).token for record in (_pending("msg_1", 1), _pending("msg_1", 2), _pending("msg_2"))]
    # Then each is claimed, each with a token no other claim carries
    assert None not in tokens
    assert len(set(tokens)) == 3


def test_a_claim_whose_answer_is_lost_and_sent_again_finds_its_own_token_and_stays_ours(
    delivery_log: LogUnderTest,
) -> None:
    log, pending = delivery_log.log, _pending()
    # Given the claim's write lands but its answer is lost, so the same put (same token) is sent again
    lost = delivery_log.lose_next_claim_answer()
    # When the attempt is claimed
    claim = log.claim(pending)
    # Then the resent put finds this call's own token: the claim is ours, and nobody else's
    assert len(lost) == 1
    assert claim.token is not None
    assert log.claim(pending) == Claim(token=None, earlier=pending)


def test_results_replace_their_claims_and_a_delivery_reads_back_in_attempt_order(delivery_log: LogUnderTest) -> None:
    log = delivery_log.log
    # Given a delivery's second attempt claimed before its first, and another delivery's attempt
    for record in (_pending("msg_1", 2), _pending("msg_1", 1), _pending("msg_2")):
        log.claim(record)
    # When the first two get their results
    failed = _pending("msg_1", 1).model_copy(update={"status": DeliveryStatus.FAILED, "http_status": 500})
    succeeded = _pending("msg_1", 2).model_copy(update={"status": DeliveryStatus.SUCCEEDED, "http_status": 200})
    assert log.complete_all([succeeded, failed]) == set()
    # Then the delivery reads back whole, in attempt order, and only its own attempts
    assert log.attempts("msg_1") == [failed, succeeded]
    assert log.attempts("msg_unknown") == []


# Paging by webhook


def _seed_history(log: InMemoryDeliveryLog | DeliveryLogTable) -> list[DeliveryRecord]:
    """Nine attempts of acme's webhook a minute apart (msg_0 oldest), and the same webhook id's and
    another webhook's attempts in between; returns acme's, newest first."""
    webhook_id = a_webhook().webhook_id
    ours = [
        a_delivery_record(
            delivery_id=f"msg_{index}",
            event="license.updated" if index % 2 else "license.created",
            status=DeliveryStatus.FAILED if index in (3, 6) else DeliveryStatus.SUCCEEDED,
            requested_at=NOW + timedelta(minutes=index),
        )
        for index in range(9)
    ]
    others = [
        a_delivery_record(delivery_id="msg_globex", account_id="globex", requested_at=NOW + timedelta(seconds=30)),
        a_delivery_record(delivery_id="msg_other_webhook", webhook_id="other", requested_at=NOW + timedelta(minutes=4)),
    ]
    assert all(record.webhook_id == webhook_id for record in ours)
    assert log.complete_all([*ours, *others]) == set()
    return ours[::-1]


def _all_pages(
    log: InMemoryDeliveryLog | DeliveryLogTable, filters: DeliveryFilters, limit: int
) -> list[list[DeliveryRecord]]:
    pages: list[list[DeliveryRecord]] = []
    start: LogPosition | None = None
    while True:
        page, start = log.page_for_webhook("acme", a_webhook().webhook_id, filters, start, limit)
        pages.append(page)
        if start is None:
            return pages


def _split[T](items: list[T], size: int) -> list[list[T]]:
    return [items[index : index + size] for index in range(0, len(items), size)]


def test_a_webhooks_attempts_page_newest_first_and_only_its_own(delivery_log: LogUnderTest) -> None:
    # Given acme's webhook's nine attempts among others'
    newest_first = [record.without_content() for record in _seed_history(delivery_log.log)]
    # When they are paged through four at a time, and in pages that end exactly on the last one
    by_four = _all_pages(delivery_log.log, DeliveryFilters(), limit=4)
    by_nine = _all_pages(delivery_log.log, DeliveryFilters(), limit=9)
    # Then every one comes once, newest first, without what was sent (a page shows outcomes), and the last
    # page says there is no more
    assert by_four == _split(newest_first, 4)
    assert by_nine == [newest_first]


@pytest.mark.parametrize(
    ("filters", "wanted"),
    [
        (DeliveryFilters(statuses=frozenset({DeliveryStatus.FAILED})), ["msg_6", "msg_3"]),
        (DeliveryFilters(event="license.updated"), ["msg_7", "msg_5", "msg_3", "msg_1"]),
        (
            DeliveryFilters(since=NOW + timedelta(minutes=2), until=NOW + timedelta(minutes=5)),
            ["msg_5", "msg_4", "msg_3", "msg_2"],
        ),
        (DeliveryFilters(since=NOW + timedelta(minutes=7)), ["msg_8", "msg_7"]),
        (DeliveryFilters(until=NOW + timedelta(minutes=1)), ["msg_1", "msg_0"]),
        (DeliveryFilters(event="license.created", statuses=frozenset({DeliveryStatus.FAILED})), ["msg_6"]),
        (DeliveryFilters(statuses=frozenset({DeliveryStatus.UNKNOWN})), []),
    ],
    ids=["status", "event", "since-until-inclusive", "since", "until", "event-and-status", "none-match"],
)
def test_a_filtered_page_holds_exactly_the_matching_attempts(
    delivery_log: LogUnderTest, filters: DeliveryFilters, wanted: list[str]
) -> None:
    # Given acme's webhook's nine attempts among others'
    _seed_history(delivery_log.log)
    # When the filtered attempts are paged through two at a time
    pages = _all_pages(delivery_log.log, filters, limit=2)
    # Then the pages hold exactly the matching attempts, newest first
    assert [[record.delivery_id for record in page] for page in pages] == (_split(wanted, 2) or [[]])


# Webhook reads


def test_a_webhook_is_read_in_its_own_account_only(webhooks: WebhooksUnderTest) -> None:
    # Given acme's webhook and globex's webhook "other"
    ours, theirs = a_webhook(), a_webhook(account_id="globex", webhook_id="other")
    webhooks.store(ours)
    webhooks.store(theirs)
    # When they are read one by one and in a batch with a missing key, a repeated one and a key across accounts
    one = webhooks.reads.get("acme", ours.webhook_id)
    across = webhooks.reads.get("acme", theirs.webhook_id)
    batch = webhooks.reads.get_many(
        [("acme", ours.webhook_id), ("acme", ours.webhook_id), ("acme", "missing"), ("acme", theirs.webhook_id)]
    )
    # Then only what the account holds comes back, whole
    assert (one, across) == (ours, None)
    assert batch == {("acme", ours.webhook_id): ours}


def test_a_webhook_that_does_not_read_back_is_read_as_damaged_and_refused_whole(webhooks: WebhooksUnderTest) -> None:
    # Given a healthy webhook and one stored with a 0 ms read timeout
    healthy = a_webhook()
    webhooks.store(healthy)
    webhooks.store_item(a_stored_webhook(a_webhook(webhook_id="damaged"), read_timeout_ms=0))
    # When it is read, read whole, and read in a batch with its neighbour
    read = webhooks.reads.read("acme", "damaged")
    batch = webhooks.reads.get_many([("acme", healthy.webhook_id), ("acme", "damaged")])
    with pytest.raises(WebhookDamaged) as refused:
        webhooks.reads.get("acme", "damaged")
    # Then it reads as damaged, naming the field, its neighbour whole; and a whole read is refused
    assert isinstance(read, DamagedWebhook)
    assert (read.webhook_id, read.fields, read.version) == ("damaged", ("read_timeout_seconds",), 1)
    assert batch == {("acme", healthy.webhook_id): healthy, ("acme", "damaged"): read}
    assert refused.value.extensions == {"damaged_fields": ["read_timeout_seconds"], "current_version": 1}


# The conditional disable (on 410 Gone, or an endpoint down too long)


def test_a_gone_webhook_is_disabled_in_a_change_of_the_deliver_functions_own(webhooks: WebhooksUnderTest) -> None:
    # Given an enabled webhook at version 3
    delivered = a_webhook(version=3)
    webhooks.store(delivered)
    # When its endpoint answered 410 Gone to the version delivered to
    disabled = webhooks.writes.disable(delivered, NOW + timedelta(minutes=1), DisableReason.GONE, "410 Gone")
    # Then it is disabled as a change of its own, made by the deliver function, which says when
    assert disabled is True
    at = NOW + timedelta(minutes=1)
    assert webhooks.reads.get("acme", delivered.webhook_id) == delivered.model_copy(
        update={"enabled": False, "disabled_at": at, "version": 4, "updated_at": at, "updated_by": DELIVER_ACTOR}
    )


@pytest.mark.parametrize(
    "stored",
    [
        a_webhook(version=2, name="Renamed by an admin"),
        a_webhook(version=2, enabled=False, updated_by=DELIVER_ACTOR),
        a_webhook(version=1, enabled=False),
        None,
    ],
    ids=["changed-by-an-admin", "disabled-already", "not-enabled", "deleted"],
)
def test_a_webhook_changed_since_it_was_delivered_to_is_not_disabled(
    webhooks: WebhooksUnderTest, stored: Webhook | None
) -> None:
    # Given the webhook as it is stored now (or deleted), while a delivery to version 1 was answered 410
    if stored is not None:
        webhooks.store(stored)
    # When the deliver function disables the version it delivered to
    disabled = webhooks.writes.disable(a_webhook(version=1), NOW, DisableReason.GONE, "410 Gone")
    # Then nothing changes: the condition (same version, still enabled) fails
    assert disabled is False
    assert webhooks.reads.get("acme", a_webhook().webhook_id) == stored


# The test-event rate limit


def test_test_events_are_rate_limited_per_webhook(webhooks: WebhooksUnderTest) -> None:
    # Given a stored webhook
    webhooks.store(a_webhook())
    webhook_id = a_webhook().webhook_id
    # When test events are asked for through an interval of 10 s
    answers = [
        webhooks.writes.reserve_test_slot("acme", webhook_id, NOW + timedelta(seconds=offset), 10)
        for offset in (0, 4, 9.5, 10, 13)
    ]
    # Then the first goes out, the next are told how long to wait (never under a second), and the
    # interval after the first lets one out again
    assert answers == [None, 6, 1, None, 7]


def test_a_test_slot_is_refused_for_a_webhook_that_is_not_stored(webhooks: WebhooksUnderTest) -> None:
    # Given acme's webhook, and no webhook of that id in globex
    webhooks.store(a_webhook())
    # When globex asks for a test slot of that id
    answer = webhooks.writes.reserve_test_slot("globex", a_webhook().webhook_id, NOW, 10)
    # Then it is refused for the whole interval, and acme's slot is untouched
    assert answer == 10
    assert webhooks.writes.reserve_test_slot("acme", a_webhook().webhook_id, NOW, 10) is None


def test_a_circuit_never_written_reads_closed_and_a_written_one_reads_back_whole(
    circuits: InMemoryCircuits | DynamoEndpointCircuits,
) -> None:
    # Given one endpoint's circuit written open with every field set, and another endpoint's never written
    opened = Circuit(
        account_id="acme",
        webhook_id="wh_down",
        state=CircuitState.OPEN,
        consecutive_failures=5,
        reopenings=1,
        open_until=NOW + timedelta(seconds=30),
        opened_at=NOW,
        probe_until=NOW + timedelta(seconds=90),
        slow_until=NOW + timedelta(seconds=300),
        fast_until=NOW + timedelta(seconds=200),
        leases=(Lease("batch-1", 3, NOW + timedelta(seconds=60)), Lease("batch-2", 1, NOW + timedelta(seconds=50))),
        rate_window=NOW.replace(microsecond=0),
        rate_used=3,
        version=1,
    )
    assert all(getattr(opened, field.name) not in (None, ()) for field in dataclasses.fields(opened))
    assert circuits.save(opened)

    # When both are read, with a key of another account that has the same webhook id
    read = circuits.read_many([("acme", "wh_down"), ("acme", "wh_fine"), ("other", "wh_down")])

    # Then the written one reads back as written, and the others are closed at version 0
    assert read == {
        ("acme", "wh_down"): opened,
        ("acme", "wh_fine"): Circuit(account_id="acme", webhook_id="wh_fine"),
        ("other", "wh_down"): Circuit(account_id="other", webhook_id="wh_down"),
    }


def test_a_circuit_is_written_only_on_the_version_it_was_read_at(
    circuits: InMemoryCircuits | DynamoEndpointCircuits,
) -> None:
    # Given two invocations that both read the closed circuit at version 0
    first = Circuit(account_id="acme", webhook_id="wh_1", consecutive_failures=1, version=1)
    second = Circuit(account_id="acme", webhook_id="wh_1", consecutive_failures=2, version=1)

    # When both write their change, Then only the first lands
    assert circuits.save(first)
    assert not circuits.save(second)
    # ... and a change made on what the first wrote lands, while one skipping a version does not
    assert not circuits.save(Circuit(account_id="acme", webhook_id="wh_1", version=3))
    assert circuits.save(Circuit(account_id="acme", webhook_id="wh_1", consecutive_failures=2, version=2))
    assert circuits.read_many([("acme", "wh_1")])[("acme", "wh_1")].consecutive_failures == 2
