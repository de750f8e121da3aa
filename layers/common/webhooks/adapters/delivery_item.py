"""The delivery log's stored item, mapped explicitly to and from the domain's DeliveryRecord.

What DynamoDB works with is an attribute of its own: the key (delivery_id, attempt), the index keys
(webhook_ref, requested_at, event_id), what queries filter on (account_id, status, event), the TTL
(expires_at) and the claim token. The rest of the attempt is two JSON attributes: `detail`, its outcome
(small), and `content`, what was sent and the start of what came back (the large part). Nothing queries
inside them, and two attributes instead of thirteen keep every write smaller (attribute names count toward
an item's size and write units) and cheaper to encode. The log's indexes project `detail` and not
`content`: a page of the log never shows a body, so each index write costs one unit whatever the payload.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from webhooks.adapters.keys import webhook_ref
from webhooks.delivery.record import CONTENT_FIELDS, AttemptOutcome, DeliveryRecord, DeliveryStatus


def sortable_time(moment: datetime) -> str:
    """Index sort keys compare as text: always UTC, always microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


_OUTCOME_FIELDS = set(AttemptOutcome.model_fields)


class DeliveryItem(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    delivery_id: str
    attempt: int
    webhook_ref: str
    account_id: str
    event_id: str
    event: str
    status: DeliveryStatus
    requested_at: str
    expires_at: int
    detail: AttemptOutcome
    claim: str | None = Field(default=None, description="The token of the call that claimed a pending attempt.")

    @classmethod
    def from_record(cls, record: DeliveryRecord, claim: str | None = None) -> DeliveryItem:
        return cls(
            delivery_id=record.delivery_id,
            attempt=record.attempt,
            webhook_ref=webhook_ref(record.account_id, record.webhook_id),
            account_id=record.account_id,
            event_id=record.event_id,
            event=record.event,
            status=record.status,
            requested_at=sortable_time(record.requested_at),
            expires_at=record.expires_at,
            detail=AttemptOutcome.model_validate(record.model_dump(include=_OUTCOME_FIELDS)),
            claim=claim,
        )

    def to_record(self) -> DeliveryRecord:
        return DeliveryRecord(
            delivery_id=self.delivery_id,
            attempt=self.attempt,
            event_id=self.event_id,
            event=self.event,
            account_id=self.account_id,
            status=self.status,
            requested_at=datetime.fromisoformat(self.requested_at),
            expires_at=self.expires_at,
            **self.detail.model_dump(),
        )

    def to_dynamo(self) -> dict[str, Any]:
        """The item in DynamoDB's attribute-value form."""
        item: dict[str, Any] = {
            "delivery_id": {"S": self.delivery_id},
            "attempt": {"N": str(self.attempt)},
            "webhook_ref": {"S": self.webhook_ref},
            "account_id": {"S": self.account_id},
            "event_id": {"S": self.event_id},
            "event": {"S": self.event},
            "status": {"S": self.status.value},
            "requested_at": {"S": self.requested_at},
            "expires_at": {"N": str(self.expires_at)},
            "detail": {"S": self.detail.model_dump_json(exclude_defaults=True, exclude=set(CONTENT_FIELDS))},
        }
        content = self.detail.model_dump_json(exclude_defaults=True, include=set(CONTENT_FIELDS))
        if content != "{}":
            item["content"] = {"S": content}
        if self.claim is not None:
            item["claim"] = {"S": self.claim}
        return item

    @classmethod
    def from_dynamo(cls, item: dict[str, Any]) -> DeliveryItem:
        return cls(
            delivery_id=item["delivery_id"]["S"],
            attempt=int(item["attempt"]["N"]),
            webhook_ref=item["webhook_ref"]["S"],
            account_id=item["account_id"]["S"],
            event_id=item["event_id"]["S"],
            event=item["event"]["S"],
            status=DeliveryStatus(item["status"]["S"]),
            requested_at=item["requested_at"]["S"],
            expires_at=int(item["expires_at"]["N"]),
            detail=_outcome(item),
            claim=item["claim"]["S"] if "claim" in item else None,
        )


def _outcome(item: dict[str, Any]) -> AttemptOutcome:
    """`detail` with `content` when the item has it (an index's copy does not; items written before the two
    were apart hold all of it in `detail`)."""
    outcome = json.loads(item["detail"]["S"])
    if "content" in item:
        outcome |= json.loads(item["content"]["S"])
    return AttemptOutcome.model_validate(outcome)


def record_to_item(record: DeliveryRecord, claim: str | None = None) -> dict[str, Any]:
    return DeliveryItem.from_record(record, claim).to_dynamo()


def item_to_record(item: dict[str, Any]) -> DeliveryRecord:
    return DeliveryItem.from_dynamo(item).to_record()
