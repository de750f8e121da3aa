"""The deliver handler end to end: moto's tables and queue, real loopback receivers, declared calls only."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import boto3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.integration.conftest import MotoAws
from tests.support.aws_faults import DynamoFaults
from tests.support.builders import NOW, SECRET, a_delivery_message, a_stored_webhook, a_webhook
from tests.support.delivery_log import DeliveryLogTable
from tests.support.events import sqs_event
from tests.support.handlers import LoadedHandler, function_clients
from tests.support.receivers import Receiver
from tests.support.sealing import FakeSealer
from webhooks.adapters.aws_clients import client
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.catalogue import Environment
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.record import DeliveryStatus, ErrorKind
from webhooks.domain.signing_keys import SignatureScheme, new_secret, public_key
from webhooks.domain.webhook import RetryPolicy, SigningSecret, Webhook

LOOPBACK = {"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"}


def _test_client(service: str) -> Any:
    """The test's own seeding and reading, kept out of the handler's recorded calls."""
    return boto3.Session(region_name="us-east-1").client(service)  # type: ignore[call-overload]


def _webhook(aws: MotoAws, receiver: Receiver, path: str, **overrides: object) -> Webhook:
    webhook = a_webhook(
        webhook_id=f"wh{path.replace('/', '-')}",
        url=receiver.url(path),
        environment=Environment.DEVELOPMENT,
        **overrides,
    )
    _test_client("dynamodb").put_item(TableName=aws.deployed.tables["WebhooksTable"], Item=a_stored_webhook(webhook))
    return webhook


def _message(webhook: Webhook, **overrides: object) -> DeliveryMessage:
    fields = {
        "delivery_id": f"msg_{webhook.webhook_id}",
        "webhook_id": webhook.webhook_id,
        "environment": Environment.DEVELOPMENT,
    }
    return a_delivery_message(**(fields | overrides))


def _log(aws: MotoAws) -> DeliveryLogTable:
    return DeliveryLogTable(_test_client("dynamodb"), aws.deployed.tables["DeliveriesTable"])


def test_a_batch_is_delivered_signed_and_logged_and_only_a_malformed_message_fails(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    deliver = handler_for("DeliverFunction", **LOOPBACK)
    ok, failing = _webhook(aws, receiver, "/ok"), _webhook(aws, receiver, "/client-error")
    event = sqs_event(_message(ok).model_dump_json(), _message(failing).model_dump_json(), '{"not": "a message"}')
    response = deliver(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": "message-2"}]}
    assert sorted(receiver.paths()) == ["/client-error", "/ok"]
    for request in receiver.requests:
        StandardWebhook(SECRET).verify(request.body, request.headers)
    (succeeded,) = _log(aws).attempts(f"msg_{ok.webhook_id}")
    (failed,) = _log(aws).attempts(f"msg_{failing.webhook_id}")
    assert (succeeded.status, succeeded.http_status) == (DeliveryStatus.SUCCEEDED, 200)
    assert (failed.status, failed.http_status, failed.response_excerpt) == (
        DeliveryStatus.FAILED,
        400,
        '{"error": "bad signature"}',
    )


def test_a_v1a_webhook_is_signed_with_its_ed25519_key_and_verifies_with_its_public_key(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    # Given a webhook whose secret is an Ed25519 private key
    key = new_secret(SignatureScheme.V1A)
    webhook = _webhook(aws, receiver, "/ok", secrets=(SigningSecret(value=SecretStr(key), created_at=NOW),))
    # When deliver sends it a message
    assert handler_for("DeliverFunction", **LOOPBACK)(sqs_event(_message(webhook).model_dump_json())) == {
        "batchItemFailures": []
    }
    # Then the one request carries one v1a signature that the public key verifies over id.timestamp.body
    (request,) = receiver.requests
    version, signature = request.headers["webhook-signature"].split(",")
    content = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(public_key(key)).removeprefix("whpk_")))
    public.verify(base64.b64decode(signature), content)  # raises InvalidSignature if it does not verify
    assert version == "v1a"
    (record,) = _log(aws).attempts(f"msg_{webhook.webhook_id}")
    assert record.status is DeliveryStatus.SUCCEEDED


def test_the_same_message_handed_over_twice_is_posted_once(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    deliver = handler_for("DeliverFunction", **LOOPBACK)
    body = _message(_webhook(aws, receiver, "/ok")).model_dump_json()
    assert deliver(sqs_event(body, body)) == {"batchItemFailures": []}
    assert deliver(sqs_event(body)) == {"batchItemFailures": []}
    assert receiver.paths() == ["/ok"]


def test_loopback_is_refused_without_the_local_setting(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    deliver = handler_for("DeliverFunction", ALLOW_HTTP_FOR_DEVELOPMENT="true")
    webhook = _webhook(aws, receiver, "/ok")
    deliver(sqs_event(_message(webhook).model_dump_json()))
    (record,) = _log(aws).attempts(f"msg_{webhook.webhook_id}")
    assert (record.status, record.error_kind) == (DeliveryStatus.FAILED, ErrorKind.BLOCKED_ADDRESS)
    assert receiver.requests == []


def test_a_failure_under_a_retry_policy_queues_the_next_attempt(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    deliver = handler_for("DeliverFunction", **LOOPBACK)
    webhook = _webhook(aws, receiver, "/server-error", retry_policy=RetryPolicy(max_attempts=3))
    deliver(sqs_event(_message(webhook).model_dump_json()))
    (record,) = _log(aws).attempts(f"msg_{webhook.webhook_id}")
    assert record.next_attempt_at is not None
    sqs = _test_client("sqs")
    queue = aws.deployed.queues["DeliveryQueue"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"


def test_410_gone_disables_a_webhook_under_a_retry_policy(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    deliver = handler_for("DeliverFunction", **LOOPBACK)
    webhook = _webhook(aws, receiver, "/gone", retry_policy=RetryPolicy(max_attempts=3))
    deliver(sqs_event(_message(webhook).model_dump_json()))
    store = DynamoWebhookStore(_test_client("dynamodb"), aws.deployed.tables["WebhooksTable"], FakeSealer())
    stored = store.get("acme", webhook.webhook_id)
    assert stored is not None
    assert stored.enabled is False
    audit = _test_client("dynamodb").scan(TableName=aws.deployed.tables["AuditTable"])["Items"]
    assert [json.loads(json.dumps(item["actor"])) for item in audit] == [{"S": "system:deliver"}]
    # and the next message to it is skipped without a request
    deliver(sqs_event(_message(webhook, delivery_id="msg_next").model_dump_json()))
    assert receiver.paths() == ["/gone"]


def test_a_throttled_claim_fails_only_its_message_and_sqs_retrying_the_batch_posts_each_once(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    # Given an endpoint known to answer quickly (it POSTs without leasing slots, so the batch's first
    # write is a claim), and a batch of three messages whose first claim DynamoDB throttles
    dynamodb = client("dynamodb")
    deliver = handler_for("DeliverFunction", **LOOPBACK).with_clients(function_clients(dynamodb=dynamodb))
    webhook = _webhook(aws, receiver, "/ok")
    deliver(sqs_event(_message(webhook, delivery_id="msg_earlier").model_dump_json()))
    receiver.requests.clear()
    bodies = [_message(webhook, delivery_id=f"msg_{index}").model_dump_json() for index in range(3)]
    DynamoFaults(dynamodb).throttle("PutItem", times=1)
    # When the batch is delivered, and SQS hands the whole batch over again
    first = deliver(sqs_event(*bodies))
    second = deliver(sqs_event(*bodies))
    # Then only the throttled message failed, nothing was claimed for it, and every message went out once
    assert len(first["batchItemFailures"]) == 1
    assert second == {"batchItemFailures": []}
    assert sorted(request.headers["webhook-id"] for request in receiver.requests) == ["msg_0", "msg_1", "msg_2"]
    attempts = [_log(aws).attempts(f"msg_{index}") for index in range(3)]
    assert [[(a.attempt, a.status) for a in each] for each in attempts] == [[(1, DeliveryStatus.SUCCEEDED)]] * 3


def test_a_batch_makes_one_webhook_read_and_one_result_write(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    # Given an endpoint whose first batch was all quick answers (its circuit leased slots, then marked it fast)
    deliver = handler_for("DeliverFunction", **LOOPBACK)
    webhook = _webhook(aws, receiver, "/ok")
    deliver(sqs_event(_message(webhook, delivery_id="msg_first").model_dump_json()))
    aws.recorder.calls.clear()
    # When a batch of four of its messages is delivered
    deliver(sqs_event(*(_message(webhook, delivery_id=f"msg_{index}").model_dump_json() for index in range(4))))
    calls = aws.recorder.calls
    actions = [call.action for call in calls]
    # One read of the batch's webhooks, whatever the batch size; the endpoint's circuit, read seconds ago
    # and known fast and free, is not read again.
    assert [call.resource for call in calls if call.action == "dynamodb:BatchGetItem"] == ["WebhooksTable"]
    assert actions.count("dynamodb:BatchWriteItem") == 1
    # One conditional claim per message; an endpoint known to be fast costs no circuit write.
    assert [call.resource for call in calls if call.action == "dynamodb:PutItem"] == ["DeliveriesTable"] * 4
    assert "dynamodb:GetItem" not in actions
