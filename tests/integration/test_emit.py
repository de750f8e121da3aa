"""The emit handler against the template's data plane: real table writes, real stream records, real queue."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import a_license, a_webhook
from tests.support.handlers import LoadedHandler
from tests.support.streams import Platform
from webhooks.adapters.delivery_item import item_to_record
from webhooks.catalogue import Environment
from webhooks.delivery.record import DeliveryStatus, ErrorKind
from webhooks.domain.ids import delivery_id, event_id


@pytest.fixture
def platform(aws: MotoAws) -> Platform:
    return Platform(aws.deployed)


@pytest.fixture
def emit(handler_for: Callable[..., LoadedHandler]) -> LoadedHandler:
    return handler_for("EmitFunction")


def test_a_license_lifecycle_reaches_every_matching_webhook(platform: Platform, emit: LoadedHandler) -> None:
    # Given two webhooks of acme production subscribed to licenses, and three that must not receive
    platform.register(
        a_webhook(webhook_id="all-licenses", events=frozenset({"license.*"})),
        a_webhook(webhook_id="everything", events=frozenset({"*"})),
        a_webhook(webhook_id="disabled", enabled=False),
        a_webhook(webhook_id="staging", environment=Environment.STAGING),
        a_webhook(webhook_id="other-account", account_id="globex"),
    )
    # When a license is created, activated and deleted, and emit gets the stream records
    platform.put("LicensesTable", a_license(price=12.5, tags={"b", "a"}))
    platform.update("LicensesTable", "lic_1", status="active")
    platform.delete("LicensesTable", "lic_1")
    event = platform.stream_event("LicensesTable")
    response = emit(event)
    # Then the batch succeeded and each of the two webhooks got the four events
    assert response == {"batchItemFailures": []}
    received = platform.received()
    by_webhook = {(body["webhook_id"], body["event"]) for body in received}
    expected_events = {"license.created", "license.updated", "license.activated", "license.deleted"}
    assert by_webhook == {(hook, name) for hook in ("all-licenses", "everything") for name in expected_events}
    assert len(received) == 8
    # And a message is the wire contract: plain JSON payload, previous attributes on the update, stable ids
    activated = next(b for b in received if b["event"] == "license.activated" and b["webhook_id"] == "everything")
    assert activated["payload"] == a_license(price=12.5, tags=["a", "b"], status="active")
    assert activated["previous_attributes"] == {"status": "inactive"}
    assert activated["environment"] == "production"
    modify_record = event["Records"][1]
    assert activated["event_id"] == event_id(modify_record["eventID"], "license.activated")
    assert activated["delivery_id"] == delivery_id(activated["event_id"], "everything")
    deleted = next(b for b in received if b["event"] == "license.deleted")
    assert deleted["payload"]["status"] == "active"
    assert "previous_attributes" not in deleted or deleted["previous_attributes"] is None


def test_each_message_is_grouped_by_its_webhook_so_fair_queues_serve_each_endpoint_as_a_tenant(
    platform: Platform, emit: LoadedHandler
) -> None:
    # Given two webhooks of one account subscribed to licenses
    platform.register(a_webhook(webhook_id="noisy"), a_webhook(webhook_id="quiet"))
    # When three licenses are created
    for number in range(3):
        platform.put("LicensesTable", a_license(id=f"lic_{number}"))
    emit(platform.stream_event("LicensesTable"))
    # Then every message on the (standard) queue carries its webhook's id as its message group
    received = platform.received_by_group()
    assert len(received) == 6
    assert all(group == body["webhook_id"] for group, body in received)
    assert {group for group, _ in received} == {"noisy", "quiet"}


def test_a_stream_retry_yields_the_same_event_and_delivery_ids(platform: Platform, emit: LoadedHandler) -> None:
    # Given a webhook and one stream record
    platform.register(a_webhook())
    platform.put("LicensesTable", a_license())
    event = platform.stream_event("LicensesTable")
    # When the same batch is handed over twice (as a stream retry does)
    emit(event)
    emit(event)
    # Then both messages carry the same ids, so deliver can drop the duplicate
    first, second = platform.received()
    assert (first["event_id"], first["delivery_id"]) == (second["event_id"], second["delivery_id"])


def test_every_domain_table_is_an_entity(platform: Platform, emit: LoadedHandler) -> None:
    # Given a webhook subscribed to everything
    platform.register(a_webhook(events=frozenset({"*"})))
    # When each domain table gets an item, and an activation fails, and a contract is suspended
    base = {"account_id": "acme", "environment": "production"}
    platform.put("ActivationsTable", {"id": "act_1", "status": "ok"} | base)
    platform.update("ActivationsTable", "act_1", status="failed")
    platform.put("ProductsTable", {"id": "prod_1", "name": "Pro"} | base)
    platform.update("ProductsTable", "prod_1", name="Pro 2")
    platform.put("ContractsTable", {"id": "con_1", "status": "active"} | base)
    platform.update("ContractsTable", "con_1", status="suspended")
    emit(platform.stream_event("ActivationsTable", "ProductsTable", "ContractsTable"))
    # Then each change became its events
    assert sorted(body["event"] for body in platform.received()) == sorted(
        [
            "activation.created",
            "activation.failed",
            "product.created",
            "product.updated",
            "contract.created",
            "contract.updated",
            "contract.suspended",
        ]
    )


def test_an_identical_re_put_emits_nothing(platform: Platform, emit: LoadedHandler) -> None:
    # Given a license already emitted
    platform.register(a_webhook())
    platform.put("LicensesTable", a_license())
    emit(platform.stream_event("LicensesTable"))
    platform.received()
    # When the same item is put again (moto streams a MODIFY with equal images; AWS streams none)
    platform.put("LicensesTable", a_license())
    event = platform.stream_event("LicensesTable")
    assert [record["eventName"] for record in event["Records"]] == ["MODIFY"]
    # Then nothing is enqueued
    assert emit(event) == {"batchItemFailures": []}
    assert platform.received() == []


def test_unroutable_records_are_skipped_not_retried(
    platform: Platform, emit: LoadedHandler, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a webhook, and items without an account, without an environment and with an unknown environment
    platform.register(a_webhook())
    platform.put("LicensesTable", {"id": "lic_orphan", "environment": "production"})
    platform.put("LicensesTable", {"id": "lic_nowhere", "account_id": "acme"})
    platform.put("LicensesTable", {"id": "lic_qa", "account_id": "acme", "environment": "qa"})
    platform.put("LicensesTable", a_license(id="lic_ok"))
    # When emit handles them
    response = emit(platform.stream_event("LicensesTable"))
    # Then the batch succeeds, only the routable license is enqueued, and the others are logged by key
    assert response == {"batchItemFailures": []}
    assert [body["payload"]["id"] for body in platform.received()] == ["lic_ok"]
    unroutable = [record.__dict__ for record in caplog.records if record.getMessage() == "unroutable stream record"]
    assert [(line["reason"], line["keys"]) for line in unroutable] == [
        ("missing_account_id", {"id": "lic_orphan"}),
        ("missing_environment", {"id": "lic_nowhere"}),
        ("unknown_environment", {"id": "lic_qa"}),
    ]
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [line["Unroutable"] for line in metrics if "Unroutable" in line] == [[3.0]]


def test_a_ttl_removal_is_still_a_deletion_and_is_marked(
    platform: Platform, emit: LoadedHandler, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a webhook and a license that DynamoDB's TTL process removed (moto does not run TTL: the
    # real REMOVE record gets the userIdentity AWS puts on TTL deletions)
    platform.register(a_webhook())
    platform.put("LicensesTable", a_license())
    platform.stream_event("LicensesTable")
    platform.delete("LicensesTable", "lic_1")
    event = platform.stream_event("LicensesTable")
    event["Records"][0]["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    # When emit handles it
    emit(event)
    # Then the webhook gets license.deleted, and the log marks it as removed by TTL
    assert [body["event"] for body in platform.received()] == ["license.deleted"]
    derived = [record.__dict__ for record in caplog.records if record.getMessage() == "event derived"]
    assert [(line["event"], line["removed_by_ttl"]) for line in derived] == [("license.deleted", True)]


def test_governance_drops_what_the_deployment_does_not_deliver(
    platform: Platform, handler_for: Callable[..., LoadedHandler]
) -> None:
    # Given a deployment delivering only production license.created, and webhooks of every kind
    emit = handler_for("EmitFunction", PERMITTED_ENVIRONMENTS="production", PERMITTED_EVENTS="license.created")
    platform.register(
        a_webhook(webhook_id="prod", events=frozenset({"*"})),
        a_webhook(webhook_id="staging", events=frozenset({"*"}), environment=Environment.STAGING),
    )
    # When a production and a staging license are created and the production one updated
    platform.put("LicensesTable", a_license())
    platform.put("LicensesTable", a_license(id="lic_2", environment="staging"))
    platform.update("LicensesTable", "lic_1", seats=6)
    emit(platform.stream_event("LicensesTable"))
    # Then only the production license.created is enqueued
    assert [(b["webhook_id"], b["event"]) for b in platform.received()] == [("prod", "license.created")]


def test_a_message_too_large_for_sqs_becomes_a_failed_delivery_record(
    aws: MotoAws, platform: Platform, emit: LoadedHandler
) -> None:
    # Given a webhook, and a license whose JSON exceeds SQS's limit (control characters escape to 6 bytes)
    platform.register(a_webhook())
    platform.put("LicensesTable", a_license(notes="\x01" * 300_000))
    platform.put("LicensesTable", a_license(id="lic_small"))
    # When emit handles it
    response = emit(platform.stream_event("LicensesTable"))
    # Then the batch succeeds, the small license is enqueued, and the large one is logged as payload_too_large
    assert response == {"batchItemFailures": []}
    assert [body["payload"]["id"] for body in platform.received()] == ["lic_small"]
    items = platform.dynamodb.scan(TableName=aws.deployed.tables["DeliveriesTable"])["Items"]
    assert len(items) == 1
    record = item_to_record(items[0])
    assert (record.status, record.error_kind) == (DeliveryStatus.FAILED, ErrorKind.PAYLOAD_TOO_LARGE)
    assert record.webhook_id == a_webhook().webhook_id
    assert record.expires_at > 0


def test_every_batch_reads_the_accounts_webhooks_afresh(aws: MotoAws, platform: Platform, emit: LoadedHandler) -> None:
    # Given a webhook, and a first batch of its account delivered to it
    webhook = a_webhook()
    platform.register(webhook)
    platform.put("LicensesTable", a_license())
    emit(platform.stream_event("LicensesTable"))
    # When the webhook is disabled and the next batch of the account arrives
    platform.register(webhook.model_copy(update={"enabled": False, "version": 2}))
    platform.put("LicensesTable", a_license(id="lic_2"))
    emit(platform.stream_event("LicensesTable"))
    # Then only the first was enqueued: each batch made its own Query of the account's webhooks
    assert [body["payload"]["id"] for body in platform.received()] == ["lic_1"]
    assert [call.action for call in aws.recorder.calls] == ["dynamodb:Query", "sqs:SendMessage", "dynamodb:Query"]
