"""Signatures are the Standard Webhooks reference implementation's: its verifier accepts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.support.builders import NOW, SECRET, a_delivery_message, a_webhook
from webhooks.delivery.signing import encode_body, signed_headers
from webhooks.domain.webhook import SigningSecret

OLD_SECRET = "whsec_b2xkIHNlY3JldCBzdGlsbCBpbiBncmFjZQ=="


def _signed(secrets: list[str]) -> tuple[str, dict[str, str]]:
    message = a_delivery_message(payload={"name": "Zoë's licence", "seats": 5})
    body = encode_body(message)
    return body, signed_headers(message, body, secrets, datetime.now(UTC))


def test_the_signature_verifies_and_the_headers_describe_the_delivery() -> None:
    body, headers = _signed([SECRET])
    assert StandardWebhook(SECRET).verify(body.encode(), headers)["payload"]["name"] == "Zoë's licence"
    assert headers["webhook-id"] == a_delivery_message().delivery_id
    assert headers["x-webhook-event"] == "license.created"
    assert headers["content-type"] == "application/json"
    assert "Zoë" in body  # UTF-8 as is, not \\u escapes
    assert SECRET not in str(headers)


@pytest.mark.parametrize("tamper", ["body", "id", "timestamp"])
def test_an_altered_body_id_or_timestamp_fails_verification(tamper: str) -> None:
    body, headers = _signed([SECRET])
    if tamper == "body":
        body = body.replace("5", "6")
    elif tamper == "id":
        headers = headers | {"webhook-id": "msg_other"}
    else:
        headers = headers | {"webhook-timestamp": str(int(headers["webhook-timestamp"]) - 1)}
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(SECRET).verify(body.encode(), headers)


def test_during_a_rotation_both_secrets_sign_and_each_verifies() -> None:
    old = SigningSecret(value=SecretStr(OLD_SECRET), created_at=NOW, expires_at=datetime.now(UTC) + timedelta(hours=1))
    webhook = a_webhook(secrets=(SigningSecret(value=SecretStr(SECRET), created_at=NOW), old))
    body, headers = _signed(webhook.signing_secrets())
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (SECRET, OLD_SECRET):
        StandardWebhook(secret).verify(body.encode(), headers)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook("whsec_" + "QUJD" * 8).verify(body.encode(), headers)
