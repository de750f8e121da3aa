"""The signed request a receiver gets (Standard Webhooks headers), signed by the spec's reference code."""

from __future__ import annotations

import json
from datetime import datetime

from standardwebhooks.webhooks import Webhook as StandardWebhook

from webhooks.delivery.message import DeliveryMessage

USER_AGENT = "LicensePlatform-Webhooks/1.0"
SIGNATURE_HEADER = "webhook-signature"


def encode_body(message: DeliveryMessage) -> str:
    """The exact JSON text sent (compact, UTF-8 unescaped); the signature covers these characters."""
    return json.dumps(message.body(), separators=(",", ":"), ensure_ascii=False)


def signed_headers(message: DeliveryMessage, body: str, secrets: list[str], now: datetime) -> dict[str, str]:
    """Standard Webhooks headers: one `v1,...` signature per valid secret (two during a rotation)."""
    signatures = [StandardWebhook(secret).sign(message.delivery_id, now, body) for secret in secrets]
    return {
        "webhook-id": message.delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        SIGNATURE_HEADER: " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "x-webhook-event": message.event,
    }
