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


class Environment(StrEnum):
    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    entity: Entity
    description: str


CATALOGUE: tuple[EventType, ...] = (
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

EVENT_NAMES: frozenset[str] = frozenset(event.name for event in CATALOGUE)

# Sent only by the "send test event" call; never derived from domain data, always deliverable.
TEST_EVENT = "webhook.test"
TEST_EVENT_DESCRIPTION = "Sent when you press *Send test event* (or call `POST /webhooks/{id}/test`)."


def is_valid_pattern(pattern: str) -> bool:
    """A subscription is an event name, an entity wildcard (`license.*`) or `*`."""
    if pattern == "*" or pattern in EVENT_NAMES:
        return True
    entity, _, star = pattern.partition(".")
    return star == "*" and entity in Entity.__members__.values()


def matches(patterns: frozenset[str] | set[str] | tuple[str, ...], event: str) -> bool:
    """Whether an event name is covered by any of the subscription patterns."""
    return any(fnmatchcase(event, pattern) for pattern in patterns)
