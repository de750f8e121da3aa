"""What the deployment delivers at all, and why a message is not POSTed (skipped) when its webhook no
longer matches it."""

from __future__ import annotations

from dataclasses import dataclass

from webhooks.catalogue import Environment, deployment_permits
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.record import ErrorKind
from webhooks.domain.webhook import Webhook


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    """What the deployment delivers at all (template parameters)."""

    permitted_environments: frozenset[Environment]
    permitted_events: tuple[str, ...]
    allow_http_for_development: bool
    retention_days: int

    def skip_reason(self, webhook: Webhook | None, message: DeliveryMessage) -> ErrorKind | None:
        """Why the message is not POSTed to the webhook as it reads now (None: it is)."""
        if webhook is None:
            return ErrorKind.WEBHOOK_NOT_FOUND
        if not webhook.enabled:
            return ErrorKind.WEBHOOK_DISABLED
        if webhook.environment != message.environment:
            return ErrorKind.ENVIRONMENT_MISMATCH
        if not webhook.subscribes_to(message.event):
            return ErrorKind.NOT_SUBSCRIBED
        if not webhook.accepts(message):
            return ErrorKind.FILTERED_OUT
        permitted_event = deployment_permits(self.permitted_events, message.event)
        if message.environment not in self.permitted_environments or not permitted_event:
            return ErrorKind.NOT_PERMITTED
        return None
