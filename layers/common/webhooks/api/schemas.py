"""The API's request and response bodies, mapped explicitly to and from the domain (never raw items)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, Strict

from webhooks.api.bodies import Input, Output
from webhooks.api.endpoint_schemas import EndpointView
from webhooks.catalogue import CATALOGUE, Environment, EventGroup
from webhooks.delivery.endpoint_health import EndpointHealth
from webhooks.domain.audit import AuditRecord
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.drafts import (
    SchemeName,
    WebhookDraft,
    WebhookPatch,
    WebhookUrl,
)
from webhooks.domain.management import DEFAULT_GRACE_PERIOD, MAX_GRACE_PERIOD
from webhooks.domain.signing_keys import SignatureScheme
from webhooks.domain.webhook import (
    RetryPolicy,
    SigningSecret,
    Webhook,
)


class _Input(Input):
    # Strict: a value is taken as its JSON type says (true, not "yes" or 1; 3, not "3" or 3.0), never coerced.
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


# Strict validation of Python values wants an enum member; a JSON body names it by its string.
EnvironmentName = Annotated[Environment, Strict(False)]


class WebhookCreate(WebhookDraft):
    """The draft itself (its fields and limits are the domain's), read strictly and refusing unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    url: WebhookUrl = Field(description="Absolute https URL of a public host (http only where allowed).")
    environment: EnvironmentName
    retry_policy: RetryPolicy | None = Field(default=None, description="Opt-in retries; one attempt without it.")

    def to_draft(self) -> WebhookDraft:
        return WebhookDraft(**dict(self))


class WebhookUpdate(WebhookPatch):
    """Only the fields given change; `null` clears description or retry_policy."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    environment: EnvironmentName | None = None

    def to_patch(self) -> WebhookPatch:
        return WebhookPatch.model_validate({field: getattr(self, field) for field in self.model_fields_set})


class SecretRotation(_Input):
    grace_period_seconds: int = Field(
        default=int(DEFAULT_GRACE_PERIOD.total_seconds()),
        ge=0,
        le=int(MAX_GRACE_PERIOD.total_seconds()),
        description="How long the previous secret keeps signing next to the new one.",
    )
    signature_scheme: SchemeName | None = Field(
        default=None, description="The new secret's scheme (`v1` or `v1a`); by default the webhook's own."
    )


def previous_secret_expires_at(webhook: Webhook) -> datetime | None:
    return max((secret.expires_at for secret in webhook.secrets[1:] if secret.expires_at), default=None)


class WebhookView(Output):
    """Its own model because it differs from the entity: no secrets, events as a sorted list, no account."""

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
    rate_limit_per_second: int | None = Field(description="At most this many POSTs a second; null: no limit.")
    filter: dict[str, Any] | None = Field(
        description="Only bodies that match this payload filter are delivered; null: every body."
    )
    signature_scheme: SignatureScheme = Field(description="What its current secret signs with: `v1` or `v1a`.")
    public_key: str | None = Field(
        description="For `v1a`: the `whpk_` public key receivers verify with (public; the private key never leaves)."
    )
    previous_secret_expires_at: datetime | None = Field(description="End of a rotation's grace period, if running.")
    version: int
    disabled_at: datetime | None = Field(
        description="When it was last disabled (by an admin, a 410 Gone, or its endpoint staying down); kept when "
        "it is enabled again, so that POST /webhooks/{id}/deliveries/recover with this `since` sends what failed "
        "or was skipped since then. Null if it was never disabled."
    )
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str

    endpoint: EndpointView

    @classmethod
    def of(cls, webhook: Webhook, endpoint: EndpointHealth) -> Self:
        return cls.from_fields(
            webhook,
            events=sorted(webhook.events),
            previous_secret_expires_at=previous_secret_expires_at(webhook),
            public_key=webhook.secrets[0].public_key,
            endpoint=EndpointView.of(endpoint),
        )


class CreatedWebhook(WebhookView):
    secret: str | None = Field(
        description="For `v1`: the signing secret. Shown this once; store it now. Null for `v1a` (use `public_key`)."
    )


class UpdatedWebhook(WebhookView):
    secret: str | None = Field(
        default=None, description="Only when this change switched the webhook to `v1`: its new secret, shown this once."
    )


class DamagedWebhookView(Output):
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


class WebhookPage(Output):
    items: list[WebhookView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; absent on the last.")
    damaged: list[DamagedWebhookView] = Field(
        description="Stored webhooks of this page's range that do not read back, whatever the filters; "
        "not in `items` and not counted by `limit`."
    )


class RotatedSecret(Output):
    webhook_id: str
    signature_scheme: SignatureScheme
    secret: str | None = Field(description="A new `v1` secret, shown this once (store it now); null for `v1a`.")
    public_key: str | None = Field(description="A new `v1a` key's public key; null for `v1`.")
    previous_secret_expires_at: datetime | None
    version: int


class RevealedSecret(Output):
    signature_scheme: SignatureScheme
    secret: str | None = Field(description="A `v1` secret; null for a `v1a` key, whose private part never leaves.")
    public_key: str | None = Field(description="A `v1a` key's public key; null for `v1`.")
    created_at: datetime
    expires_at: datetime | None

    @classmethod
    def of(cls, secret: SigningSecret) -> RevealedSecret:
        return cls(
            signature_scheme=secret.scheme,
            secret=secret.showable,
            public_key=secret.public_key,
            created_at=secret.created_at,
            expires_at=secret.expires_at,
        )


class PublicKey(Output):
    public_key: str = Field(description="`whpk_` + base64 of the 32-byte Ed25519 public key.")
    created_at: datetime
    expires_at: datetime | None = Field(description="When it stops signing: the end of a rotation's grace period.")


class PublicKeys(Output):
    webhook_id: str
    keys: list[PublicKey] = Field(
        description="Every `v1a` key that signs now, the current one first; a `v1` webhook has none."
    )

    @classmethod
    def of(cls, webhook_id: str, secrets: list[SigningSecret]) -> PublicKeys:
        keys = [
            PublicKey(public_key=key, created_at=secret.created_at, expires_at=secret.expires_at)
            for secret in secrets
            if (key := secret.public_key)
        ]
        return cls(webhook_id=webhook_id, keys=keys)


class RevealedSecrets(Output):
    webhook_id: str
    secrets: list[RevealedSecret] = Field(description="Every secret that signs now, the current one first.")


class Change(Output):
    before: Any
    after: Any


class AuditEntry(Output):
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


class AuditPage(Output):
    items: list[AuditEntry]
    next_cursor: str | None


class EventTypeView(Output):
    name: str
    entity: str
    description: str
    group: EventGroup = Field(
        description="`domain` (licenses, activations, products, contracts: what `*` subscribes to) or "
        "`operational` (the webhook system about your webhooks: subscribe by name or `webhook.*`/`delivery.*`)."
    )


class EventCatalogue(Output):
    items: list[EventTypeView]

    @classmethod
    def current(cls) -> EventCatalogue:
        return cls(
            items=[
                EventTypeView(name=e.name, entity=e.entity.value, description=e.description, group=e.group)
                for e in CATALOGUE
            ]
        )


class FieldProblem(Output):
    field: str
    pointer: str | None = None
    message: str


class Problem(Output):
    """RFC 9457 problem details (content type application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = None
