"""The delivery queue's message: what emit (and redeliver / test) hand to deliver.

One message is one attempt of one delivery (an event for one webhook). It carries the event,
not the webhook: deliver reads the webhook again at send time.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from functools import reduce
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import SkipJsonSchema

from webhooks.catalogue import Environment

if TYPE_CHECKING:
    from pydantic import RootModel

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
    # Since when this attempt has waited for its endpoint's circuit to let it through (deferrals are
    # not attempts); past the deployment's bound the attempt is logged failed instead of waiting on.
    deferred_since: AwareDatetime | None = None

    def queue_body(self) -> str:
        """The message as the delivery queue's body: its JSON, in characters SQS accepts."""
        return self.model_dump_json().translate(_REFUSED_BY_SQS)

    def body(self) -> dict[str, Any]:
        """The JSON body the receiver gets (as `WebhookBody` describes it): the guide's three fields first."""
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


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


_EVENT_NAME = "The event name, also sent as the `x-webhook-event` header."


class WebhookBody(BaseModel):
    """The JSON body of every request, as `DeliveryMessage.body()` builds it (receivers ignore unknown fields)."""

    event: str = Field(description=_EVENT_NAME)
    payload: dict[str, Any] = Field(
        description="The record the event is about, as the platform stores it (for a `*.deleted` event, its last "
        "state). Its fields depend on the entity, and new ones may appear. Numbers are JSON numbers."
    )
    webhook_id: str = Field(description="The id of your webhook this request is for.")
    event_id: str = Field(
        description="The event's id: one event sent to two of your webhooks has one `event_id` and two `webhook-id`s."
    )
    occurred_at: AwareDatetime = Field(description="When the change happened: RFC 3339, UTC, milliseconds.")
    environment: Environment = Field(description="The environment the record belongs to.")
    # Absent (never null) when the event changed nothing, so the schema offers an object only.
    previous_attributes: dict[str, Any] | SkipJsonSchema[None] = Field(
        default=None,
        description="On updates and status changes only: the old values of the fields that changed (null for a "
        "field that did not exist before).",
        json_schema_extra=_drop_default,
    )


def body_model(event: str, description: str) -> type[WebhookBody]:
    """The body of one event's requests: `WebhookBody` with `event` narrowed to that name (LicenseCreatedEvent)."""
    name = "".join(part.capitalize() for part in event.split(".")) + "Event"
    return create_model(
        name, __base__=WebhookBody, __doc__=description, event=(Literal[event], Field(description=_EVENT_NAME))
    )


def any_body_model(models: Sequence[type[WebhookBody]]) -> type[RootModel[Any]]:
    """Any one of these events' bodies, told apart by `event` (WebhookEvent): one type to parse every request."""
    from pydantic import RootModel  # only the OpenAPI document needs it: deliver's cold start does not load it

    union = reduce(operator.or_, models)
    return create_model(
        "WebhookEvent",
        __base__=RootModel[Annotated[union, Field(discriminator="event")]],  # type: ignore[valid-type]  # built at run time
        __doc__="The body of any request: the `event` field says which.",
    )


def format_timestamp(moment: datetime) -> str:
    """RFC 3339, UTC, milliseconds: 2026-11-29T10:00:00.123Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
