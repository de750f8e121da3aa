"""Bodies of the delivery-log routes, mapped explicitly from the domain's DeliveryRecord."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from webhooks.api.bodies import Output
from webhooks.delivery.message import Trigger
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.delivery_log.redelivery import Accepted, Recovery


class DeliveryAttemptView(Output):
    """One attempt of one delivery, as the log keeps it."""

    delivery_id: str = Field(description="The webhook-id header the receiver saw; the same on every attempt.")
    attempt: int
    event_id: str
    event: str
    webhook_id: str
    environment: str
    trigger: Trigger
    status: DeliveryStatus
    http_status: int | None
    error_kind: ErrorKind | None
    error_detail: str | None
    duration_ms: int | None
    requested_at: datetime
    completed_at: datetime | None
    next_attempt_at: datetime | None = Field(description="When a retry is scheduled, if one is.")

    @classmethod
    def of(cls, record: DeliveryRecord) -> Self:
        return cls.from_fields(record)


class DeliveryAttemptDetail(DeliveryAttemptView):
    """An attempt with what was sent and the start of what came back."""

    request_headers: dict[str, str]
    request_body: str | None
    response_excerpt: str | None = Field(description="The first 4 KiB of the response body.")
    response_truncated: bool


class DeliveryPageView(Output):
    items: list[DeliveryAttemptView]
    next_cursor: str | None


class DeliveryDetail(Output):
    delivery_id: str
    webhook_id: str
    event_id: str
    event: str
    attempts: list[DeliveryAttemptDetail] = Field(description="First attempt first.")


class EventDeliveries(Output):
    event_id: str
    items: list[DeliveryAttemptView]


class AcceptedDelivery(Output):
    """Queued: the receiver will see this delivery id as `webhook-id`."""

    delivery_id: str
    event_id: str
    attempt: int
    status: str = "queued"

    @classmethod
    def of(cls, accepted: Accepted) -> AcceptedDelivery:
        return cls.from_fields(accepted)


class RecoveryRequest(BaseModel):
    """Which deliveries to send again: those whose latest attempt in [since, until) failed, or was skipped
    because the webhook was disabled."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    since: AwareDatetime = Field(description="Latest attempt at or after this time (RFC 3339, with a time zone).")
    until: AwareDatetime | None = Field(
        default=None, description="Latest attempt before this time; default now. Repeat it, with `cursor`, to go on."
    )
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous call, to go on.")


class RecoveryView(Output):
    """One page of a recovery: repeat the request with `next_cursor` (and the same since and until) until null."""

    queued: list[AcceptedDelivery]
    not_redeliverable: list[str] = Field(description="Delivery ids whose body was too large to keep.")
    since: datetime
    until: datetime
    next_cursor: str | None

    @classmethod
    def of(cls, recovery: Recovery) -> RecoveryView:
        queued = [AcceptedDelivery.of(accepted) for accepted in recovery.queued]
        return cls.from_fields(recovery, queued=queued, next_cursor=recovery.cursor)
