"""Derivation of events from stream changes: one test per row of the table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.builders import NOW, a_license, a_stream_change
from webhooks.catalogue import DOMAIN_ENTITIES, EVENT_NAMES, OPERATIONAL_EVENT_NAMES, Entity, Environment
from webhooks.domain.derivation import DerivedEvent, Unroutable, UnroutableReason, derive, previous_attributes
from webhooks.domain.ids import delivery_id, event_id

BASE = {"id": "x_1", "account_id": "acme", "environment": "production"}


def _item(**fields: Any) -> dict[str, Any]:
    return BASE | fields


# (entity, change kind, old image, new image, events expected)
ROWS: list[tuple[Entity, str, dict[str, Any] | None, dict[str, Any] | None, list[str]]] = [
    (Entity.LICENSE, "INSERT", None, _item(status="inactive"), ["license.created"]),
    (Entity.LICENSE, "MODIFY", _item(seats=5), _item(seats=6), ["license.updated"]),
    (
        Entity.LICENSE,
        "MODIFY",
        _item(status="inactive"),
        _item(status="active"),
        ["license.updated", "license.activated"],
    ),
    (
        Entity.LICENSE,
        "MODIFY",
        _item(status="active"),
        _item(status="inactive"),
        ["license.updated", "license.deactivated"],
    ),
    (
        Entity.LICENSE,
        "MODIFY",
        _item(status="active"),
        _item(status="suspended"),
        ["license.updated", "license.suspended"],
    ),
    (Entity.LICENSE, "MODIFY", _item(status="active"), _item(status="expired"), ["license.updated", "license.expired"]),
    (Entity.LICENSE, "MODIFY", _item(status="active"), _item(status="revoked"), ["license.updated", "license.revoked"]),
    (Entity.LICENSE, "MODIFY", _item(status="active"), _item(status="pending"), ["license.updated"]),
    (Entity.LICENSE, "MODIFY", _item(), _item(status="active"), ["license.updated", "license.activated"]),
    (Entity.LICENSE, "MODIFY", _item(), _item(assignee="bob"), ["license.updated", "license.assigned"]),
    (Entity.LICENSE, "MODIFY", _item(assignee="bob"), _item(assignee="carol"), ["license.updated", "license.assigned"]),
    (Entity.LICENSE, "MODIFY", _item(assignee="bob"), _item(assignee=""), ["license.updated"]),
    (Entity.LICENSE, "MODIFY", _item(assignee="bob"), _item(), ["license.updated"]),
    (
        Entity.LICENSE,
        "MODIFY",
        _item(status="inactive"),
        _item(status="active", assignee="bob"),
        ["license.updated", "license.activated", "license.assigned"],
    ),
    (Entity.LICENSE, "REMOVE", _item(status="active"), None, ["license.deleted"]),
    (Entity.ACTIVATION, "INSERT", None, _item(status="ok"), ["activation.created"]),
    (Entity.ACTIVATION, "INSERT", None, _item(status="failed"), ["activation.failed"]),
    (Entity.ACTIVATION, "MODIFY", _item(status="pending"), _item(status="failed"), ["activation.failed"]),
    (Entity.ACTIVATION, "MODIFY", _item(status="pending"), _item(status="ok"), []),
    (Entity.ACTIVATION, "MODIFY", _item(status="failed", n=1), _item(status="failed", n=2), []),
    (Entity.ACTIVATION, "REMOVE", _item(), None, ["activation.deleted"]),
    (Entity.PRODUCT, "INSERT", None, _item(name="Pro"), ["product.created"]),
    (Entity.PRODUCT, "MODIFY", _item(name="Pro"), _item(name="Pro 2"), ["product.updated"]),
    (Entity.PRODUCT, "REMOVE", _item(name="Pro"), None, ["product.deleted"]),
    (Entity.CONTRACT, "INSERT", None, _item(status="active"), ["contract.created"]),
    (Entity.CONTRACT, "MODIFY", _item(status="active"), _item(status="renewing"), ["contract.updated"]),
    (
        Entity.CONTRACT,
        "MODIFY",
        _item(status="active"),
        _item(status="suspended"),
        ["contract.updated", "contract.suspended"],
    ),
    (Entity.CONTRACT, "MODIFY", _item(status="suspended", n=1), _item(status="suspended", n=2), ["contract.updated"]),
    (Entity.CONTRACT, "REMOVE", _item(), None, ["contract.deleted"]),
]


def _row_id(row: tuple[Entity, str, Any, Any, list[str]]) -> str:
    entity, kind, old, new, events = row
    changed = sorted(previous_attributes(old or {}, new or {})) if kind == "MODIFY" else []
    return f"{entity}-{kind}-{'+'.join(changed) or 'all'}->{'+'.join(events) or 'nothing'}"


@pytest.mark.parametrize(("entity", "kind", "old", "new", "expected"), ROWS, ids=[_row_id(row) for row in ROWS])
def test_each_change_becomes_its_events(
    entity: Entity, kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None, expected: list[str]
) -> None:
    # Given a change of one entity
    change = a_stream_change(kind, old=old, new=new)
    # When it is derived
    events = derive(change, entity)
    # Then it means exactly the expected events, in order
    assert isinstance(events, list)
    assert [event.event for event in events] == expected


def test_the_rows_cover_every_event_of_the_catalogue() -> None:
    assert {name for *_, events in ROWS for name in events} == EVENT_NAMES - OPERATIONAL_EVENT_NAMES


@pytest.mark.parametrize("entity", list(DOMAIN_ENTITIES))
def test_a_modify_with_equal_images_emits_nothing(entity: Entity) -> None:
    assert derive(a_stream_change("MODIFY", old=_item(status="active"), new=_item(status="active")), entity) == []


def test_an_event_carries_its_route_time_payload_and_stable_id() -> None:
    # Given a license activation
    change = a_stream_change("MODIFY", old=a_license(), new=a_license(status="active", seats=6))
    # When it is derived
    updated, activated = derive(change, Entity.LICENSE)  # type: ignore[misc]
    # Then each event has an id from the stream record and its own name, the new image and old values
    assert activated == DerivedEvent(
        event_id=event_id("stream-event-1", "license.activated"),
        event="license.activated",
        account_id="acme",
        environment=Environment.PRODUCTION,
        occurred_at=NOW,
        payload=a_license(status="active", seats=6),
        previous_attributes={"seats": 5, "status": "inactive"},
    )
    assert updated.event_id != activated.event_id
    assert updated.previous_attributes == activated.previous_attributes


def test_the_same_stream_record_always_yields_the_same_ids() -> None:
    first = derive(a_stream_change(new=a_license()), Entity.LICENSE)
    again = derive(a_stream_change(new=a_license()), Entity.LICENSE)
    other = derive(a_stream_change(new=a_license(), stream_event_id="stream-event-2"), Entity.LICENSE)
    assert isinstance(first, list)
    assert isinstance(again, list)
    assert isinstance(other, list)
    assert first[0].event_id == again[0].event_id != other[0].event_id
    assert delivery_id(first[0].event_id, "wh-1") == delivery_id(again[0].event_id, "wh-1")
    assert delivery_id(first[0].event_id, "wh-1") != delivery_id(first[0].event_id, "wh-2")


def test_a_deletion_carries_the_old_image_and_no_previous_attributes() -> None:
    (deleted,) = derive(a_stream_change("REMOVE", old=a_license(status="active")), Entity.LICENSE)  # type: ignore[misc]
    assert deleted.payload == a_license(status="active")
    assert deleted.previous_attributes is None
    assert deleted.removed_by_ttl is False


def test_a_ttl_removal_is_still_a_deletion_marked_as_such() -> None:
    change = a_stream_change("REMOVE", old=a_license(), removed_by_ttl=True)
    (deleted,) = derive(change, Entity.LICENSE)  # type: ignore[misc]
    assert (deleted.event, deleted.removed_by_ttl) == ("license.deleted", True)


def test_previous_attributes_are_the_old_values_of_changed_fields() -> None:
    old = {"a": 1, "b": "same", "gone": True}
    new = {"a": 2, "b": "same", "added": [1]}
    assert previous_attributes(old, new) == {"a": 1, "added": None, "gone": True}


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ({"id": "x", "environment": "production"}, UnroutableReason.MISSING_ACCOUNT),
        ({"id": "x", "account_id": "", "environment": "production"}, UnroutableReason.MISSING_ACCOUNT),
        ({"id": "x", "account_id": 7, "environment": "production"}, UnroutableReason.MISSING_ACCOUNT),
        ({"id": "x", "account_id": "acme"}, UnroutableReason.MISSING_ENVIRONMENT),
        ({"id": "x", "account_id": "acme", "environment": "qa"}, UnroutableReason.UNKNOWN_ENVIRONMENT),
        ({"id": "x", "account_id": "acme", "environment": ["production"]}, UnroutableReason.UNKNOWN_ENVIRONMENT),
    ],
)
def test_an_item_without_a_route_is_unroutable_with_its_keys(image: dict[str, Any], reason: UnroutableReason) -> None:
    assert derive(a_stream_change(new=image), Entity.LICENSE) == Unroutable(reason, {"id": "x"})


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("INSERT", None, None),
        ("MODIFY", None, BASE),
        ("MODIFY", BASE, None),
        ("REMOVE", None, None),
    ],
)
def test_a_change_missing_the_image_it_needs_is_unroutable(
    kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> None:
    outcome = derive(a_stream_change(kind, old=old, new=new), Entity.PRODUCT)
    assert isinstance(outcome, Unroutable)
    assert outcome.reason is UnroutableReason.MISSING_IMAGE


def test_a_removal_is_routed_by_its_old_image() -> None:
    outcome = derive(a_stream_change("REMOVE", old=_item(environment="staging")), Entity.PRODUCT)
    assert isinstance(outcome, list)
    assert outcome[0].environment is Environment.STAGING


def test_an_unknown_table_or_change_kind_is_unroutable() -> None:
    assert derive(a_stream_change(new=BASE), None) == Unroutable(UnroutableReason.UNKNOWN_TABLE, {"id": "x_1"})
    unknown = derive(a_stream_change("TRUNCATE", new=BASE), Entity.LICENSE)
    assert unknown == Unroutable(UnroutableReason.UNKNOWN_CHANGE, {"id": "x_1"})
