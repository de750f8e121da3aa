"""Key values several tables share (kept apart from the models, so reading them imports nothing heavy)."""

from __future__ import annotations

from typing import Any


def webhook_ref(account_id: str, webhook_id: str) -> str:
    """`account#webhook`: the partition of a webhook's deliveries (by-webhook index) and audit records."""
    return f"{account_id}#{webhook_id}"


def webhook_key(account_id: str, webhook_id: str) -> dict[str, Any]:
    """The webhooks table's key: account_id (hash) + webhook_id (range)."""
    return {"account_id": {"S": account_id}, "webhook_id": {"S": webhook_id}}
