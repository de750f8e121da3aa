"""The delivery log and the system's webhook writes against the template's tables in moto."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.integration.conftest import MotoAws
from tests.support.aws_faults import DynamoFaults
from tests.support.builders import NOW, a_delivery_record, a_stored_webhook, a_stream_change, a_webhook
from tests.support.delivery_log import DeliveryLogTable
from tests.support.sealing import FakeSealer
from webhooks.adapters.audit_log import DynamoAuditTrail
from webhooks.adapters.dynamo_batches import ROUNDS
from webhooks.adapters.dynamo_codec import from_item
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.adapters.webhook_system_writes import DynamoWebhookSystemWrites
from webhooks.catalogue import EventGroup
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus
from webhooks.delivery_log.queries import DeliveryFilters, DeliveryQueries
from webhooks.domain.audit import AuditAction, FieldChange
from webhooks.domain.derivation import derive
from webhooks.domain.operational_events import DisableReason
from webhooks.domain.principal import Principal, Role

ACME = Principal("acme", "viewer@acme", Role.READER)
WEBHOOK_ID = a_webhook().webhook_id


def _log(aws: MotoAws) -> DeliveryLogTable:
    return DeliveryLogTable(aws.session.client("dynamodb"), aws.deployed.tables["DeliveriesTable"])


def _store(aws: MotoAws) -> DynamoWebhookStore:
    client = aws.session.client("dynamodb")
    client.put_item(TableName=aws.deployed.tables["WebhooksTable"], Item=a_stored_webhook(a_webhook()))
    return DynamoWebhookStore(client, aws.deployed.tables["WebhooksTable"], FakeSealer())


def test_an_attempt_can_be_claimed_once_and_a_later_claim_is_told_who_holds_it(aws: MotoAws) -> None:
    log = _log(aws)
    pending = a_delivery_record(status=DeliveryStatus.PENDING, http_status=None)
    # Given an attempt claimed once
    assert log.claim(pending).token is not None
    # When it is claimed again, before and after its result is written
    again = log.claim(pending)
    succeeded = pending.model_copy(update={"status": DeliveryStatus.SUCCEEDED, "http_status": 200})
    assert log.complete_all([succeeded]) == set()
    after_result = log.claim(pending)
    # Then neither claims it, and each is given the record that holds it, read in the same call
    assert (again.token, again.earlier) == (None, pending)
    assert (after_result.token, after_result.earlier) == (None, succeeded)
    assert log.attempts(pending.delivery_id) == [succeeded]


def test_a_claim_whose_answer_is_lost_and_sent_again_by_botocore_is_still_ours(aws: MotoAws) -> None:
    # Given the claim's first answer is lost on the way back, so botocore sends the same request again
    client = aws.session.client("dynamodb")
    lost = DynamoFaults(client).lose_answer("PutItem", times=1)
    log = DeliveryLogTable(client, aws.deployed.tables["DeliveriesTable"])
    pending = a_delivery_record(status=DeliveryStatus.PENDING, http_status=None)
    # When the attempt is claimed
    claim = log.claim(pending)
    # Then the write went through twice and the second found this call's own claim, not somebody else's
    assert lost == [200]
    assert claim.token is not None
    # And another call still cannot claim it
    assert _log(aws).claim(pending).token is None


def test_the_stored_item_keeps_what_dynamodb_works_with_apart_and_the_attempt_whole(aws: MotoAws) -> None:
    # Given a completed attempt with headers, a response and a retry time
    record = a_delivery_record(
        request_headers={"webhook-id": "msg_1", "content-type": "application/json"},
        response_excerpt="ok",
        next_attempt_at=NOW + timedelta(minutes=1),
    )
    _log(aws).complete_all([record])
    # When the item is read raw
    item = aws.session.client("dynamodb").get_item(
        TableName=aws.deployed.tables["DeliveriesTable"],
        Key={"delivery_id": {"S": record.delivery_id}, "attempt": {"N": "1"}},
    )["Item"]
    # Then keys, index keys, filters and the TTL are attributes, the rest two JSON documents: the outcome, and
    # what was sent and came back
    assert set(item) == {
        "delivery_id", "attempt", "webhook_ref", "account_id", "event_id", "event", "status", "requested_at",
        "expires_at", "detail", "content",
    }  # fmt: skip
    assert json.loads(item["content"]["S"])["request_headers"] == record.request_headers
    assert json.loads(item["detail"]["S"])["http_status"] == record.http_status
    assert "request_headers" not in json.loads(item["detail"]["S"])
    # And it reads back as the same record
    assert _log(aws).attempts(record.delivery_id) == [record]


def test_the_indexes_keep_an_attempts_outcome_and_the_table_what_was_sent(aws: MotoAws) -> None:
    # Given an answered attempt that sent a body and got one back
    record = a_delivery_record(request_body='{"id": "lic_1"}', response_excerpt="ok", http_status=200)
    log = _log(aws)
    log.complete_all([record])
    # When it is read from a page of the webhook's log, by its event, and by its delivery
    [listed], _ = log.page_for_webhook(record.account_id, record.webhook_id, DeliveryFilters(), None, 10)
    [by_event] = log.for_event(record.event_id, record.account_id)
    [attempt] = log.attempts(record.delivery_id)
    # Then the indexes give its outcome without what was sent and came back; the delivery's read gives all of it
    sent: dict[str, Any] = {"request_body": None, "request_headers": {}, "response_excerpt": None}
    assert listed == by_event == record.model_copy(update=sent)
    assert attempt == record


def test_a_webhooks_deliveries_page_newest_first_with_filters_and_cursors(aws: MotoAws) -> None:
    log = _log(aws)
    for index in range(7):
        log.put(
            a_delivery_record(
                delivery_id=f"msg_{index}",
                event="license.updated" if index % 2 else "license.created",
                status=DeliveryStatus.FAILED if index == 3 else DeliveryStatus.SUCCEEDED,
                requested_at=NOW + timedelta(minutes=index),
            )
        )
    log.put(a_delivery_record(delivery_id="msg_other_account", account_id="globex"))
    queries = DeliveryQueries(_store(aws), log)
    first = queries.list_deliveries(ACME, WEBHOOK_ID, DeliveryFilters(), limit=3)
    second = queries.list_deliveries(ACME, WEBHOOK_ID, DeliveryFilters(), cursor=first.cursor, limit=3)
    third = queries.list_deliveries(ACME, WEBHOOK_ID, DeliveryFilters(), cursor=second.cursor, limit=3)
    pages = [[record.delivery_id for record in page.records] for page in (first, second, third)]
    assert pages == [["msg_6", "msg_5", "msg_4"], ["msg_3", "msg_2", "msg_1"], ["msg_0"]]
    assert third.cursor is None
    updated = queries.list_deliveries(ACME, WEBHOOK_ID, DeliveryFilters(event="license.updated"), limit=2)
    assert [record.delivery_id for record in updated.records] == ["msg_5", "msg_3"]
    failed = queries.list_deliveries(ACME, WEBHOOK_ID, DeliveryFilters(statuses=frozenset({DeliveryStatus.FAILED})))
    assert [record.delivery_id for record in failed.records] == ["msg_3"]
    window = DeliveryFilters(since=NOW + timedelta(minutes=2), until=NOW + timedelta(minutes=4))
    assert [r.delivery_id for r in queries.list_deliveries(ACME, WEBHOOK_ID, window).records] == [
        "msg_4",
        "msg_3",
        "msg_2",
    ]


def test_a_page_filtered_on_several_statuses_holds_the_attempts_of_any_of_them(aws: MotoAws) -> None:
    # Given attempts of every stored status
    log = _log(aws)
    for minute, status in enumerate(
        [DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED, DeliveryStatus.PENDING]
    ):
        log.put(
            a_delivery_record(delivery_id=f"msg_{status}", status=status, requested_at=NOW + timedelta(minutes=minute))
        )
    # When a page asks for failed or skipped attempts
    wanted = DeliveryFilters(statuses=frozenset({DeliveryStatus.FAILED, DeliveryStatus.SKIPPED}))
    records, last = log.page_for_webhook(ACME.account_id, WEBHOOK_ID, wanted, None, 10)
    # Then it holds those two, newest first, and nothing else
    assert ([record.delivery_id for record in records], last) == (["msg_skipped", "msg_failed"], None)


def test_deliveries_by_id_and_by_event_stay_in_the_account(aws: MotoAws) -> None:
    log = _log(aws)
    log.put(a_delivery_record())
    log.put(a_delivery_record(attempt=2, status=DeliveryStatus.FAILED))
    log.put(a_delivery_record(delivery_id="msg_globex", account_id="globex"))
    queries = DeliveryQueries(_store(aws), log)
    attempts = queries.get_delivery(ACME, WEBHOOK_ID, a_delivery_record().delivery_id)
    assert [record.attempt for record in attempts] == [1, 2]
    by_event = queries.deliveries_for_event(ACME, a_delivery_record().event_id)
    assert {record.account_id for record in by_event} == {"acme"}
    assert len(by_event) == 2


def test_a_gone_webhook_is_disabled_once_with_an_audit_record_and_a_webhook_disabled_event(aws: MotoAws) -> None:
    store = _store(aws)
    client = aws.session.client("dynamodb")
    writes = _system_writes(aws)
    gone = "the endpoint answered 410 Gone"
    assert writes.disable(a_webhook(), NOW, DisableReason.GONE, gone)
    assert not writes.disable(a_webhook(), NOW, DisableReason.GONE, gone)  # already disabled: no second audit
    webhook = store.get("acme", WEBHOOK_ID)
    assert webhook is not None
    assert (webhook.enabled, webhook.version, webhook.updated_by) == (False, 2, "system:deliver")
    # And the audit record reads back through the trail GET /webhooks/{id}/audit uses
    history, _ = DynamoAuditTrail(client, aws.deployed.tables["AuditTable"]).history("acme", WEBHOOK_ID, None, 10)
    (audit,) = history
    assert (audit.actor, audit.action, audit.version) == ("system:deliver", AuditAction.DISABLED, 2)
    assert audit.changes == {"enabled": FieldChange(before=True, after=False)}
    assert audit.reason == "the endpoint answered 410 Gone"
    # And one webhook.disabled was recorded in the same transaction, as emit's stream reads it
    (item,) = client.scan(TableName=aws.deployed.tables["OperationalEventsTable"])["Items"]
    (event,) = derive(a_stream_change(new=from_item(item)), EventGroup.OPERATIONAL)  # type: ignore[misc]
    assert (event.event, event.about_webhook_id, event.payload["reason"]) == ("webhook.disabled", WEBHOOK_ID, "gone")
    assert event.payload["disabled_by"] == "system:deliver"


def test_test_events_are_rate_limited_per_webhook(aws: MotoAws) -> None:
    _store(aws)
    writes = _system_writes(aws)
    assert writes.reserve_test_slot("acme", WEBHOOK_ID, NOW, 10) is None
    assert writes.reserve_test_slot("acme", WEBHOOK_ID, NOW + timedelta(seconds=4), 10) == 6
    assert writes.reserve_test_slot("acme", WEBHOOK_ID, NOW + timedelta(seconds=10), 10) is None
    assert writes.reserve_test_slot("globex", WEBHOOK_ID, NOW, 10) == 10  # no such webhook there


def _system_writes(aws: MotoAws) -> DynamoWebhookSystemWrites:
    tables = aws.deployed.tables
    client = aws.session.client("dynamodb")
    return DynamoWebhookSystemWrites(
        client, tables["WebhooksTable"], tables["AuditTable"], tables["OperationalEventsTable"]
    )


def _pending(index: int) -> DeliveryRecord:
    return a_delivery_record(delivery_id=f"msg_{index}", status=DeliveryStatus.PENDING, http_status=None)


def test_results_left_unprocessed_by_a_batch_write_are_written_on_a_later_round(aws: MotoAws) -> None:
    client = aws.session.client("dynamodb")
    waits: list[float] = []
    log = DeliveryLogTable(client, aws.deployed.tables["DeliveriesTable"], sleep=waits.append)
    claims = [_pending(index) for index in range(5)]
    assert all(log.claim(claim) for claim in claims)
    DynamoFaults(client).leave_unprocessed("BatchWriteItem", count=2, rounds=2)
    unwritten = log.complete_all([claim.model_copy(update={"status": DeliveryStatus.SUCCEEDED}) for claim in claims])
    assert unwritten == set()
    assert len(waits) == 2
    assert all(0 <= wait <= 0.1 for wait in waits)
    statuses = [[attempt.status for attempt in log.attempts(f"msg_{index}")] for index in range(5)]
    assert statuses == [[DeliveryStatus.SUCCEEDED]] * 5


def test_results_still_unprocessed_after_the_last_round_are_reported_and_stay_pending(aws: MotoAws) -> None:
    client = aws.session.client("dynamodb")
    log = DeliveryLogTable(client, aws.deployed.tables["DeliveriesTable"], sleep=lambda _: None)
    claims = [_pending(index) for index in range(3)]
    assert all(log.claim(claim) for claim in claims)
    DynamoFaults(client).leave_unprocessed("BatchWriteItem", count=1, rounds=ROUNDS)
    unwritten = log.complete_all([claim.model_copy(update={"status": DeliveryStatus.FAILED}) for claim in claims])
    assert unwritten == {("msg_2", 1)}
    statuses = [[attempt.status for attempt in log.attempts(f"msg_{index}")] for index in range(3)]
    assert statuses == [[DeliveryStatus.FAILED], [DeliveryStatus.FAILED], [DeliveryStatus.PENDING]]
