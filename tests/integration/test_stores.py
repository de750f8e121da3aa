"""The shared DynamoDB adapters against the template's tables in moto."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import MotoAws
from tests.support.aws_faults import DynamoFaults
from tests.support.builders import NOW, SECRET, a_stored_webhook, a_webhook, unsealed_document
from tests.support.delivery_log import DeliveryLogTable
from tests.support.sealing import FakeSealer
from webhooks.adapters.audit_log import DynamoAuditTrail
from webhooks.adapters.delivery_item import item_to_record
from webhooks.adapters.dynamo_batches import ROUNDS, KeysNotRead
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.keys import webhook_ref
from webhooks.adapters.operational_events import DynamoOperationalEvents
from webhooks.adapters.webhook_repository import DynamoWebhookRepository
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.delivery.message import Trigger
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.errors import WebhookDamaged
from webhooks.domain.webhook import RetryPolicy, Webhook


def _put(aws: MotoAws, webhook: Webhook) -> None:
    aws.session.client("dynamodb").put_item(
        TableName=aws.deployed.tables["WebhooksTable"], Item=a_stored_webhook(webhook)
    )


def test_a_webhook_round_trips_through_its_stored_item(aws: MotoAws) -> None:
    # Given a stored webhook with a retry policy and a custom timeout
    webhook = a_webhook(retry_policy=RetryPolicy(max_attempts=3), read_timeout_seconds=2.5)
    _put(aws, webhook)
    store = DynamoWebhookStore(aws.session.client("dynamodb"), aws.deployed.tables["WebhooksTable"], FakeSealer())
    # When it is read back
    # Then it is the same entity, and another account cannot read it
    assert store.get("acme", webhook.webhook_id) == webhook
    assert store.get("globex", webhook.webhook_id) is None


def test_an_accounts_webhooks_are_read_with_a_query_never_a_scan(aws: MotoAws) -> None:
    # Given 30 webhooks of one account and one of another
    for index in range(30):
        _put(aws, a_webhook(webhook_id=f"wh-{index:02}", description="d" * 400))
    _put(aws, a_webhook(webhook_id="other", account_id="globex"))
    store = DynamoWebhookStore(aws.session.client("dynamodb"), aws.deployed.tables["WebhooksTable"], FakeSealer())
    # When the account's webhooks are listed
    webhooks = store.list_for_account("acme")
    # Then all 30 come back, none of the other account's, and no Scan was made
    assert sorted(w.webhook_id for w in webhooks) == [f"wh-{index:02}" for index in range(30)]
    assert all(call.action != "dynamodb:Scan" for call in aws.recorder.calls)


def test_a_delivery_record_is_stored_with_its_index_keys_and_expiry(aws: MotoAws) -> None:
    record = DeliveryRecord(
        delivery_id="msg_1",
        attempt=1,
        event_id="evt_1",
        event="license.created",
        webhook_id="wh-1",
        account_id="acme",
        environment="production",
        trigger=Trigger.EVENT,
        status=DeliveryStatus.FAILED,
        error_kind=ErrorKind.PAYLOAD_TOO_LARGE,
        requested_at=NOW,
        expires_at=int((NOW + timedelta(days=30)).timestamp()),
    )
    DeliveryLogTable(aws.session.client("dynamodb"), aws.deployed.tables["DeliveriesTable"]).put(record)
    item = aws.session.client("dynamodb").get_item(
        TableName=aws.deployed.tables["DeliveriesTable"], Key={"delivery_id": {"S": "msg_1"}, "attempt": {"N": "1"}}
    )["Item"]
    assert item["webhook_ref"] == {"S": webhook_ref("acme", "wh-1")}
    assert item["expires_at"] == {"N": str(record.expires_at)}
    assert item_to_record(item) == record


def test_a_batch_of_webhooks_is_read_in_one_call_and_only_the_callers_keys_come_back(aws: MotoAws) -> None:
    # Given three webhooks of acme and one of globex
    for index in range(3):
        _put(aws, a_webhook(webhook_id=f"wh-{index}"))
    _put(aws, a_webhook(webhook_id="wh-0", account_id="globex", name="Globex"))
    store = DynamoWebhookStore(aws.session.client("dynamodb"), aws.deployed.tables["WebhooksTable"], FakeSealer())
    # When two of acme's, a missing one and acme's key of globex's id are read
    found = store.get_many([("acme", "wh-0"), ("acme", "wh-2"), ("acme", "missing"), ("acme", "wh-0")])
    # Then exactly the existing acme webhooks come back, from one BatchGetItem
    assert sorted(found) == [("acme", "wh-0"), ("acme", "wh-2")]
    assert found[("acme", "wh-0")] == a_webhook(webhook_id="wh-0")
    assert [call.action for call in aws.recorder.calls if call.resource == "WebhooksTable"].count(
        "dynamodb:BatchGetItem"
    ) == 1


def test_unprocessed_keys_are_read_again_and_still_unread_ones_raise(aws: MotoAws) -> None:
    for index in range(3):
        _put(aws, a_webhook(webhook_id=f"wh-{index}"))
    client = aws.session.client("dynamodb")
    waits: list[float] = []
    store = DynamoWebhookStore(client, aws.deployed.tables["WebhooksTable"], FakeSealer(), sleep=waits.append)
    keys = [("acme", f"wh-{index}") for index in range(3)]
    DynamoFaults(client).leave_unprocessed("BatchGetItem", count=1, rounds=1)
    assert sorted(store.get_many(keys)) == keys
    assert len(waits) == 1
    DynamoFaults(client).leave_unprocessed("BatchGetItem", count=1, rounds=ROUNDS)
    with pytest.raises(KeysNotRead):
        store.get_many(keys)


DAMAGED_ID = "ffffffff-0000-4000-8000-000000000000"


@pytest.mark.parametrize("read", ["deliver's batch read", "emit's account read", "manage's listing", "manage's read"])
def test_a_stored_webhook_that_does_not_read_back_is_read_as_damaged_apart_from_its_neighbours(
    aws: MotoAws, read: str
) -> None:
    # Given a healthy webhook and, next to it, one whose secret lost its created_at (pydantic's text quotes input)
    healthy = a_webhook()
    client, table = aws.session.client("dynamodb"), aws.deployed.tables["WebhooksTable"]
    client.put_item(TableName=table, Item=a_stored_webhook(healthy))
    document = unsealed_document(a_webhook(webhook_id=DAMAGED_ID))
    del document["secrets"][0]["created_at"]
    client.put_item(TableName=table, Item=to_item(document))
    store = DynamoWebhookStore(client, table, FakeSealer())
    repository = DynamoWebhookRepository(
        client,
        table,
        DynamoAuditTrail(client, aws.deployed.tables["AuditTable"]),
        FakeSealer(),
        DynamoOperationalEvents(client, aws.deployed.tables["OperationalEventsTable"]),
    )
    reads: dict[str, Callable[[], Sequence[Webhook | DamagedWebhook | None]]] = {
        "deliver's batch read": lambda: list(
            store.get_many([("acme", healthy.webhook_id), ("acme", DAMAGED_ID)]).values()
        ),
        "emit's account read": lambda: store.list_for_account("acme"),
        "manage's listing": lambda: list(repository.iterate("acme", None)),
        "manage's read": lambda: [repository.get("acme", healthy.webhook_id), repository.get("acme", DAMAGED_ID)],
    }
    # When deliver, emit or manage reads them
    webhooks = reads[read]()
    # Then the healthy one reads back whole, and the other as damaged, saying where it is wrong
    assert [webhook for webhook in webhooks if isinstance(webhook, Webhook)] == [healthy]
    (damaged,) = [webhook for webhook in webhooks if isinstance(webhook, DamagedWebhook)]
    assert (damaged.webhook_id, damaged.fields, damaged.version) == (DAMAGED_ID, ("secrets.0.created_at",), 1)
    # And no part of the secret is in what it shows or logs
    shown = f"{damaged!r} {damaged.detail} {damaged.error()!r} {''.join(traceback.format_exception(damaged.error()))}"
    assert SECRET.removeprefix("whsec_")[:8] not in shown


@pytest.mark.parametrize(
    ("stored", "fields"),
    [
        ({"read_timeout_ms": 0}, ("read_timeout_seconds",)),  # what a 0.0004 s timeout was stored as
        ({"connect_timeout_ms": Decimal("0.4")}, ("connect_timeout_seconds",)),
        ({"enabled": None}, ("enabled",)),  # missing: named, not filled in with the default
        ({"environment": "qa", "version": 0}, ("environment", "version")),
    ],
)
def test_a_use_case_that_needs_the_whole_webhook_gets_webhook_damaged(
    aws: MotoAws, stored: dict[str, Any], fields: tuple[str, ...]
) -> None:
    # Given a webhook stored with values that do not read back
    client, table = aws.session.client("dynamodb"), aws.deployed.tables["WebhooksTable"]
    client.put_item(TableName=table, Item=a_stored_webhook(**stored))
    # When a use case reads it whole (a redelivery, a test event, a secret reveal)
    with pytest.raises(WebhookDamaged) as raised:
        DynamoWebhookStore(client, table, FakeSealer()).get("acme", a_webhook().webhook_id)
    # Then the error names the fields, and the version to repair it at when that reads back
    assert raised.value.extensions["damaged_fields"] == list(fields)
    assert raised.value.extensions.get("current_version") == (None if "version" in fields else 1)
