"""The audit trail: one record per change of a webhook (or sensitive read), who did it and what changed.

Secret values are never recorded: a rotation or a reveal is recorded by its action alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from webhooks.domain.webhook import Webhook


class AuditAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    ENABLED = "enabled"
    DISABLED = "disabled"  # also written by deliver (actor "system:deliver") when an endpoint answers 410
    DELETED = "deleted"
    SECRET_ROTATED = "secret_rotated"  # noqa: S105 - an action, not a secret
    SECRET_REVEALED = "secret_revealed"  # noqa: S105 - an action, not a secret


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    before: Any = None
    after: Any = None


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    audit_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    account_id: str
    webhook_id: str
    actor: str = Field(description="The token subject, or system:<function> for automatic changes.")
    action: AuditAction
    recorded_at: datetime
    changes: dict[str, FieldChange] = Field(default_factory=dict)
    version: int | None = Field(default=None, description="The webhook's version after the change.")
    reason: str | None = Field(default=None, description="Why, for changes the platform made by itself.")


# What an admin can see and change; the audit compares these and nothing else (never the secrets).
AUDITED_FIELDS = (
    "name",
    "url",
    "environment",
    "events",
    "description",
    "enabled",
    "retry_policy",
    "connect_timeout_seconds",
    "read_timeout_seconds",
    "rate_limit_per_second",
    "filter",
)


def audited_values(webhook: Webhook | None) -> dict[str, Any]:
    """The audited fields, and the scheme its current secret signs with (changed by a rotation, never set)."""
    if webhook is None:
        return dict.fromkeys((*AUDITED_FIELDS, "signature_scheme"))
    document = webhook.model_dump(mode="json", include=set(AUDITED_FIELDS))
    document["events"] = sorted(webhook.events)
    document["signature_scheme"] = webhook.signature_scheme.value
    return document


def changes_between(before: Webhook | None, after: Webhook | None) -> dict[str, FieldChange]:
    old, new = audited_values(before), audited_values(after)
    return {field: FieldChange(before=old[field], after=new[field]) for field in old if old[field] != new[field]}


def action_for_update(changes: dict[str, FieldChange]) -> AuditAction:
    """A change of `enabled` alone is an enable or disable; anything else is an update."""
    if set(changes) == {"enabled"}:
        return AuditAction.ENABLED if changes["enabled"].after else AuditAction.DISABLED
    return AuditAction.UPDATED
