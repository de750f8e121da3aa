"""The signed request a receiver gets (Standard Webhooks headers), signed by the spec's reference code."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from standardwebhooks.webhooks import Webhook as StandardWebhook

from webhooks.delivery.message import DeliveryMessage
from webhooks.domain.signing_keys import SignatureScheme, scheme_of, sign_v1a
from webhooks.domain.webhook import MAX_PREVIOUS_SECRETS

USER_AGENT = "LicensePlatform-Webhooks/1.0"
SIGNATURE_HEADER = "webhook-signature"
# One entry per secret that signs, the current one and the previous ones: `v1,` and the base64 of a 32-byte
# HMAC-SHA256, or `v1a,` and the base64 of a 64-byte Ed25519 signature.
_ENTRY = r"(v1,[A-Za-z0-9+/]{43}=|v1a,[A-Za-z0-9+/]{86}==)"
SIGNATURE_PATTERN = rf"^{_ENTRY}( {_ENTRY}){{0,{MAX_PREVIOUS_SECRETS}}}$"


class SignedHeaders(BaseModel):
    """The headers of every request, as `signed_headers` sets them (the OpenAPI document lists them)."""

    webhook_id: str = Field(
        alias="webhook-id",
        description="The delivery's id: one per (event, webhook), the same on every retry and redelivery. "
        "Deduplicate on it.",
    )
    webhook_timestamp: str = Field(
        alias="webhook-timestamp",
        pattern=r"^[0-9]+$",
        description="When this attempt was signed, in unix seconds (an integer). Refuse a request whose timestamp "
        "is more than 5 minutes from your clock.",
    )
    webhook_signature: str = Field(
        alias=SIGNATURE_HEADER,
        pattern=SIGNATURE_PATTERN,
        description="`v1,<base64 HMAC-SHA256 of '{webhook-id}.{webhook-timestamp}.{body}'>`, keyed with the "
        "base64-decoded part of your secret after `whsec_`; for a webhook with `signature_scheme` `v1a`, "
        "`v1a,<base64 Ed25519 signature of the same content>`, verified with its `whpk_` public key. During a "
        "rotation one more space-separated entry for each previous secret or key still in its grace period (at "
        f"most {MAX_PREVIOUS_SECRETS + 1} in all, either scheme). One matching entry is enough.",
    )
    content_type: Literal["application/json"] = Field(alias="content-type", description="The body is UTF-8 JSON.")
    user_agent: str = Field(
        alias="user-agent", description="The platform's sender.", json_schema_extra={"const": USER_AGENT}
    )
    x_webhook_event: str = Field(alias="x-webhook-event", description="The event name, as in the body's `event`.")


def encode_body(message: DeliveryMessage) -> str:
    """The exact JSON text sent (compact, UTF-8 unescaped); the signature covers these characters."""
    return json.dumps(message.body(), separators=(",", ":"), ensure_ascii=False)


def signed_headers(message: DeliveryMessage, body: str, secrets: list[str], now: datetime) -> dict[str, str]:
    """Standard Webhooks headers: one signature per valid secret (two during a rotation), `v1` by the spec's
    reference code, `v1a` over the same content."""
    content = f"{message.delivery_id}.{int(now.timestamp())}.{body}".encode()
    signatures = [
        sign_v1a(secret, content)
        if scheme_of(secret) is SignatureScheme.V1A
        else StandardWebhook(secret).sign(message.delivery_id, now, body)
        for secret in secrets
    ]
    return {
        "webhook-id": message.delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        SIGNATURE_HEADER: " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "x-webhook-event": message.event,
    }
