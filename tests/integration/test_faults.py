"""Faults, each stated as what must still hold: no delivery lost, no second POST, a visible record.

Already covered elsewhere (not repeated here):
- receivers answering 500 / 4xx / timing out / resetting / redirecting / sending 10 MB, at the HTTP
  sender: tests/integration/test_http_sender.py; rebinding and blocked addresses: test_destination.py;
- SendMessageBatch partial failure and throttling, a poison stream record: test_emit_failures.py;
- duplicated SQS messages: test_deliver_handler.py (the same message twice in a batch and again later);
- a crash between claim and result, a webhook changed since it was queued: tests/unit/test_delivering.py.
Here the same faults go through the deliver handler (the template's environment, moto's tables), where
what matters is the outcome SQS sees (a batch failure means SQS hands the message over again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest

from tests.integration.conftest import MotoAws
from tests.support.aws_faults import DynamoFaults
from tests.support.builders import a_delivery_message, a_stored_webhook, a_webhook
from tests.support.delivery_log import DeliveryLogTable
from tests.support.events import sqs_event
from tests.support.fakes import FailingTableWrites
from tests.support.handlers import LoadedHandler, function_clients
from tests.support.receivers import Receiver
from webhooks.adapters.aws_clients import client
from webhooks.catalogue import Environment
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.delivery_log.queries import as_seen_at
from webhooks.domain.webhook import Webhook

LOOPBACK = {"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"}
NO_FAILURES: dict[str, list[Any]] = {"batchItemFailures": []}


def _test_client(service: str) -> Any:
    """The test's own seeding and reading, kept out of the handler's recorded calls."""
    return boto3.Session(region_name="us-east-1").client(service)  # type: ignore[call-overload]


def _store(aws: MotoAws, webhook: Webhook) -> Webhook:
    item = a_stored_webhook(webhook)
    _test_client("dynamodb").put_item(TableName=aws.deployed.tables["WebhooksTable"], Item=item)
    return webhook


def _webhook(aws: MotoAws, receiver: Receiver, path: str, **overrides: Any) -> Webhook:
    fields = {"webhook_id": f"wh{path.replace('/', '-')}", "url": receiver.url(path)}
    return _store(aws, a_webhook(environment=Environment.DEVELOPMENT, **(fields | overrides)))


def _body(webhook: Webhook, delivery_id: str | None = None) -> str:
    message = a_delivery_message(
        delivery_id=delivery_id or f"msg_{webhook.webhook_id}",
        webhook_id=webhook.webhook_id,
        environment=Environment.DEVELOPMENT,
    )
    return message.model_dump_json()


def _record(aws: MotoAws, delivery_id: str) -> DeliveryRecord:
    """The delivery's one attempt, as the log reads it back."""
    log = DeliveryLogTable(_test_client("dynamodb"), aws.deployed.tables["DeliveriesTable"])
    attempts = log.attempts(delivery_id)
    assert [attempt.attempt for attempt in attempts] == [1], f"attempts of {delivery_id}: {attempts}"
    return attempts[0]


def _sqs_hands_it_over_again(deliver: LoadedHandler, event: dict[str, Any]) -> bool:
    """A reported batch item failure or a function error (an exception, or the process dying) both leave
    the message on the queue."""
    try:
        return bool(deliver(event)["batchItemFailures"])
    except (Exception, SystemExit):
        return True


@pytest.mark.parametrize(
    ("path", "status", "error_kind"),
    [
        pytest.param("/server-error", 503, ErrorKind.HTTP_STATUS, id="500s"),
        pytest.param("/never", None, ErrorKind.TIMEOUT, id="times out"),
        pytest.param("/reset", None, ErrorKind.CONNECTION, id="resets"),
        pytest.param("/redirect", 302, ErrorKind.REDIRECT, id="redirects to 169.254.169.254"),
    ],
)
def test_a_failing_receiver_gets_one_post_and_a_visible_failed_record_and_sqs_does_not_retry_it(  # noqa: PLR0917
    aws: MotoAws,
    receiver: Receiver,
    handler_for: Callable[..., LoadedHandler],
    path: str,
    status: int | None,
    error_kind: ErrorKind,
) -> None:
    """Guarantee: one POST per (event, webhook) by default, even when the receiver fails; the failure
    is logged with its kind; the metadata address a redirect names is never visited."""
    deliver = handler_for("DeliverFunction", **LOOPBACK)
    webhook = _webhook(aws, receiver, path, read_timeout_seconds=1)

    response = deliver(sqs_event(_body(webhook)))

    assert response == NO_FAILURES  # nothing for SQS to hand over again
    assert receiver.paths() == [path]  # and no request ever went to the redirect's Location
    record = _record(aws, f"msg_{webhook.webhook_id}")
    assert (record.status, record.http_status, record.error_kind) == (DeliveryStatus.FAILED, status, error_kind)


