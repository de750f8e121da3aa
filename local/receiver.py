"""A sample webhook receiver on loopback: verifies each POST with the `standardwebhooks` package and records it.

What a customer's endpoint does (see the customer guide): check the signature with the secret shown at
creation, then answer 2xx quickly. During a rotation it knows two secrets; `verified_by` says which
of them (by index, never the secret) verify a delivery. A `v1a` webhook's receiver knows its public key
(`whpk_`) instead, and checks the Ed25519 signature as the receiving guide's Python verifier does.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook

from local.loopback_endpoint import LoopbackEndpoint
from webhooks.domain.signing_keys import PUBLIC_KEY_PREFIX

SIGNATURE_TOLERANCE_SECONDS = 300  # as standardwebhooks checks a v1 timestamp


@dataclass(frozen=True)
class ReceivedDelivery:
    event: str
    webhook_id: str  # the delivery id (the `webhook-id` header), the same on a redelivery
    verified_by: tuple[int, ...]
    payload: dict[str, Any] | None
    received_at: float = field(default_factory=time.time)

    @property
    def verified(self) -> bool:
        return bool(self.verified_by)


def verifying_secrets(secrets: list[str], body: bytes, headers: dict[str, str]) -> tuple[int, ...]:
    """Indexes of the secrets (or `whpk_` public keys) whose signature is among the request's (any malformed
    header verifies none)."""
    return tuple(index for index, secret in enumerate(secrets) if _verifies(secret, body, headers))


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    if secret.startswith(PUBLIC_KEY_PREFIX):
        return _verifies_v1a(secret, body, headers)
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except Exception:  # standardwebhooks raises several types for a bad or missing signature
        return False
    return True


def _verifies_v1a(public_key: str, body: bytes, headers: dict[str, str]) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    message_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    content = f"{message_id}.{timestamp}.".encode() + body
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key.removeprefix(PUBLIC_KEY_PREFIX)))
    for entry in headers.get("webhook-signature", "").split():
        scheme, _, signature = entry.partition(",")
        try:
            if scheme == "v1a":
                key.verify(base64.b64decode(signature), content)
                return True
        except (InvalidSignature, ValueError):
            continue
    return False


class Receiver(LoopbackEndpoint):
    def __init__(self, port: int = 0, path: str = "/webhooks") -> None:
        super().__init__(port, name="receiver")
        self.path = path
        self.respond_with = 200
        self._secrets: list[str] = []
        self._deliveries: list[ReceivedDelivery] = []
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return self.url(self.path)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        return self.record(body, headers) if path == self.path else 404

    def add_secret(self, secret: str) -> None:
        with self._lock:
            self._secrets.append(secret)

    @property
    def deliveries(self) -> list[ReceivedDelivery]:
        with self._lock:
            return list(self._deliveries)

    def counts(self) -> Counter[str]:
        return Counter(delivery.event for delivery in self.deliveries)

    def wait_until(self, done: Callable[[list[ReceivedDelivery]], bool], timeout_seconds: float) -> bool:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if done(self.deliveries):
                return True
            time.sleep(0.1)
        return done(self.deliveries)

    def record(self, body: bytes, headers: dict[str, str]) -> int:
        with self._lock:
            secrets = list(self._secrets)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        event = payload.get("event") if isinstance(payload, dict) else None
        delivery = ReceivedDelivery(
            event=str(event or headers.get("x-webhook-event", "")),
            webhook_id=headers.get("webhook-id", ""),
            verified_by=verifying_secrets(secrets, body, headers),
            payload=payload if isinstance(payload, dict) else None,
        )
        with self._lock:
            self._deliveries.append(delivery)
        return self.respond_with
