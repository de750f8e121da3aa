"""Issue 19, emit and deliver: a stored webhook that does not read back fails alone. Its account's other
webhooks still get every event, its own deliveries are logged as failed (recoverable once it is repaired),
and both functions count it in the DamagedWebhooks metric that the alarm watches."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import a_license, a_stored_webhook, a_webhook
from tests.support.delivery_log import DeliveryLogTable
from tests.support.events import sqs_event
from tests.support.handlers import LoadedHandler
from tests.support.receivers import Receiver
from tests.support.streams import Platform
from webhooks.catalogue import Environment
from webhooks.delivery.record import DeliveryStatus, ErrorKind

LOOPBACK = {"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"}


def _metric_total(output: str, name: str) -> float:
    """The sum of one metric over the EMF lines the handlers printed (a value, or a list of them)."""
    values = [json.loads(line).get(name, []) for line in output.splitlines() if '"_aws"' in line]
    return sum(sum(value) if isinstance(value, list) else value for value in values)


def test_one_damaged_webhook_does_not_stop_the_accounts_other_webhooks(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an account with a healthy webhook and one stored with a 0 ms read timeout (what 0.0004 s became)
    platform = Platform(aws.deployed)
    development = {"environment": Environment.DEVELOPMENT, "url": receiver.url("/ok")}
    healthy = a_webhook(webhook_id="healthy", **development)
    damaged = a_webhook(webhook_id="damaged", **development)
    platform.register(healthy)
    platform.store(a_stored_webhook(damaged, read_timeout_ms=0))
    capsys.readouterr()
    # When a license of that account is created, and emit and then deliver handle it
    platform.put("LicensesTable", a_license(environment="development"))
    emitted = handler_for("EmitFunction")(platform.stream_event("LicensesTable"))
    messages = platform.received()
    delivered = handler_for("DeliverFunction", **LOOPBACK)(sqs_event(*messages))
    # Then neither function fails a record: the stream moves on and SQS hands nothing over again
    assert emitted == {"batchItemFailures": []}
    assert delivered == {"batchItemFailures": []}
    # And the healthy webhook got its event
    assert receiver.paths() == ["/ok"]
    assert [request.headers["webhook-id"] for request in receiver.requests] == [
        message["delivery_id"] for message in messages if message["webhook_id"] == "healthy"
    ]
    # And the damaged one's delivery is logged as failed, naming the field, and was never sent
    (message,) = [message for message in messages if message["webhook_id"] == "damaged"]
    log = DeliveryLogTable(aws.session.client("dynamodb"), aws.deployed.tables["DeliveriesTable"])
    record = log.get(message["delivery_id"], 1)
    assert record is not None
    assert (record.status, record.error_kind) == (DeliveryStatus.FAILED, ErrorKind.WEBHOOK_DAMAGED)
    assert "read_timeout_seconds" in (record.error_detail or "")
    # And emit and deliver each counted it in the metric the alarm watches
    output = capsys.readouterr().out
    assert _metric_total(output, "DamagedWebhooks") == 2
