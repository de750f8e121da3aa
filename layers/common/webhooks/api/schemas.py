"""The API's request and response bodies, mapped explicitly to and from the domain (never raw items)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from webhooks.catalogue import CATALOGUE, Environment
from webhooks.domain.audit import AuditRecord
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.drafts import (
    Description,
    EventPatterns,
    WebhookDraft,
    WebhookName,
    WebhookPatch,
    WebhookUrl,
    not_null_unless_nullable,
)
from webhooks.domain.management import DEFAULT_GRACE_PERIOD, MAX_GRACE_PERIOD
from webhooks.domain.webhook import (
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
    DEFAULT_READ_TIMEOUT_SECONDS,
    RetryPolicy,
    SigningSecret,
    TimeoutSeconds,
    Webhook,
)


# Models build their validators on first use (defer_build), so a cold start pays only for the route it serves.
class _Output(BaseModel):
    model_config = ConfigDict(defer_build=True)


class _Input(BaseModel):
    # Strict: a value is taken as its JSON type says (true, not "yes" or 1; 3, not "3" or 3.0), never coerced.
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


# Strict validation of Python values wants an Environment member; a JSON body names it by its string.
EnvironmentName = Annotated[Environment, Strict(False)]


class WebhookCreate(_Input):
    name: WebhookName
    url: WebhookUrl = Field(description="Absolute https URL of a public host (http only where allowed).")
    environment: EnvironmentName
    events: EventPatterns
    description: Description | None = None
    enabled: bool = True
    retry_policy: RetryPolicy | None = Field(default=None, description="Opt-in retries; one attempt without it.")
    connect_timeout_seconds: TimeoutSeconds = DEFAULT_CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds: TimeoutSeconds = DEFAULT_READ_TIMEOUT_SECONDS

    def to_draft(self) -> WebhookDraft:
        return WebhookDraft(
            name=self.name,
            url=self.url,
            environment=self.environment,
            events=self.events,
            description=self.description,
            enabled=self.enabled,
            retry_policy=self.retry_policy,
            connect_timeout_seconds=self.connect_timeout_seconds,
            read_timeout_seconds=self.read_timeout_seconds,
        )


class WebhookUpdate(_Input):
    """Only the fields given change; `null` clears description or retry_policy."""

    name: WebhookName | None = None
    url: WebhookUrl | None = None
    environment: EnvironmentName | None = None
    events: EventPatterns | None = None
    description: Description | None = None
    enabled: bool | None = None
    retry_policy: RetryPolicy | None = None
    connect_timeout_seconds: TimeoutSeconds | None = None
    read_timeout_seconds: TimeoutSeconds | None = None

    _not_null = field_validator("*", mode="before")(not_null_unless_nullable)

    def to_patch(self) -> WebhookPatch:
        return WebhookPatch.model_validate({field: getattr(self, field) for field in self.model_fields_set})


class SecretRotation(_Input):
    grace_period_seconds: int = Field(
        default=int(DEFAULT_GRACE_PERIOD.total_seconds()),
        ge=0,
        le=int(MAX_GRACE_PERIOD.total_seconds()),
        description="How long the previous secret keeps signing next to the new one.",
    )


class WebhookView(_Output):
    webhook_id: str
    name: str
    url: str
    environment: Environment
    events: list[str]
    description: str | None
    enabled: bool
    retry_policy: RetryPolicy | None
    connect_timeout_seconds: float
    read_timeout_seconds: float
    previous_secret_expires_at: datetime | None = Field(description="End of a rotation's grace period, if running.")
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookView:
        retiring = [secret.expires_at for secret in webhook.secrets[1:] if secret.expires_at]
        return cls(
            webhook_id=webhook.webhook_id,
            name=webhook.name,
            url=webhook.url,
            environment=webhook.environment,
            events=sorted(webhook.events),
            description=webhook.description,
            enabled=webhook.enabled,
            retry_policy=webhook.retry_policy,
            connect_timeout_seconds=webhook.connect_timeout_seconds,
            read_timeout_seconds=webhook.read_timeout_seconds,
            previous_secret_expires_at=max(retiring, default=None),
            version=webhook.version,
            created_at=webhook.created_at,
            updated_at=webhook.updated_at,
            created_by=webhook.created_by,
            updated_by=webhook.updated_by,
        )


class CreatedWebhook(WebhookView):
    secret: str = Field(description="The signing secret. Shown this once; store it now.")


class DamagedWebhookView(_Output):
    """A stored webhook that does not read back: which fields, never their values. GET answers 409 for it;
    a PATCH that sets valid values for every damaged field repairs it, and DELETE removes it."""

    webhook_id: str
    damaged_fields: list[str] = Field(description="Where it does not read back, e.g. `read_timeout_seconds`.")
    version: int | None = Field(description="For If-Match; null when the version itself does not read back.")
    detail: str = Field(description="What is wrong and how to repair it.")

    @classmethod
    def of(cls, damaged: DamagedWebhook) -> DamagedWebhookView:
        return cls(
            webhook_id=damaged.webhook_id,
            damaged_fields=list(damaged.fields),
            version=damaged.version,
            detail=damaged.detail,
        )


class WebhookPage(_Output):
    items: list[WebhookView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; absent on the last.")
    damaged: list[DamagedWebhookView] = Field(
        description="Stored webhooks of this page's range that do not read back, whatever the filters; "
        "not in `items` and not counted by `limit`."
    )


class RotatedSecret(_Output):
    webhook_id: str
    secret: str = Field(description="The new signing secret. Shown this once; store it now.")
    previous_secret_expires_at: datetime | None
    version: int


class RevealedSecret(_Output):
    secret: str
    created_at: datetime
    expires_at: datetime | None

    @classmethod
    def of(cls, secret: SigningSecret) -> RevealedSecret:
        return cls(secret=secret.value.get_secret_value(), created_at=secret.created_at, expires_at=secret.expires_at)


class RevealedSecrets(_Output):
    webhook_id: str
    secrets: list[RevealedSecret] = Field(description="Every secret that signs now, the current one first.")


class Change(_Output):
    before: Any
    after: Any


class AuditEntry(_Output):
    audit_id: str
    actor: str
    action: str
    recorded_at: datetime
    changes: dict[str, Change]
    version: int | None

    @classmethod
    def of(cls, record: AuditRecord) -> AuditEntry:
        return cls(
            audit_id=record.audit_id,
            actor=record.actor,
            action=record.action.value,
            recorded_at=record.recorded_at,
            changes={field: Change(before=c.before, after=c.after) for field, c in record.changes.items()},
            version=record.version,
        )


class AuditPage(_Output):
    items: list[AuditEntry]
    next_cursor: str | None


class EventTypeView(_Output):
    name: str
    entity: str
    description: str


class EventCatalogue(_Output):
    items: list[EventTypeView]

    @classmethod
    def current(cls) -> EventCatalogue:
        return cls(
            items=[EventTypeView(name=e.name, entity=e.entity.value, description=e.description) for e in CATALOGUE]
        )


class FieldProblem(_Output):
    field: str
    pointer: str | None = None
    message: str


class Problem(_Output):
    """RFC 9457 problem details (content type application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = None
