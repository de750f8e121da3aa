"""The delivery queue's message: what emit (and redeliver / test) hand to deliver.

One message is one attempt of one delivery (an event for one webhook). It carries the event,
not the webhook: deliver reads the webhook again at send time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from webhooks.catalogue import Environment

# SQS's limit for one message (body plus attributes).
SQS_MAX_MESSAGE_BYTES = 1_048_576
# SQS refuses a body holding U+FFFE or U+FFFF (its character set stops at U+FFFD below U+10000), and a
# platform record may hold them. In the JSON body they can only stand inside strings, where their
# escapes mean the same, so they are sent escaped.
_REFUSED_BY_SQS = str.maketrans({"\ufffe": "\\ufffe", "\uffff": "\\uffff"})


class Trigger(StrEnum):
    EVENT = "event"
    RETRY = "retry"
    REDELIVER = "redeliver"
    TEST = "test"


class DeliveryMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: str
    event_id: str
    event: str
    webhook_id: str
    account_id: str
    environment: Environment
    occurred_at: datetime
    payload: dict[str, Any]
    previous_attributes: dict[str, Any] | None = None
    attempt: int = Field(default=1, ge=1)
    trigger: Trigger = Trigger.EVENT
    # When a retry is due; a wait longer than SQS's 15-minute delay is chained (see delivery/retry.py).
    # Aware only: deliver compares it with now, and a naive one would fail the whole batch, not itself.
    not_before: AwareDatetime | None = None

    def queue_body(self) -> str:
        """The message as the delivery queue's body: its JSON, in characters SQS accepts."""
        return self.model_dump_json().translate(_REFUSED_BY_SQS)

    def body(self) -> dict[str, Any]:
        """The JSON body the receiver gets: the customer guide's three fields first, the additive ones after."""
        body: dict[str, Any] = {
            "event": self.event,
            "payload": self.payload,
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "occurred_at": format_timestamp(self.occurred_at),
            "environment": self.environment.value,
        }
        if self.previous_attributes is not None:
            body["previous_attributes"] = self.previous_attributes
        return body


def format_timestamp(moment: datetime) -> str:
    """RFC 3339, UTC, milliseconds: 2026-11-29T10:00:00.123Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
