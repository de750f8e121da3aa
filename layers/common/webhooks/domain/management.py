"""Webhook management use cases: create, read, list, change, delete, rotate and reveal secrets, history.

Every change is written together with its audit record (the repository does both in one
transaction), guarded by the version it was based on. Ports are Protocols; adapters implement them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import SecretStr

from webhooks.delivery.message import format_timestamp
from webhooks.domain.audit import AuditAction, AuditRecord, FieldChange, action_for_update, changes_between
from webhooks.domain.cursor import cursor_scope, decode_cursor, encode_cursor
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.drafts import WebhookDraft, WebhookPatch
from webhooks.domain.errors import Conflict, NotFound, PreconditionFailed
from webhooks.domain.ids import new_webhook_id
from webhooks.domain.operational_events import OperationalEvent, disabled_by_admin
from webhooks.domain.principal import Principal
from webhooks.domain.signing_keys import SignatureScheme, new_secret, showable
from webhooks.domain.url_policy import UrlPolicy
from webhooks.domain.webhook import SigningSecret, Webhook

DEFAULT_GRACE_PERIOD = timedelta(hours=24)
MAX_GRACE_PERIOD = timedelta(days=7)


class WebhookRepository(Protocol):
    """Reads give a stored item that does not read back as a DamagedWebhook, never an error."""

    def get(self, account_id: str, webhook_id: str) -> Webhook | DamagedWebhook | None: ...

    def iterate(self, account_id: str, after: str | None) -> Iterator[Webhook | DamagedWebhook]:
        """The account's webhooks in webhook_id order, starting after `after`."""
        ...

    def create(self, webhook: Webhook, audit: AuditRecord, quota: int) -> None:
        """Store a new webhook and its audit record; QuotaExceeded when the account is full."""

    def replace(
        self, webhook: Webhook, expected_version: int, audit: AuditRecord, announced: Sequence[OperationalEvent] = ()
    ) -> None:
        """Store a changed webhook, its audit record and the operational events the change announces;
        PreconditionFailed unless still at expected_version."""

    def delete(self, webhook: Webhook | DamagedWebhook, audit: AuditRecord) -> None:
        """Delete a webhook (PreconditionFailed unless still at webhook.version, or still there when
        a damaged one's version does not read back) and record it."""

    def record(self, webhook: Webhook, audit: AuditRecord) -> None:
        """Record a sensitive read of a webhook that still exists at webhook.version."""


class AuditTrail(Protocol):
    def history(
        self, account_id: str, webhook_id: str, after: str | None, limit: int
    ) -> tuple[list[AuditRecord], str | None]:
        """Newest first; the second value is the position to continue after, if there is more."""
        ...


