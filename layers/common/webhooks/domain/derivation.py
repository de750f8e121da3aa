"""Stream changes of the domain tables (and of the operational events' table) become events. Pure: no AWS,
no Lambda.

One table-driven rule per (entity, change kind); each rule turns a change into zero or more event
names. Routing (account, environment) comes from the image the payload is taken from: the new image,
or the old one for a removal. A change that cannot be routed is `Unroutable`, never retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from webhooks.catalogue import DOMAIN_ENTITIES, OPERATIONAL_EVENT_NAMES, Entity, Environment, EventGroup
from webhooks.domain.ids import event_id
from webhooks.domain.operational_events import may_reach


class ChangeKind(StrEnum):
    INSERT = "INSERT"
    MODIFY = "MODIFY"
    REMOVE = "REMOVE"


@dataclass(frozen=True, slots=True)
class StreamChange:
    """One stream record, images already plain JSON (the adapter converts DynamoDB JSON)."""

    sequence_number: str
    stream_event_id: str
    table_name: str
    kind: str  # a ChangeKind value, kept as received so an unknown kind is reported, not raised
    keys: dict[str, Any]
    occurred_at: datetime
    old_image: dict[str, Any] | None = None
    new_image: dict[str, Any] | None = None
    removed_by_ttl: bool = False  # DynamoDB's TTL process deleted the item (userIdentity: Service)


@dataclass(frozen=True, slots=True)
class DerivedEvent:
    event_id: str
    event: str
    account_id: str
    environment: Environment
    occurred_at: datetime
    payload: dict[str, Any]
    previous_attributes: dict[str, Any] | None = None
    removed_by_ttl: bool = False
    about_webhook_id: str | None = None  # an operational event's webhook

    def is_sent_to(self, webhook_id: str) -> bool:
        return may_reach(self.event, self.about_webhook_id, webhook_id)


class UnroutableReason(StrEnum):
    UNKNOWN_TABLE = "unknown_table"
    UNKNOWN_CHANGE = "unknown_change"
    MISSING_IMAGE = "missing_image"
    MISSING_ACCOUNT = "missing_account_id"
    MISSING_ENVIRONMENT = "missing_environment"
    UNKNOWN_ENVIRONMENT = "unknown_environment"


@dataclass(frozen=True, slots=True)
class Unroutable:
    """A change no webhook can ever receive: counted and logged with its keys, not retried."""

    reason: UnroutableReason
    keys: dict[str, Any] = field(default_factory=dict)


LICENSE_TRANSITIONS = {
    "active": "license.activated",
    "inactive": "license.deactivated",
    "suspended": "license.suspended",
    "expired": "license.expired",
    "revoked": "license.revoked",
}

Rule = Callable[[dict[str, Any], dict[str, Any]], list[str]]


def _status_became(old: dict[str, Any], new: dict[str, Any], status: str) -> bool:
    return new.get("status") == status and old.get("status") != status


def _license_modified(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    names = ["license.updated"]
    status = new.get("status")
    if status != old.get("status") and isinstance(status, str) and status in LICENSE_TRANSITIONS:
        names.append(LICENSE_TRANSITIONS[status])
    if new.get("assignee") not in (None, "") and new.get("assignee") != old.get("assignee"):
        names.append("license.assigned")
    return names


def _always(name: str) -> Rule:
    return lambda _old, _new: [name]


def _activation_inserted(_old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return ["activation.failed" if new.get("status") == "failed" else "activation.created"]


def _activation_modified(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return ["activation.failed"] if _status_became(old, new, "failed") else []


def _contract_modified(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return ["contract.updated", "contract.suspended"] if _status_became(old, new, "suspended") else ["contract.updated"]


# The events each entity's changes produce, one row per (entity, change kind).
RULES: Mapping[tuple[Entity, ChangeKind], Rule] = {
    (Entity.LICENSE, ChangeKind.INSERT): _always("license.created"),
    (Entity.LICENSE, ChangeKind.MODIFY): _license_modified,
    (Entity.LICENSE, ChangeKind.REMOVE): _always("license.deleted"),
    (Entity.ACTIVATION, ChangeKind.INSERT): _activation_inserted,
    (Entity.ACTIVATION, ChangeKind.MODIFY): _activation_modified,
    (Entity.ACTIVATION, ChangeKind.REMOVE): _always("activation.deleted"),
    (Entity.PRODUCT, ChangeKind.INSERT): _always("product.created"),
    (Entity.PRODUCT, ChangeKind.MODIFY): _always("product.updated"),
    (Entity.PRODUCT, ChangeKind.REMOVE): _always("product.deleted"),
    (Entity.CONTRACT, ChangeKind.INSERT): _always("contract.created"),
    (Entity.CONTRACT, ChangeKind.MODIFY): _contract_modified,
    (Entity.CONTRACT, ChangeKind.REMOVE): _always("contract.deleted"),
}


def previous_attributes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Old values of the fields that changed; a field the change added was null before (as Stripe shows it)."""
    return {name: old.get(name) for name in sorted(old.keys() | new.keys()) if old.get(name) != new.get(name)}


