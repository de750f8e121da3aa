"""The demo's verdict and table, and the receiver's signature check with a real Standard Webhooks signature."""

from __future__ import annotations

import base64
import datetime
from collections import Counter

from standardwebhooks import Webhook

from local.demo import demo_passed, duplicate_deliveries, event_rows, render_table
from local.demo_records import demo_writes, expected_events
from local.receiver import ReceivedDelivery, verifying_secrets
from webhooks.catalogue import DOMAIN_EVENTS

SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()
ROTATED_SECRET = "whsec_" + base64.b64encode(b"r" * 24).decode()


def signed_headers(body: str, *secrets: str, delivery_id: str = "msg_1") -> dict[str, str]:
    moment = datetime.datetime.now(tz=datetime.UTC)
    signatures = " ".join(Webhook(secret).sign(delivery_id, moment, body) for secret in secrets)
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }


def test_a_body_signed_with_the_secret_verifies():
    body = '{"event": "license.created"}'

    assert verifying_secrets([SECRET], body.encode(), signed_headers(body, SECRET)) == (0,)


def test_a_tampered_body_or_another_secret_does_not_verify():
    body = '{"event": "license.created"}'
    headers = signed_headers(body, SECRET)

    assert verifying_secrets([SECRET], b'{"event": "license.deleted"}', headers) == ()
    assert verifying_secrets([ROTATED_SECRET], body.encode(), headers) == ()
    assert verifying_secrets([SECRET], body.encode(), {}) == ()
    assert verifying_secrets([SECRET], body.encode(), headers | {"webhook-signature": "garbage"}) == ()


def test_during_a_rotation_both_signatures_verify():
    body = '{"event": "license.created"}'

    assert verifying_secrets([SECRET, ROTATED_SECRET], body.encode(), signed_headers(body, SECRET, ROTATED_SECRET)) == (
        0,
        1,
    )


def test_the_demo_writes_expect_every_catalogue_event():
    expected = expected_events(demo_writes("acme", "development", run="r1"))

    assert set(expected) == {event.name for event in DOMAIN_EVENTS}
    assert expected["license.updated"] == 6
    assert expected["activation.failed"] == 2
    assert expected["contract.updated"] == 2
    assert expected.total() == 26


def test_every_demo_item_carries_its_id_account_and_environment():
    for write in demo_writes("acme", "development", run="r1"):
        if write.action == "put":
            assert {"id", "account_id", "environment"} <= set(write.item)
            assert (write.item["account_id"], write.item["environment"]) == ("acme", "development")
        else:
            assert set(write.item) == {"id"}


def deliveries_for(expected: Counter[str], *, verified: bool = True) -> list[ReceivedDelivery]:
    return [
        ReceivedDelivery(event, f"msg_{event}_{n}", (0,) if verified else (), None)
        for event, count in expected.items()
        for n in range(count)
    ]


def test_the_demo_passes_when_every_expected_delivery_arrived_once_verified():
    expected = expected_events(demo_writes("acme", "development", run="r1"))
    deliveries = deliveries_for(expected)
    log = {delivery.webhook_id: "succeeded" for delivery in deliveries}

    rows = event_rows(expected, deliveries, log)

    assert demo_passed(rows, deliveries)
    assert [row.event for row in rows] == [event.name for event in DOMAIN_EVENTS]
    table = render_table(rows)
    assert "license.updated" in table
    assert "succeeded x6" in table
    assert "MISSING" not in table


def test_the_demo_fails_on_a_missing_event():
    expected = expected_events(demo_writes("acme", "development", run="r1"))
    deliveries = [d for d in deliveries_for(expected) if d.event != "contract.suspended"]

    rows = event_rows(expected, deliveries, {})

    assert not demo_passed(rows, deliveries)
    assert "MISSING" in render_table(rows)
    assert "missing x" in render_table(rows)  # no delivery-log record for them either


def test_the_demo_fails_on_a_duplicate_delivery():
    expected = Counter({event.name: 1 for event in DOMAIN_EVENTS})
    deliveries = deliveries_for(expected)
    deliveries.append(deliveries[0])

    assert duplicate_deliveries(deliveries) == [deliveries[0].webhook_id]
    assert not demo_passed(event_rows(expected + Counter({deliveries[0].event: 1}), deliveries, {}), deliveries)


def test_the_demo_fails_on_an_unverified_delivery():
    expected = Counter({event.name: 1 for event in DOMAIN_EVENTS})
    deliveries = deliveries_for(expected, verified=False)

    assert not demo_passed(event_rows(expected, deliveries, {}), deliveries)


def test_the_demo_fails_on_an_event_it_did_not_expect():
    expected = Counter({event.name: 1 for event in DOMAIN_EVENTS})
    deliveries = [*deliveries_for(expected), ReceivedDelivery("webhook.test", "msg_test", (0,), None)]

    assert not demo_passed(event_rows(expected, deliveries, {}), deliveries)
