from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from webhooks.catalogue import (
    CATALOGUE,
    DOMAIN_ENTITIES,
    DOMAIN_EVENTS,
    EVENT_NAMES,
    OPERATIONAL_EVENTS,
    TEST_EVENT,
    Entity,
    EventGroup,
    deployment_permits,
    is_valid_pattern,
    matches,
)

ROOT = Path(__file__).resolve().parents[2]
# The platform's guide customers were given, beside the project when it is checked out with it (as in CI).
SEED_GUIDE = ROOT.parent / "shared" / "seeds" / "000_e26a58d96d27f1d4.txt"

# The events customers are told of, in the guide's order, written down here so that the catalogue is
# checked in full on a plain clone too; the guides below are compared with this list.
GUIDE_EVENTS: tuple[tuple[str, Entity], ...] = (
    ("license.created", Entity.LICENSE), ("license.updated", Entity.LICENSE), ("license.deleted", Entity.LICENSE),
    ("license.assigned", Entity.LICENSE), ("license.activated", Entity.LICENSE),
    ("license.deactivated", Entity.LICENSE), ("license.suspended", Entity.LICENSE),
    ("license.expired", Entity.LICENSE), ("license.revoked", Entity.LICENSE),
    ("activation.created", Entity.ACTIVATION), ("activation.deleted", Entity.ACTIVATION),
    ("activation.failed", Entity.ACTIVATION),
    ("product.created", Entity.PRODUCT), ("product.updated", Entity.PRODUCT), ("product.deleted", Entity.PRODUCT),
    ("contract.created", Entity.CONTRACT), ("contract.updated", Entity.CONTRACT),
    ("contract.deleted", Entity.CONTRACT), ("contract.suspended", Entity.CONTRACT),
)  # fmt: skip


def test_the_catalogue_is_exactly_the_19_events_customers_are_told_of() -> None:
    # Given the events written down above (19, each once)
    assert len(GUIDE_EVENTS) == len({name for name, _ in GUIDE_EVENTS}) == 19
    # Then the domain group holds exactly those, in that order, each with its entity and a description
    assert [(event.name, event.entity) for event in DOMAIN_EVENTS] == list(GUIDE_EVENTS)
    assert {event.group for event in DOMAIN_EVENTS} == {EventGroup.DOMAIN}
    for event in CATALOGUE:
        assert event.description.endswith(".")


def test_the_operational_events_are_a_group_of_their_own_after_the_domain_events() -> None:
    # Then the catalogue is the 19 domain events, then the four operational ones, and nothing else
    assert [event.name for event in OPERATIONAL_EVENTS] == [
        "webhook.failing",
        "webhook.recovered",
        "webhook.disabled",
        "delivery.exhausted",
    ]
    assert {event.group for event in OPERATIONAL_EVENTS} == {EventGroup.OPERATIONAL}
    assert CATALOGUE == DOMAIN_EVENTS + OPERATIONAL_EVENTS
    assert {event.name for event in CATALOGUE} == EVENT_NAMES


@pytest.mark.parametrize(
    ("patterns", "event", "expected"),
    [
        ({"*"}, "webhook.failing", False),  # everything means every domain event, not the system's own news
        ({"*"}, "delivery.exhausted", False),
        ({"webhook.*"}, "webhook.disabled", True),
        ({"webhook.*"}, "delivery.exhausted", False),
        ({"*", "delivery.exhausted"}, "delivery.exhausted", True),
        ({"webhook.recovered"}, "webhook.recovered", True),
    ],
)
def test_an_operational_event_goes_only_to_who_names_it_or_its_entity(
    patterns: set[str], event: str, expected: bool
) -> None:
    assert matches(patterns, event) is expected


def test_the_deployments_permitted_events_narrow_the_domain_events_only() -> None:
    # Given a deployment that permits license events only
    permitted = ("license.*",)
    # Then a contract event is held back, while the test event and the operational events pass
    assert not deployment_permits(permitted, "contract.created")
    assert deployment_permits(permitted, "license.created")
    assert deployment_permits(permitted, TEST_EVENT)
    assert deployment_permits(permitted, "webhook.failing")


def _listed_in_the_seed_guide(text: str) -> list[str]:
    return re.findall(r"^- ([a-z]+\.[a-z]+)$", text, re.MULTILINE)


def _listed_in_the_receiving_guide(text: str) -> list[str]:
    """The event reference table's rows, less the test event (sent on request, never subscribed to) and
    the operational events (the system's news about its webhooks, not the platform's events)."""
    listed = re.findall(r"^\| \[`([a-z]+\.[a-z]+)`\]", text, re.MULTILINE)
    operational = {event.name for event in OPERATIONAL_EVENTS}
    return [name for name in listed if name != TEST_EVENT and name not in operational]


GUIDES = [pytest.param(ROOT / "docs" / "receiving-webhooks.md", _listed_in_the_receiving_guide, id="receiving-guide")]
if SEED_GUIDE.exists():
    GUIDES.append(pytest.param(SEED_GUIDE, _listed_in_the_seed_guide, id="seed-guide"))


@pytest.mark.parametrize(("guide", "listed_in"), GUIDES)
def test_every_guide_lists_exactly_the_events_written_down_here(
    guide: Path, listed_in: Callable[[str], list[str]]
) -> None:
    # Given a guide customers read (the project's own always; the seed guide when it is beside the project)
    listed = listed_in(guide.read_text(encoding="utf-8"))
    # Then it lists exactly the events written down above, in their order
    assert listed == [name for name, _ in GUIDE_EVENTS]


@pytest.mark.parametrize(
    "pattern",
    ["*", "license.*", "contract.*", "license.created", "activation.failed", "webhook.*", "delivery.exhausted"],
)
def test_valid_subscription_patterns(pattern: str) -> None:
    assert is_valid_pattern(pattern)


@pytest.mark.parametrize(
    "pattern", ["", "license", "license.unknown", "*.created", "user.*", "license.**", "webhook.test"]
)
def test_invalid_subscription_patterns(pattern: str) -> None:
    assert not is_valid_pattern(pattern)


@pytest.mark.parametrize(
    ("patterns", "event", "expected"),
    [
        ({"*"}, "contract.suspended", True),
        ({"license.*"}, "license.revoked", True),
        ({"license.*"}, "licenses.created", False),
        ({"license.*"}, "activation.created", False),
        ({"product.created", "product.deleted"}, "product.deleted", True),
        ({"product.created"}, "product.updated", False),
        (set(), "product.created", False),
    ],
)
def test_matching_honours_wildcards(patterns: set[str], event: str, expected: bool) -> None:
    assert matches(patterns, event) is expected


def test_every_entity_has_created_and_deleted_events() -> None:
    for entity in DOMAIN_ENTITIES:
        assert {f"{entity}.created", f"{entity}.deleted"} <= EVENT_NAMES
