"""Key values several tables share (kept apart from the models, so reading them imports nothing heavy)."""

from __future__ import annotations


def webhook_ref(account_id: str, webhook_id: str) -> str:
    """`account#webhook`: the partition of a webhook's deliveries (by-webhook index) and audit records."""
    return f"{account_id}#{webhook_id}"