def _route(image: dict[str, Any], keys: dict[str, Any]) -> tuple[str, Environment] | Unroutable:
    account_id = image.get("account_id")
    if not isinstance(account_id, str) or not account_id:
        return Unroutable(UnroutableReason.MISSING_ACCOUNT, keys)
    environment = image.get("environment")
    if environment in (None, ""):
        return Unroutable(UnroutableReason.MISSING_ENVIRONMENT, keys)
    if environment not in Environment.__members__.values():
        return Unroutable(UnroutableReason.UNKNOWN_ENVIRONMENT, keys)
    return account_id, Environment(environment)


def derive(change: StreamChange, entity: Entity | EventGroup | None) -> list[DerivedEvent] | Unroutable:
    """The events one stream change means; [] when it means none (equal images, a non-event update).
    `entity` is what the change's table holds: an entity's records, or the operational events."""
    if entity is EventGroup.OPERATIONAL:
        return _operational(change)
    if entity not in DOMAIN_ENTITIES:
        return Unroutable(UnroutableReason.UNKNOWN_TABLE, change.keys)
    assert isinstance(entity, Entity)
    if change.kind not in ChangeKind.__members__.values():
        return Unroutable(UnroutableReason.UNKNOWN_CHANGE, change.keys)
    kind = ChangeKind(change.kind)
    old, new = change.old_image, change.new_image
    needs_old, needs_new = kind is not ChangeKind.INSERT, kind is not ChangeKind.REMOVE
    if (needs_old and old is None) or (needs_new and new is None):
        return Unroutable(UnroutableReason.MISSING_IMAGE, change.keys)
    old, new = old or {}, new or {}
    if kind is ChangeKind.MODIFY and old == new:
        return []
    payload = old if kind is ChangeKind.REMOVE else new
    route = _route(payload, change.keys)
    if isinstance(route, Unroutable):
        return route
    account_id, environment = route
    previous = previous_attributes(old, new) if kind is ChangeKind.MODIFY else None
    return [
        DerivedEvent(
            event_id=event_id(change.stream_event_id, name),
            event=name,
            account_id=account_id,
            environment=environment,
            occurred_at=change.occurred_at,
            payload=payload,
            previous_attributes=previous,
            removed_by_ttl=change.removed_by_ttl,
        )
        for name in RULES[entity, kind](old, new)
    ]


def _operational(change: StreamChange) -> list[DerivedEvent] | Unroutable:
    """An operational event is its item's insertion (the item as webhooks.adapters.operational_events
    writes it: `data` as JSON text); its later removal by TTL means nothing."""
    if change.kind != ChangeKind.INSERT:
        return []
    item = change.new_image
    if item is None:
        return Unroutable(UnroutableReason.MISSING_IMAGE, change.keys)
    if item.get("event") not in OPERATIONAL_EVENT_NAMES:
        return Unroutable(UnroutableReason.UNKNOWN_CHANGE, change.keys)
    route = _route(item, change.keys)
    if isinstance(route, Unroutable):
        return route
    account_id, environment = route
    return [
        DerivedEvent(
            event_id=str(item["event_id"]),
            event=str(item["event"]),
            account_id=account_id,
            environment=environment,
            occurred_at=datetime.fromisoformat(str(item["occurred_at"])),
            payload=json.loads(str(item.get("data") or "{}")),
            about_webhook_id=str(item["about_webhook_id"]),
        )
    ]