def test_a_10_mb_answer_is_a_success_logged_with_a_truncated_excerpt(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    """Guarantee: a huge answer neither fails the attempt nor fills the log: the excerpt is cut and flagged."""
    deliver = handler_for("DeliverFunction", **LOOPBACK)
    webhook = _webhook(aws, receiver, "/huge")

    assert deliver(sqs_event(_body(webhook))) == NO_FAILURES

    record = _record(aws, f"msg_{webhook.webhook_id}")
    assert (record.status, record.http_status, record.response_truncated) == (DeliveryStatus.SUCCEEDED, 200, True)
    assert record.response_excerpt is not None
    assert len(record.response_excerpt.encode()) <= 4096
    assert receiver.paths() == ["/huge"]


def test_a_claim_whose_answer_is_lost_is_sent_again_by_the_sdk_and_the_message_is_posted_once(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guarantee: a claim the table wrote but whose answer never came back is still this delivery's claim
    when the SDK sends it again, so the message is posted (once) rather than taken for a duplicate."""
    dynamodb = client("dynamodb")
    lost_answers = DynamoFaults(dynamodb).lose_answer("PutItem", times=1)
    deliver = handler_for("DeliverFunction", **LOOPBACK).with_clients(function_clients(dynamodb=dynamodb))
    webhook = _webhook(aws, receiver, "/ok")

    assert deliver(sqs_event(_body(webhook))) == NO_FAILURES

    assert lost_answers == [200]  # the claim's first answer was lost
    assert receiver.paths() == ["/ok"]
    assert _record(aws, f"msg_{webhook.webhook_id}").status is DeliveryStatus.SUCCEEDED


@pytest.mark.parametrize(
    "crash",
    [
        pytest.param(None, id="the result write is throttled"),
        pytest.param(SystemExit("the function was killed between POST and log"), id="a crash between POST and log"),
    ],
)
def test_when_the_result_cannot_be_logged_the_attempt_shows_as_unknown_and_is_never_posted_again(
    aws: MotoAws,
    receiver: Receiver,
    handler_for: Callable[..., LoadedHandler],
    monkeypatch: pytest.MonkeyPatch,
    crash: BaseException | None,
) -> None:
    """Guarantee: once a POST went out, the same SQS message handed over again never POSTs a second time;
    the claim written before the POST stays visible (pending, then `unknown` once the function is gone)."""
    fault = threading.Event()  # set: writes to the delivery log fail once the POST went out
    fault.set()
    deliveries_table = aws.deployed.tables["DeliveriesTable"]
    dynamodb = FailingTableWrites(
        client("dynamodb"), deliveries_table, failing=lambda: fault.is_set() and bool(receiver.requests), crash=crash
    )
    deliver = handler_for("DeliverFunction", **LOOPBACK).with_clients(function_clients(dynamodb=dynamodb))
    webhook = _webhook(aws, receiver, "/ok")
    event = sqs_event(_body(webhook))

    # When the result write after the POST fails (the failure or crash reaches SQS as a failed message)
    assert _sqs_hands_it_over_again(deliver, event)
    # Then the claim is what the log shows: pending now, unknown once the attempt has surely ended
    claim = _record(aws, f"msg_{webhook.webhook_id}")
    assert claim.status is DeliveryStatus.PENDING
    seen = as_seen_at(claim, claim.requested_at + timedelta(minutes=5))
    assert (seen.status, seen.error_kind) == (DeliveryStatus.UNKNOWN, ErrorKind.CRASHED)
    # And when SQS hands the same message over again (the fault passed), nothing is posted a second time,
    # and the claim (written without the body, which the result was to write) is given the body that was
    # sent, so an admin can still redeliver it
    fault.clear()
    assert deliver(event) == NO_FAILURES
    assert receiver.paths() == ["/ok"]
    kept = _record(aws, f"msg_{webhook.webhook_id}")
    assert (kept.status, kept.request_body) == (DeliveryStatus.PENDING, receiver.requests[0].body.decode())


def test_a_webhook_disabled_while_its_messages_are_queued_gets_nothing_and_each_skip_is_logged(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    """Guarantee: only active webhooks are delivered to, re-checked at send time; a skip is a visible record."""
    deliver = handler_for("DeliverFunction", **LOOPBACK)
    webhook = _webhook(aws, receiver, "/ok")
    queue, sqs = aws.deployed.queues["DeliveryQueue"], _test_client("sqs")
    for number in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=_body(webhook, delivery_id=f"msg_queued_{number}"))

    # When the webhook is disabled before the queued messages are delivered
    _store(aws, webhook.model_copy(update={"enabled": False, "version": webhook.version + 1}))
    queued = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    response = deliver(sqs_event(*(message["Body"] for message in queued)))

    # Then no POST is made, no message is retried, and each is logged as skipped with the reason
    assert response == NO_FAILURES
    assert receiver.requests == []
    for number in range(3):
        record = _record(aws, f"msg_queued_{number}")
        assert (record.status, record.error_kind) == (DeliveryStatus.SKIPPED, ErrorKind.WEBHOOK_DISABLED)
