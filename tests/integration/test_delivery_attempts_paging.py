"""A delivery's attempts are read whole even when their kept bodies fill more than one 1 MB Query page."""

from __future__ import annotations

from tests.integration.conftest import MotoAws
from tests.support.builders import a_delivery_message, a_delivery_record, a_webhook
from tests.support.delivery_log import DeliveryLogTable
from tests.support.fakes import InMemoryWebhooks, RecordingQueue
from webhooks.delivery.deliverer import STORED_BODY_LIMIT_BYTES
from webhooks.delivery.signing import encode_body
from webhooks.delivery_log.redelivery import ManualDeliveries
from webhooks.domain.principal import Principal, Role

ADMIN = Principal("acme", "admin@acme", Role.ADMIN)
ATTEMPTS = 5


def _large_body() -> str:
    """A body just under what the log keeps for redelivery (four of them exceed a Query page)."""
    body = encode_body(a_delivery_message(payload={"notes": ""}))
    return encode_body(a_delivery_message(payload={"notes": "n" * (STORED_BODY_LIMIT_BYTES - len(body) - 64)}))


def test_every_attempt_of_a_delivery_with_a_large_body_is_read_and_a_redelivery_takes_the_next(aws: MotoAws) -> None:
    # Given a delivery with five attempts, each keeping a body of almost 256 KiB
    log = DeliveryLogTable(aws.session.client("dynamodb"), aws.deployed.tables["DeliveriesTable"])
    body = _large_body()
    for attempt in range(1, ATTEMPTS + 1):
        log.put(a_delivery_record(attempt=attempt, request_body=body))
    # When its attempts are read, and an admin redelivers it
    attempts = log.attempts(a_delivery_record().delivery_id)
    webhooks = InMemoryWebhooks()
    webhooks.add(a_webhook())
    queue = RecordingQueue()
    accepted = ManualDeliveries(webhooks, log, queue, webhooks).redeliver(
        ADMIN, a_webhook().webhook_id, a_delivery_record().delivery_id
    )
    # Then every attempt is there, and the redelivery is a new attempt (not one already taken)
    assert [record.attempt for record in sorted(attempts, key=lambda r: r.attempt)] == list(range(1, ATTEMPTS + 1))
    assert accepted.attempt == ATTEMPTS + 1
