"""Identifiers that must come out the same on every retry: event ids and delivery ids."""

from __future__ import annotations

import hashlib
import uuid


def event_id(stream_event_id: str, event_name: str) -> str:
    """Stable across stream retries: the stream record's eventID plus the derived event name."""
    digest = hashlib.sha256(f"{stream_event_id}\x1f{event_name}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


def delivery_id(event_id: str, webhook_id: str) -> str:
    """One delivery per (event, webhook); the `webhook-id` header receivers deduplicate on."""
    digest = hashlib.sha256(f"{event_id}\x1f{webhook_id}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def new_webhook_id() -> str:
    return str(uuid.uuid4())


def new_test_event_id() -> str:
    """A test event has no stream record behind it; each one is new."""
    return f"evt_{uuid.uuid4().hex}"
