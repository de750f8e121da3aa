"""The events a webhook can subscribe to, one place for names, entities and descriptions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase


class Entity(StrEnum):
    LICENSE = "license"
    ACTIVATION = "activation"
    PRODUCT = "product"
    CONTRACT = "contract"
    WEBHOOK = "webhook"  # operational: a webhook's own endpoint
    DELIVERY = "delivery"  # operational: a delivery's retries


# The entities whose tables' changes are the domain events (the others are the system's own).
DOMAIN_ENTITIES: tuple[Entity, ...] = (Entity.LICENSE, Entity.ACTIVATION, Entity.PRODUCT, Entity.CONTRACT)


class EventGroup(StrEnum):
    DOMAIN = "domain"  # changes to licenses, activations, products and contracts
    OPERATIONAL = "operational"  # the webhook system about itself: endpoints failing, recovering, disabled


class Environment(StrEnum):
    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    entity: Entity
    description: str
    group: EventGroup = EventGroup.DOMAIN


DOMAIN_EVENTS: tuple[EventType, ...] = (
    EventType("license.created", Entity.LICENSE, "A license was created."),
    EventType("license.updated", Entity.LICENSE, "Any field of a license changed."),
    EventType("license.deleted", Entity.LICENSE, "A license was deleted."),
    EventType("license.assigned", Entity.LICENSE, "A license was assigned to a (new) assignee."),
    EventType("license.activated", Entity.LICENSE, "A license's status changed to active."),
    EventType("license.deactivated", Entity.LICENSE, "A license's status changed to inactive."),
    EventType("license.suspended", Entity.LICENSE, "A license's status changed to suspended."),
    EventType("license.expired", Entity.LICENSE, "A license's status changed to expired."),
    EventType("license.revoked", Entity.LICENSE, "A license's status changed to revoked."),
    EventType("activation.created", Entity.ACTIVATION, "A license was activated on a device or seat."),
    EventType("activation.deleted", Entity.ACTIVATION, "An activation was removed."),
    EventType("activation.failed", Entity.ACTIVATION, "An activation attempt failed."),
    EventType("product.created", Entity.PRODUCT, "A product was created."),
    EventType("product.updated", Entity.PRODUCT, "A product changed."),
    EventType("product.deleted", Entity.PRODUCT, "A product was deleted."),
    EventType("contract.created", Entity.CONTRACT, "A contract was created."),
    EventType("contract.updated", Entity.CONTRACT, "A contract changed."),
    EventType("contract.deleted", Entity.CONTRACT, "A contract was deleted."),
    EventType("contract.suspended", Entity.CONTRACT, "A contract's status changed to suspended."),
)

_OPERATIONAL = EventGroup.OPERATIONAL
OPERATIONAL_EVENTS: tuple[EventType, ...] = (
    EventType(
        "webhook.failing",
        Entity.WEBHOOK,
        "A webhook's endpoint failed enough times in a row that its circuit opened: its deliveries wait.",
        _OPERATIONAL,
    ),
    EventType(
        "webhook.recovered",
        Entity.WEBHOOK,
        "A webhook's endpoint answered again after its circuit had opened.",
        _OPERATIONAL,
    ),
    EventType(
        "webhook.disabled",
        Entity.WEBHOOK,
        "A webhook was disabled: its endpoint stayed down too long, answered 410 Gone, or an admin disabled it.",
        _OPERATIONAL,
    ),
    EventType(
        "delivery.exhausted",
        Entity.DELIVERY,
        "A delivery's last attempt under its webhook's retry policy failed: no retry follows.",
        _OPERATIONAL,
    ),
)

CATALOGUE: tuple[EventType, ...] = DOMAIN_EVENTS + OPERATIONAL_EVENTS
EVENT_NAMES: frozenset[str] = frozenset(event.name for event in CATALOGUE)
OPERATIONAL_EVENT_NAMES: frozenset[str] = frozenset(event.name for event in OPERATIONAL_EVENTS)

# Sent only by the "send test event" call; never derived from domain data, always deliverable.
TEST_EVENT = "webhook.test"
TEST_EVENT_DESCRIPTION = "Sent when you press *Send test event* (or call `POST /webhooks/{id}/test`)."


def is_valid_pattern(pattern: str) -> bool:
    """A subscription is an event name, an entity wildcard (`license.*`, `webhook.*`) or `*` (every domain event)."""
    if pattern == "*" or pattern in EVENT_NAMES:
        return True
    entity, _, star = pattern.partition(".")
    return star == "*" and entity in Entity.__members__.values()


def matches(patterns: frozenset[str] | set[str] | tuple[str, ...], event: str) -> bool:
    """Whether an event name is covered by any of the subscription patterns. `*` covers the domain events
    only: an operational event goes to a webhook that names it or its entity (`webhook.*`), so a
    subscriber to everything is not sent events about the webhook system it did not ask for."""
    if event in OPERATIONAL_EVENT_NAMES:
        return any(pattern != "*" and fnmatchcase(event, pattern) for pattern in patterns)
    return any(fnmatchcase(event, pattern) for pattern in patterns)


def deployment_permits(permitted: tuple[str, ...], event: str) -> bool:
    """Whether the deployment's PermittedEvents let an event through: it narrows the domain events; the
    test event and the operational events (the system about itself) always pass."""
    return event == TEST_EVENT or event in OPERATIONAL_EVENT_NAMES or matches(permitted, event)
