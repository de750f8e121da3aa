"""Every action a function is granted is one its code performs: each function is driven through the
paths that need its actions, and the calls its invocations made must be exactly what webhooks.permissions
declares. The other way round, every invocation fails on a call that is not declared (tests/support/handlers.py),
and test_template checks that each policy grants exactly what is declared."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from tests.integration.conftest import MotoAws
from tests.support.aws_calls import AwsCallRecorder
from tests.support.builders import a_delivery_message, a_delivery_record, a_license, a_webhook
from tests.support.events import sqs_event
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ManageApi
from tests.support.receivers import Receiver
from tests.support.streams import Platform
from webhooks.adapters.delivery_item import record_to_item
from webhooks.catalogue import Environment
from webhooks.delivery.record import DeliveryStatus
from webhooks.domain.webhook import RetryPolicy


def test_manage_performs_every_action_it_is_granted(aws: MotoAws, handler_for: Callable[..., LoadedHandler]) -> None:
    # Given the manage function, and a webhook an admin created that has one delivery in its log
    manage = handler_for("ManageFunction")
    api = ManageApi(manage)
    path = f"/webhooks/{(webhook_id := api.create()['webhook_id'])}"
    delivery = a_delivery_record(webhook_id=webhook_id)
    boto3.Session(region_name=aws.deployed.region).client("dynamodb").put_item(
        TableName=aws.deployed.tables["DeliveriesTable"], Item=record_to_item(delivery)
    )
    # When the admin lists, reads, reveals its secrets, reads its audit, sends a test event, reads its
    # deliveries (by webhook, by delivery and by event) and its stats, disables it and deletes it
    answers = [
        api("GET", "/webhooks"),
        api("GET", path),
        api("GET", f"{path}/secret"),
        api("GET", f"{path}/audit"),
        api("POST", f"{path}/test"),
        api("GET", f"{path}/deliveries"),
        api("GET", f"{path}/deliveries/{delivery.delivery_id}"),
        api("GET", "/deliveries", query={"event_id": delivery.event_id}),
        api("GET", f"{path}/stats"),
        api("PATCH", path, body={"enabled": False}),
        api("DELETE", path),
    ]
    # Then each was answered, and between them every declared action was performed
    assert [answer.status for answer in answers] == [200, 200, 200, 200, 202, 200, 200, 200, 200, 200, 204]
    assert manage.performed == AwsCallRecorder.declared("ManageFunction")


def test_emit_performs_every_action_it_is_granted(aws: MotoAws, handler_for: Callable[..., LoadedHandler]) -> None:
    # Given the emit function and a webhook for licenses
    emit = handler_for("EmitFunction")
    platform = Platform(aws.deployed)
    platform.register(a_webhook())
    # When a license is written, and one whose message is too large for SQS
    platform.put("LicensesTable", a_license())
    platform.put("LicensesTable", a_license(id="lic_large", notes="\x01" * 300_000))
    response = emit(platform.stream_event("LicensesTable"))
    # Then the first was enqueued, the second logged as too large, and every declared action was performed
    assert response == {"batchItemFailures": []}
    assert [body["payload"]["id"] for body in platform.received()] == ["lic_1"]
    assert emit.performed == AwsCallRecorder.declared("EmitFunction")


def test_deliver_performs_every_action_it_is_granted(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    # Given the deliver function and four webhooks with retries: answering 200, 503, 410 Gone, and 200 slowly
    deliver = handler_for(
        "DeliverFunction", ALLOW_LOOPBACK_DELIVERY="true", ALLOW_HTTP_FOR_DEVELOPMENT="true", SLOW_ATTEMPT_SECONDS="0.2"
    )
    webhooks = [
        a_webhook(
            webhook_id=f"wh-{answer}",
            url=receiver.url(f"/{answer}"),
            environment=Environment.DEVELOPMENT,
            retry_policy=RetryPolicy(max_attempts=3),
        )
        for answer in ("ok", "server-error", "gone", "slow")
    ]
    Platform(aws.deployed).register_sealed(*webhooks)  # as manage stores them: deliver opens them with KMS
    messages = [
        a_delivery_message(
            delivery_id=f"msg_{webhook.webhook_id}", webhook_id=webhook.webhook_id, environment=Environment.DEVELOPMENT
        ).model_dump_json()
        for webhook in webhooks
    ]
    slow_again = a_delivery_message(
        delivery_id="msg_slow_again", webhook_id="wh-slow", environment=Environment.DEVELOPMENT
    ).model_dump_json()
    # And a message of the ok one whose earlier handling crashed after its claim (pending, without the body)
    crashed = a_delivery_message(
        delivery_id="msg_crashed", webhook_id="wh-ok", environment=Environment.DEVELOPMENT
    ).model_dump_json()
    claim = a_delivery_record(
        delivery_id="msg_crashed", webhook_id="wh-ok", status=DeliveryStatus.PENDING, request_body=None
    )
    aws.session.client("dynamodb").put_item(
        TableName=aws.deployed.tables["DeliveriesTable"], Item=record_to_item(claim, claim="crashed-invocation")
    )
    # When a batch with a message for each is delivered, then another message for the slow one
    response = deliver(sqs_event(*messages, crashed))
    moved = deliver(sqs_event(slow_again))
    # Then each was posted (the 503 retried later, the 410 disabling its webhook, the slow one flagged and its
    # next message moved to the slow lane), and every declared action was performed
    assert response == moved == {"batchItemFailures": []}
    assert sorted(receiver.paths()) == ["/gone", "/ok", "/server-error", "/slow"]
    assert deliver.performed == AwsCallRecorder.declared("DeliverFunction")
