"""The sample receiver verifies real Standard Webhooks signatures and records every delivery."""

from __future__ import annotations

import base64
import datetime
import http.client
import json
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from local.receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"s" * 24).decode()


def post(url: str, body: str, headers: dict[str, str]) -> int:
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=10)
    connection.request("POST", target.path, body=body.encode(), headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def signed(body: str, delivery_id: str) -> dict[str, str]:
    moment = datetime.datetime.now(tz=datetime.UTC)
    return {
        "content-type": "application/json",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(delivery_id, moment, body),
    }


def test_a_signed_delivery_is_recorded_verified_and_an_unsigned_one_is_not():
    body = json.dumps({"event": "license.created", "payload": {"id": "lic-1"}})
    with Receiver() as receiver:
        receiver.add_secret(SECRET)

        assert post(receiver.endpoint, body, signed(body, "msg_1")) == 200
        assert post(receiver.endpoint, body, {"webhook-id": "msg_2"}) == 200

        first, second = receiver.deliveries
    assert (first.event, first.webhook_id, first.verified) == ("license.created", "msg_1", True)
    assert first.payload == {"event": "license.created", "payload": {"id": "lic-1"}}
    assert (second.webhook_id, second.verified) == ("msg_2", False)


def test_the_receiver_answers_what_it_is_told_and_only_on_its_path():
    body = json.dumps({"event": "license.deleted"})
    with Receiver() as receiver:
        receiver.add_secret(SECRET)
        receiver.respond_with = 503

        assert post(receiver.endpoint, body, signed(body, "msg_1")) == 503
        assert post(receiver.endpoint.replace("/webhooks", "/elsewhere"), body, signed(body, "msg_2")) == 404
        assert receiver.wait_until(lambda got: len(got) == 1, timeout_seconds=1)
        assert receiver.counts() == {"license.deleted": 1}
