"""A stored webhook that does not read back. It must fail alone, never take the account's other webhooks with it.

The store reports such an item as a DamagedWebhook instead of raising, so a listing shows it apart, emit still
routes by the fields that did read, deliver fails that webhook's deliveries alone, and an admin can repair it
(a PATCH that sets valid values for every damaged field) or delete it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from webhooks.catalogue import Environment
from webhooks.domain.audit import AUDITED_FIELDS, FieldChange, audited_values
from webhooks.domain.errors import WebhookDamaged
from webhooks.domain.payload_filter import Test, compile_filter
from webhooks.domain.webhook import Webhook, routes

# What an admin can set with a PATCH; a damaged secret, timestamp or version leaves only DELETE.
REPAIRABLE_FIELDS = frozenset(AUDITED_FIELDS)


class _Routing(BaseModel):
    environment: Environment
    events: frozenset[str]
    enabled: bool


class _Version(BaseModel):
    version: int = Field(ge=1)


@dataclass(frozen=True)
class DamagedWebhook:
    account_id: str
    webhook_id: str
    # Where it does not read back, as the entity names it ("read_timeout_seconds", "secrets.0.created_at").
    fields: tuple[str, ...]
    # Every other field, by the entity's names, as stored (the secrets among them: never shown or logged).
    readable: Mapping[str, Any] = field(repr=False, compare=False)

    @cached_property
    def damaged_names(self) -> frozenset[str]:
        return frozenset(place.split(".", 1)[0] for place in self.fields)

    @cached_property
    def version(self) -> int | None:
        try:
            return _Version.model_validate(self.readable).version
        except ValidationError:
            return None

    @cached_property
    def _routing(self) -> _Routing | None:
        try:
            return _Routing.model_validate(self.readable)
        except ValidationError:
            return None

    def receives(self, event: str, environment: Environment) -> bool:
        """Whether the fields that route read back and route the event here: its deliveries are then
        attempted and fail (`webhook_damaged`), so they can be recovered once the webhook is repaired."""
        routing = self._routing
        return routing is not None and routes(routing.enabled, routing.environment, routing.events, event, environment)

    def payload_test(self) -> Test | None:
        """Its payload filter when that reads back; a damaged filter filters nothing, so the deliveries it may have
        let through fail as `webhook_damaged` and can be recovered (deliver checks the repaired filter then)."""
        spec = self.readable.get("filter")
        return compile_filter(spec) if isinstance(spec, dict) and "filter" not in self.damaged_names else None

    @property
    def repairable(self) -> bool:
        return self.damaged_names <= REPAIRABLE_FIELDS

    @property
    def detail(self) -> str:
        """What is wrong and how to repair it: field names, never values (safe to show and to log)."""
        if self.repairable:
            remedy = "PATCH it with valid values for these fields, or DELETE it"
        else:
            unsettable = ", ".join(sorted(self.damaged_names - REPAIRABLE_FIELDS))
            remedy = f"DELETE it and create it again (PATCH cannot set {unsettable})"
        places = ", ".join(self.fields)
        return f"webhook {self.webhook_id} is stored with values that do not read back ({places}): {remedy}"

    def error(self) -> WebhookDamaged:
        version = {} if self.version is None else {"current_version": self.version}
        return WebhookDamaged(self.detail, damaged_fields=list(self.fields), **version)

    def repaired(self, changes: Mapping[str, Any]) -> Webhook:
        """The webhook that `changes` make of it; WebhookDamaged unless they set every damaged field."""
        if not self.repairable or not self.damaged_names <= changes.keys():
            raise self.error()
        return Webhook.model_validate(dict(self.readable) | dict(changes))

    def changes_to(self, webhook: Webhook | None) -> dict[str, FieldChange]:
        """The audit record of its repair into `webhook` (or of its deletion): a damaged field was nothing readable."""
        before = {name: None if name in self.damaged_names else self.readable.get(name) for name in AUDITED_FIELDS}
        after = audited_values(webhook)
        return {
            name: FieldChange(before=before[name], after=after[name])
            for name in AUDITED_FIELDS
            if before[name] != after[name]
        }
