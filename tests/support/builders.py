"""Builders for domain objects, shared by every test layer (override only what a test is about)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from tests.support.sealing import UNSEALED
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.webhook_store import WebhookItem, read_webhook
from webhooks.catalogue import Environment
from webhooks.delivery.message import DeliveryMessage, Trigger
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.derivation import StreamChange
from webhooks.domain.webhook import SigningSecret, Webhook

NOW = datetime(2026, 11, 29, 10, 0, 0, 123_000, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def a_webhook(**overrides: Any) -> Webhook:
    fields: dict[str, Any] = {
        "webhook_id": "5d1c3f0e-8a43-4a52-9a59-0c6f3f5d2b11",
        "account_id": "acme",
        "name": "Billing sync",
        "url": "https://hooks.example.com/licenses",
        "environment": Environment.PRODUCTION,
        "events": frozenset({"license.*"}),
        "secrets": (SigningSecret(value=SecretStr(SECRET), created_at=NOW),),
        "created_at": NOW,
        "updated_at": NOW,
        "created_by": "admin@acme",
        "updated_by": "admin@acme",
    }
    return Webhook(**(fields | overrides))


def a_stored_webhook(webhook: Webhook | None = None, **stored: Any) -> dict[str, Any]:
    """The DynamoDB item of `webhook` (a_webhook() by default) with attributes set as stored, by their stored
    names: one that does not read back (`read_timeout_ms=0`) makes a damaged item; None leaves one out.
    Its secrets are in the form written before they were sealed, which every reader reads without KMS."""
    return to_item(unsealed_document(webhook or a_webhook()) | stored)


def unsealed_document(webhook: Webhook) -> dict[str, Any]:
    """The stored document of `webhook` as written before secrets were sealed: each secret's value in plain text."""
    document = WebhookItem.from_entity(webhook, UNSEALED).to_document()
    document["secrets"] = [
        {"value": secret["sealed"], "created_at": secret["created_at"], "expires_at": secret["expires_at"]}
        for secret in document["secrets"]
    ]
    return document


def a_damaged_webhook(webhook: Webhook | None = None, **stored: Any) -> DamagedWebhook:
    """The damaged webhook the store reads from a_stored_webhook(webhook, **stored)."""
    damaged = read_webhook(a_stored_webhook(webhook, **stored), UNSEALED)
    assert isinstance(damaged, DamagedWebhook), "these stored values read back"
    return damaged


def a_delivery_message(**overrides: Any) -> DeliveryMessage:
    fields: dict[str, Any] = {
        "delivery_id": "msg_0123456789abcdef0123456789abcdef",
        "event_id": "evt_0123456789abcdef0123456789abcdef",
        "event": "license.created",
        "webhook_id": "5d1c3f0e-8a43-4a52-9a59-0c6f3f5d2b11",
        "account_id": "acme",
        "environment": Environment.PRODUCTION,
        "occurred_at": NOW,
        "payload": {"id": "lic_1", "account_id": "acme", "environment": "production", "seats": 5},
    }
    return DeliveryMessage(**(fields | overrides))


def a_delivery_record(**overrides: Any) -> DeliveryRecord:
    fields: dict[str, Any] = {
        "delivery_id": "msg_0123456789abcdef0123456789abcdef",
        "attempt": 1,
        "event_id": "evt_0123456789abcdef0123456789abcdef",
        "event": "license.created",
        "webhook_id": "5d1c3f0e-8a43-4a52-9a59-0c6f3f5d2b11",
        "account_id": "acme",
        "environment": "production",
        "trigger": Trigger.EVENT,
        "status": DeliveryStatus.SUCCEEDED,
        "requested_at": NOW,
        "http_status": 200,
        "request_body": a_delivery_message().model_dump_json(),
        "expires_at": int(NOW.timestamp()) + 30 * 86400,
    }
    return DeliveryRecord(**(fields | overrides))


def claims(account_id: str = "acme", *, role: str = "admin", subject: str | None = None) -> dict[str, str]:
    """JWT claims as the local token generator and API Gateway's JWT authorizer hand them over."""
    scope = "webhooks:read webhooks:write" if role == "admin" else "webhooks:read"
    return {"sub": subject or f"{role}@{account_id}", "account_id": account_id, "scope": scope}


def a_webhook_request(**overrides: Any) -> dict[str, Any]:
    """A valid POST /webhooks body."""
    return {
        "name": "Billing sync",
        "url": "https://hooks.example.com/licenses",
        "environment": "production",
        "events": ["license.*"],
    } | overrides


def a_license(**overrides: Any) -> dict[str, Any]:
    """A license item as platform services write it (plain JSON)."""
    fields: dict[str, Any] = {
        "id": "lic_1",
        "account_id": "acme",
        "environment": "production",
        "status": "inactive",
        "seats": 5,
        "product_id": "prod_1",
    }
    return fields | overrides


def a_stream_change(
    kind: str = "INSERT",
    *,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    table_name: str = "licenses-dev",
    sequence_number: str = "100",
    stream_event_id: str = "stream-event-1",
    removed_by_ttl: bool = False,
) -> StreamChange:
    """A stream change as the stream adapter reads it (images already plain JSON)."""
    image = new if new is not None else old
    return StreamChange(
        sequence_number=sequence_number,
        stream_event_id=stream_event_id,
        table_name=table_name,
        kind=kind,
        keys={"id": (image or {}).get("id", "lic_1")},
        occurred_at=NOW,
        old_image=old,
        new_image=new,
        removed_by_ttl=removed_by_ttl,
    )