@dataclass(frozen=True, slots=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class WebhookListing(Page[Webhook]):
    """A page of webhooks, and apart from them the stored items of its range that do not read back
    (whatever the filters: what they hold cannot be trusted to filter by)."""

    damaged: list[DamagedWebhook]


@dataclass(frozen=True, slots=True)
class WebhookFilter:
    environment: str | None = None
    enabled: bool | None = None
    event: str | None = None

    def admits(self, webhook: Webhook) -> bool:
        return (
            (self.environment is None or webhook.environment == self.environment)
            and (self.enabled is None or webhook.enabled == self.enabled)
            and (self.event is None or webhook.subscribes_to(self.event))
        )

    def as_query(self) -> dict[str, str]:
        """The filters as text, for binding a cursor to the query it continues."""
        values = {"environment": self.environment, "enabled": self.enabled, "event": self.event}
        return {key: str(value).lower() for key, value in values.items() if value is not None}


class WebhookManagement:
    def __init__(
        self,
        *,
        repository: WebhookRepository,
        audit_trail: AuditTrail,
        url_policy: UrlPolicy,
        quota_per_account: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repository = repository
        self._audit_trail = audit_trail
        self._url_policy = url_policy
        self._quota = quota_per_account
        self._clock = clock

    def create(self, principal: Principal, draft: WebhookDraft) -> tuple[Webhook, str | None]:
        """The new webhook and its secret to show this once (None for `v1a`: its private key never leaves)."""
        principal.require_admin()
        self._url_policy.check(draft.url, draft.environment)
        now, secret = self._clock(), new_secret(draft.signature_scheme)
        webhook = Webhook(
            webhook_id=new_webhook_id(),
            account_id=principal.account_id,
            secrets=(SigningSecret(value=SecretStr(secret), created_at=now),),
            disabled_at=None if draft.enabled else now,
            created_at=now,
            updated_at=now,
            created_by=principal.subject,
            updated_by=principal.subject,
            **draft.model_dump(exclude={"signature_scheme"}),
        )
        audit = self._audit(principal, webhook, AuditAction.CREATED, changes_between(None, webhook))
        self._repository.create(webhook, audit, self._quota)
        return webhook, showable(secret)

    def get(self, principal: Principal, webhook_id: str) -> Webhook:
        """The webhook; WebhookDamaged when it does not read back (the problem says how to repair it)."""
        return self._current(principal, webhook_id, None)

    def list_page(self, principal: Principal, where: WebhookFilter, limit: int, cursor: str | None) -> WebhookListing:
        scope = cursor_scope(principal.account_id, where.as_query())
        after = str(decode_cursor(cursor, scope)) if cursor else None
        items: list[Webhook] = []
        damaged: list[DamagedWebhook] = []
        for webhook in self._repository.iterate(principal.account_id, after):
            if isinstance(webhook, DamagedWebhook):
                damaged.append(webhook)
                continue
            if not where.admits(webhook):
                continue
            if len(items) == limit:
                last = items[-1].webhook_id  # the next page starts after it, damaged items included
                before_last = [item for item in damaged if item.webhook_id < last]
                return WebhookListing(items, encode_cursor(scope, last), before_last)
            items.append(webhook)
        return WebhookListing(items, None, damaged)

    def update(
        self, principal: Principal, webhook_id: str, patch: WebhookPatch, if_match: int | None
    ) -> tuple[Webhook, str | None]:
        """The changed webhook, and the new secret to show once when the patch switched it to `v1` (a change of
        `signature_scheme` is a rotation with the default grace period)."""
        principal.require_admin()
        current = self._stored(principal, webhook_id, if_match)
        fields = patch.changes()
        scheme = fields.pop("signature_scheme", None)
        if isinstance(current, DamagedWebhook):
            return self._repair(principal, current, fields, if_match), None
        changed, secret = Webhook.model_validate(current.model_dump() | fields), None
        if scheme is not None and scheme is not current.signature_scheme:
            changed, secret = self._with_new_secret(changed, scheme, DEFAULT_GRACE_PERIOD, self._clock())
        self._url_policy.check(changed.url, changed.environment)
        changes = changes_between(current, changed)
        if not changes:
            return current, None
        disabled = "enabled" in changes and not changes["enabled"].after
        updated = self._next_version(changed, principal)
        if disabled:
            updated = updated.model_copy(update={"disabled_at": updated.updated_at})
        audit = self._audit(principal, updated, action_for_update(changes), changes)
        # An admin's disabling is announced as webhook.disabled, as deliver's own are.
        announced = [disabled_by_admin(current, principal.subject, audit.recorded_at)] if disabled else []
        self._write(lambda: self._repository.replace(updated, current.version, audit, announced), if_match)
        return updated, showable(secret) if secret else None

    def delete(self, principal: Principal, webhook_id: str, if_match: int | None) -> None:
        """Deletes a damaged webhook too: its quota place and audit record are written as for any other."""
        principal.require_admin()
        current = self._stored(principal, webhook_id, if_match)
        changes = current.changes_to(None) if isinstance(current, DamagedWebhook) else changes_between(current, None)
        audit = self._audit(principal, current, AuditAction.DELETED, changes)
        self._write(lambda: self._repository.delete(current, audit), if_match)

    def rotate_secret(
        self,
        principal: Principal,
        webhook_id: str,
        grace_period: timedelta = DEFAULT_GRACE_PERIOD,
        scheme: SignatureScheme | None = None,
    ) -> tuple[Webhook, str | None]:
        """The webhook with a new current secret of `scheme` (by default its own), shown this once (None for a
        `v1a` key); the old one signs until the grace ends. RotationLimitReached, and nothing stored, when too
        many previous secrets still sign (Webhook.rotated)."""
        principal.require_admin()
        current = self._current(principal, webhook_id, None)
        now, grace = self._clock(), min(grace_period, MAX_GRACE_PERIOD)
        changed, secret = self._with_new_secret(current, scheme or current.signature_scheme, grace, now)
        rotated = self._next_version(changed, principal)
        expiry = {"previous_secret_expires_at": FieldChange(after=format_timestamp(now + grace))}
        audit = self._audit(principal, rotated, AuditAction.SECRET_ROTATED, changes_between(current, rotated) | expiry)
        self._write(lambda: self._repository.replace(rotated, current.version, audit), None)
        return rotated, showable(secret)

    @staticmethod
    def _with_new_secret(
        webhook: Webhook, scheme: SignatureScheme, grace: timedelta, now: datetime
    ) -> tuple[Webhook, str]:
        """The webhook rotated to a new secret of `scheme` created at `now`, and that secret."""
        secret = new_secret(scheme)
        return webhook.rotated(SigningSecret(value=SecretStr(secret), created_at=now), grace), secret

    def reveal_secrets(self, principal: Principal, webhook_id: str) -> list[SigningSecret]:
        """Every secret that signs now, current first; the reveal is audited before it is returned."""
        principal.require_admin()
        current = self._current(principal, webhook_id, None)
        self._write(
            lambda: self._repository.record(current, self._audit(principal, current, AuditAction.SECRET_REVEALED, {})),
            None,
        )
        return current.valid_secrets(self._clock())

    def history(self, principal: Principal, webhook_id: str, limit: int, cursor: str | None) -> Page[AuditRecord]:
        scope = cursor_scope(principal.account_id, {"webhook_id": webhook_id})
        after = str(decode_cursor(cursor, scope)) if cursor else None
        records, position = self._audit_trail.history(principal.account_id, webhook_id, after, limit)
        if not records and after is None:
            raise NotFound(f"no webhook {webhook_id}")  # every webhook has at least its `created` record
        next_cursor = encode_cursor(scope, position) if position else None
        return Page(records, next_cursor)

    def _current(self, principal: Principal, webhook_id: str, if_match: int | None) -> Webhook:
        webhook = self._stored(principal, webhook_id, if_match)
        if isinstance(webhook, DamagedWebhook):
            raise webhook.error()
        return webhook

    def _stored(self, principal: Principal, webhook_id: str, if_match: int | None) -> Webhook | DamagedWebhook:
        webhook = self._repository.get(principal.account_id, webhook_id)
        if webhook is None:
            raise NotFound(f"no webhook {webhook_id}")
        if if_match is not None and if_match != webhook.version:
            raise PreconditionFailed(
                f"webhook {webhook_id} is at version {webhook.version}, not {if_match}", current_version=webhook.version
            )
        return webhook

    def _repair(
        self, principal: Principal, damaged: DamagedWebhook, fields: dict[str, Any], if_match: int | None
    ) -> Webhook:
        """A PATCH of a damaged webhook: it must set every damaged field; the rest is kept as stored."""
        changed = damaged.repaired(fields)
        self._url_policy.check(changed.url, changed.environment)
        repaired = self._next_version(changed, principal)
        audit = self._audit(principal, repaired, AuditAction.UPDATED, damaged.changes_to(repaired))
        self._write(lambda: self._repository.replace(repaired, changed.version, audit), if_match)
        return repaired

    def _next_version(self, webhook: Webhook, principal: Principal) -> Webhook:
        return webhook.model_copy(
            update={"version": webhook.version + 1, "updated_at": self._clock(), "updated_by": principal.subject}
        )

    @staticmethod
    def _write(write: Callable[[], None], if_match: int | None) -> None:
        """A lost race is a 412 for a caller who named a version, and a 409 (retry) for one who did not."""
        try:
            write()
        except PreconditionFailed:
            if if_match is not None:
                raise
            raise Conflict("the webhook was changed by another request at the same time; retry") from None

    def _audit(
        self,
        principal: Principal,
        webhook: Webhook | DamagedWebhook,
        action: AuditAction,
        changes: dict[str, FieldChange],
    ) -> AuditRecord:
        return AuditRecord(
            account_id=webhook.account_id,
            webhook_id=webhook.webhook_id,
            actor=principal.subject,
            action=action,
            recorded_at=self._clock(),
            changes=changes,
            version=None if action is AuditAction.DELETED else webhook.version,
        )
