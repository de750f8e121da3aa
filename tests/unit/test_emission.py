"""The emission use case with in-memory ports: matching, governance, failures with stream semantics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.builders import NOW, a_damaged_webhook, a_license, a_stream_change, a_webhook
from tests.support.fakes import FakeDeliveryLog, FakeQueue, FakeWebhookSource
from webhooks.adapters.dynamo_codec import from_item
from webhooks.adapters.operational_events import operational_event_item
from webhooks.catalogue import Entity, Environment, EventGroup
from webhooks.delivery.message import Trigger
from webhooks.delivery.record import DeliveryStatus, ErrorKind
from webhooks.domain.derivation import StreamChange
from webhooks.domain.emission import Emitter, Governance, UnreadableRecord
from webhooks.domain.ids import delivery_id, event_id
from webhooks.domain.operational_events import OperationalEvent, webhook_failing, webhook_recovered

ENTITIES: dict[str, Entity | EventGroup] = {
    "licenses-dev": Entity.LICENSE,
    "products-dev": Entity.PRODUCT,
    "operational-events-dev": EventGroup.OPERATIONAL,
}
EVERYTHING = Governance(frozenset(Environment), ("*",))


def _emitter(
    webhooks: FakeWebhookSource,
    queue: FakeQueue | None = None,
    log: FakeDeliveryLog | None = None,
    governance: Governance = EVERYTHING,
) -> Emitter:
    return Emitter(
        webhooks=webhooks,
        sender=queue or FakeQueue(),
        delivery_log=log or FakeDeliveryLog(),
        table_entities=ENTITIES,
        governance=governance,
        delivery_log_retention_days=30,
        clock=lambda: NOW,
    )


def _created(number: int, **fields: Any) -> StreamChange:
    return a_stream_change(
        new=a_license(id=f"lic_{number}", **fields), sequence_number=str(100 + number), stream_event_id=f"se-{number}"
    )


def test_an_event_goes_to_each_webhook_that_receives_it() -> None:
    # Given webhooks that receive license.created in acme production, and some that do not
    source = FakeWebhookSource(
        [
            a_webhook(webhook_id="exact", events=frozenset({"license.created"})),
            a_webhook(webhook_id="wildcard", events=frozenset({"license.*"})),
            a_webhook(webhook_id="all", events=frozenset({"*"})),
            a_webhook(webhook_id="products", events=frozenset({"product.*"})),
            a_webhook(webhook_id="disabled", enabled=False),
            a_webhook(webhook_id="staging", environment=Environment.STAGING),
            a_webhook(webhook_id="globex", account_id="globex"),
        ]
    )
    queue = FakeQueue()
    # When one license is created
    report = _emitter(source, queue).emit([_created(1)])
    # Then exactly the three receiving webhooks get a message with a deterministic delivery id
    assert sorted(message.webhook_id for message in queue.enqueued) == ["all", "exact", "wildcard"]
    message = queue.enqueued[0]
    assert message.delivery_id == delivery_id(event_id("se-1", "license.created"), message.webhook_id)
    assert (message.trigger, message.attempt, message.occurred_at) == (Trigger.EVENT, 1, NOW)
    assert report.first_failed is None
    assert report.messages_enqueued == 3
    assert report.events == {"license.created": 1}


def _recorded(event: OperationalEvent, number: int) -> StreamChange:
    """The operational event's item as its table's stream hands it to emit."""
    item = from_item(operational_event_item(event))
    return a_stream_change(
        new=item, table_name="operational-events-dev", sequence_number=str(200 + number), stream_event_id=f"op-{number}"
    )


def test_operational_events_reach_their_subscribers_but_not_the_webhook_they_are_about_until_it_recovers() -> None:
    # Given a failing webhook subscribed to webhook.*, a monitor subscribed to webhook.*, and one to everything
    failing = a_webhook(webhook_id="failing", events=frozenset({"webhook.*"}))
    source = FakeWebhookSource(
        [
            failing,
            a_webhook(webhook_id="monitor", events=frozenset({"webhook.*"})),
            a_webhook(webhook_id="all", events=frozenset({"*"})),
        ]
    )
    queue = FakeQueue()
    down_since = NOW - timedelta(minutes=5)
    events = [
        webhook_failing(failing, consecutive_failures=5, down_since=down_since, retry_at=NOW, at=down_since),
        webhook_recovered(failing, down_since=down_since, at=NOW),
    ]
    # When the failing and the recovered events are recorded
    report = _emitter(source, queue).emit([_recorded(event, number) for number, event in enumerate(events)])
    # Then the monitor gets both; the webhook itself only its recovery; `*` (domain events) neither
    sent = sorted((message.event, message.webhook_id) for message in queue.enqueued)
    assert sent == [("webhook.failing", "monitor"), ("webhook.recovered", "failing"), ("webhook.recovered", "monitor")]
    body = next(m for m in queue.enqueued if m.event == "webhook.failing").body()
    assert body["payload"]["webhook_id"] == "failing"
    assert body["event_id"] == events[0].event_id
    assert report.first_failed is None


def test_a_payload_filter_keeps_back_what_it_does_not_match_with_no_message_and_no_record() -> None:
    # Given a webhook for product prod_a only, one with a filter matching no license, and one with none
    source = FakeWebhookSource(
        [
            a_webhook(webhook_id="prod_a", filter={"payload": {"product_id": "prod_a"}}),
            a_webhook(webhook_id="never", filter={"event": {"$startsWith": "product."}}),
            a_webhook(webhook_id="all"),
        ]
    )
    queue, log = FakeQueue(), FakeDeliveryLog()
    # When a license of prod_a and one of prod_b are created
    report = _emitter(source, queue, log).emit([_created(1, product_id="prod_a"), _created(2, product_id="prod_b")])
    # Then prod_a's webhook gets the first only, the other filtered webhook nothing, and nothing is logged for them
    delivered = sorted((message.webhook_id, message.payload["id"]) for message in queue.enqueued)
    assert delivered == [("all", "lic_1"), ("all", "lic_2"), ("prod_a", "lic_1")]
    assert report.filtered_out == 3
    assert log.records == []


def test_a_damaged_filter_filters_nothing_so_its_deliveries_can_be_recovered_once_repaired() -> None:
    damaged = a_damaged_webhook(a_webhook(webhook_id="damaged"), filter='{"payload": {"seats": {"$gte": true}}}')
    assert damaged.fields == ("filter",)
    queue = FakeQueue()
    _emitter(FakeWebhookSource([damaged]), queue).emit([_created(1)])
    assert [message.webhook_id for message in queue.enqueued] == ["damaged"]


def test_the_webhooks_of_an_account_are_read_once_per_batch() -> None:
    source = FakeWebhookSource([a_webhook(), a_webhook(account_id="globex")])
    changes = [_created(n, account_id="acme" if n % 2 else "globex") for n in range(10)]
    _emitter(source).emit(changes)
    assert source.queries == {"acme": 1, "globex": 1}


def test_governance_drops_and_counts_what_the_deployment_does_not_deliver() -> None:
    # Given a deployment that delivers production license.created only
    source = FakeWebhookSource(
        [a_webhook(events=frozenset({"*"})), a_webhook(webhook_id="s", environment=Environment.STAGING)]
    )
    queue = FakeQueue()
    governance = Governance(frozenset({Environment.PRODUCTION}), ("license.created",))
    changes = [
        _created(1),
        _created(2, environment="staging"),
        a_stream_change("REMOVE", old=a_license(), sequence_number="103", stream_event_id="se-3"),
    ]
    # When a production and a staging license are created and one deleted
    report = _emitter(source, queue, governance=governance).emit(changes)
    # Then only the production creation is enqueued; the rest is counted as dropped, and not as failed
    assert [(m.event, m.environment) for m in queue.enqueued] == [("license.created", Environment.PRODUCTION)]
    assert report.dropped_by_governance == 2
    assert report.events == {"license.created": 2, "license.deleted": 1}
    assert report.first_failed is None


def test_unroutable_changes_are_counted_by_reason_and_never_fail_the_batch() -> None:
    queue = FakeQueue()
    changes = [
        a_stream_change(new={"id": "a", "environment": "production"}),
        a_stream_change(new={"id": "b", "account_id": "acme", "environment": "qa"}),
        a_stream_change(new={"id": "c"}, table_name="unknown-table"),
        _created(4),
    ]
    report = _emitter(FakeWebhookSource([a_webhook()]), queue).emit(changes)
    assert report.first_failed is None
    assert report.unroutable == {"missing_account_id": 1, "unknown_environment": 1, "unknown_table": 1}
    assert [message.payload["id"] for message in queue.enqueued] == ["lic_4"]


def test_a_message_too_large_for_sqs_becomes_a_failed_delivery_record() -> None:
    # Given a webhook and a license bigger than SQS takes
    log = FakeDeliveryLog()
    queue = FakeQueue()
    changes = [_created(1, notes="x" * 1_100_000), _created(2)]
    # When it is emitted
    report = _emitter(FakeWebhookSource([a_webhook()]), queue, log).emit(changes)
    # Then it is logged as a failed payload_too_large delivery with an expiry, and the batch goes on
    (record,) = log.records
    assert record.status is DeliveryStatus.FAILED
    assert record.error_kind is ErrorKind.PAYLOAD_TOO_LARGE
    assert record.event_id == event_id("se-1", "license.created")
    assert record.expires_at == int((NOW + timedelta(days=30)).timestamp())
    assert [message.payload["id"] for message in queue.enqueued] == ["lic_2"]
    assert (report.first_failed, report.payload_too_large) == (None, 1)


def test_a_too_large_message_whose_record_cannot_be_written_fails_its_record() -> None:
    changes = [_created(1), _created(2, notes="x" * 1_100_000), _created(3)]
    report = _emitter(FakeWebhookSource([a_webhook()]), log=FakeDeliveryLog(fails=True)).emit(changes)
    assert report.first_failed == 1


def test_the_first_record_with_an_unsent_message_fails_with_everything_after_it() -> None:
    # Given a queue that rejects the messages of licenses 3 and 6
    queue = FakeQueue(rejects=lambda message: message.payload["id"] in {"lic_3", "lic_6"})
    changes = [_created(n) for n in range(8)]
    # When the batch is emitted
    report = _emitter(FakeWebhookSource([a_webhook()]), queue).emit(changes)
    # Then record 3 is the first failed one (the stream retries from it), and counts cover records 0-2
    assert report.first_failed == 3
    assert report.events == {"license.created": 3}
    assert report.messages_enqueued == 6


def test_a_failed_webhook_query_fails_from_the_accounts_first_record() -> None:
    source = FakeWebhookSource([a_webhook(), a_webhook(account_id="globex")], failing_accounts={"globex"})
    queue = FakeQueue()
    changes = [_created(0), _created(1), _created(2, account_id="globex"), _created(3)]
    report = _emitter(source, queue).emit(changes)
    assert report.first_failed == 2
    assert [message.payload["id"] for message in queue.enqueued] == ["lic_0", "lic_1"]


@pytest.mark.parametrize(
    "poison",
    [
        UnreadableRecord(sequence_number="102", error="KeyError: 'eventName'"),
        StreamChange(  # an image that is not an object: derivation raises
            sequence_number="102",
            stream_event_id="se-2",
            table_name="licenses-dev",
            kind="INSERT",
            keys={"id": "lic_2"},
            occurred_at=NOW,
            new_image="not an object",  # type: ignore[arg-type]
        ),
    ],
)
def test_a_record_that_cannot_be_derived_fails_and_stops_the_batch_there(poison: Any) -> None:
    queue = FakeQueue()
    report = _emitter(FakeWebhookSource([a_webhook()]), queue).emit([_created(0), _created(1), poison, _created(3)])
    assert report.first_failed == 2
    assert [message.payload["id"] for message in queue.enqueued] == ["lic_0", "lic_1"]


def test_an_event_without_receivers_enqueues_nothing() -> None:
    queue = FakeQueue()
    report = _emitter(FakeWebhookSource([]), queue).emit([_created(1)])
    assert (queue.enqueued, report.first_failed, report.events) == ([], None, {"license.created": 1})


def test_ttl_removals_are_counted() -> None:
    change = a_stream_change("REMOVE", old=a_license(), removed_by_ttl=True)
    report = _emitter(FakeWebhookSource([a_webhook()])).emit([change])
    assert (report.ttl_removals, report.messages_enqueued) == (1, 1)


def test_a_webhook_that_does_not_read_back_takes_only_itself_out_of_the_fan_out() -> None:
    # Given an account with a healthy webhook, one stored with a 0 ms timeout and one whose environment is unknown
    source = FakeWebhookSource(
        [
            a_webhook(webhook_id="healthy"),
            a_damaged_webhook(a_webhook(webhook_id="timeout"), read_timeout_ms=0),
            a_damaged_webhook(a_webhook(webhook_id="unroutable"), environment="qa"),
        ]
    )
    queue = FakeQueue()
    # When a license is created in that account
    report = _emitter(source, queue).emit([_created(1)])
    # Then the batch succeeds and the healthy webhook gets its event
    assert report.first_failed is None
    assert "healthy" in [message.webhook_id for message in queue.enqueued]
    # And the damaged webhook whose routing reads back gets it too (deliver logs it as failed, to recover later),
    # while the one whose routing does not is left out; both are counted
    assert sorted(message.webhook_id for message in queue.enqueued) == ["healthy", "timeout"]
    assert report.damaged_webhooks == 2
