"""The delivery log: one record per attempt of one delivery (an event for one webhook)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from webhooks.delivery.message import DeliveryMessage, Trigger

RESPONSE_EXCERPT_BYTES = 4096
# The deliver function's timeout (template.yaml): a claim older than this can no longer complete.
DELIVER_TIMEOUT_SECONDS = 60


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # claimed, POST in flight; shown as `unknown` once older than the function timeout
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


class ErrorKind(StrEnum):
    HTTP_STATUS = "http_status"  # answered, but not 2xx
    REDIRECT = "redirect"  # 3xx: not followed
    TIMEOUT = "timeout"
    CONNECTION = "connection"  # refused, reset, closed early
    TLS = "tls"
    DNS = "dns"
    BLOCKED_ADDRESS = "blocked_address"  # resolved to a non-public address
    INVALID_URL = "invalid_url"
    PAYLOAD_TOO_LARGE = "payload_too_large"  # the message did not fit in SQS
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    WEBHOOK_DAMAGED = "webhook_damaged"  # stored with values that do not read back: not sent until repaired
    WEBHOOK_DISABLED = "webhook_disabled"
    NOT_SUBSCRIBED = "not_subscribed"
    FILTERED_OUT = "filtered_out"  # its payload filter does not match the body (checked again at send time)
    ENVIRONMENT_MISMATCH = "environment_mismatch"
    NOT_PERMITTED = "not_permitted"  # the deployment does not deliver this environment or event
    CRASHED = "crashed"  # claimed, never completed
    CIRCUIT_OPEN = "circuit_open"  # waited longer than the deployment allows for the endpoint to come back


class AttemptOutcome(BaseModel):
    """What one attempt was sent with and got back: the part of a record the log keeps as one attribute."""

    model_config = ConfigDict(frozen=True)

    webhook_id: str
    environment: str
    trigger: Trigger
    completed_at: datetime | None = None
    http_status: int | None = None
    error_kind: ErrorKind | None = None
    error_detail: str | None = None
    duration_ms: int | None = None
    response_excerpt: str | None = None
    response_truncated: bool = False
    request_headers: dict[str, str] = Field(default_factory=dict)
    request_body: str | None = None
    next_attempt_at: datetime | None = Field(default=None, description="When the retry policy tries again.")


# What an attempt sent and got back: the large part of a record, which its claim leaves out.
CONTENT_FIELDS = frozenset({"request_headers", "request_body", "response_excerpt"})

# What a queue message, its log record and a message rebuilt from the log share, field for field.
DELIVERY_KEYS = ("delivery_id", "event_id", "event", "webhook_id", "account_id")


class DeliveryRecord(AttemptOutcome):
    delivery_id: str
    attempt: int = Field(ge=1)
    event_id: str
    event: str
    account_id: str
    status: DeliveryStatus
    requested_at: datetime
    expires_at: int = Field(description="Epoch seconds; DynamoDB TTL removes the record after it.")

    @classmethod
    def of_message(
        cls, message: DeliveryMessage, *, status: DeliveryStatus, at: datetime, retention: timedelta, **fields: Any
    ) -> Self:
        """The log record of one attempt of `message`, kept for `retention` after `at`."""
        return cls(
            **{key: getattr(message, key) for key in DELIVERY_KEYS},
            attempt=message.attempt,
            environment=message.environment.value,
            trigger=message.trigger,
            status=status,
            requested_at=at,
            expires_at=int((at + retention).timestamp()),
            **fields,
        )

    def without_content(self) -> Self:
        """The attempt without what it sends and gets back: what its claim stores, so that the body (the
        large part) is written once, with the result."""
        defaults = {
            name: AttemptOutcome.model_fields[name].get_default(call_default_factory=True) for name in CONTENT_FIELDS
        }
        return self.model_copy(update=defaults)
