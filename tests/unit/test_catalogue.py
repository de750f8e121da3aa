from __future__ import annotations

import re
from pathlib import Path

import pytest

from webhooks.catalogue import CATALOGUE, EVENT_NAMES, Entity, is_valid_pattern, matches

SEED_GUIDE = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_e26a58d96d27f1d4.txt"


def test_the_catalogue_has_the_19_events_of_the_customer_guide() -> None:
    # Given the events the customer guide lists (when the guide is beside the project, as in CI)
    expected = {
        "license.created", "license.updated", "license.deleted", "license.assigned", "license.activated",
        "license.deactivated", "license.suspended", "license.expired", "license.revoked",
        "activation.created", "activation.deleted", "activation.failed",
        "product.created", "product.updated", "product.deleted",
        "contract.created", "contract.updated", "contract.deleted", "contract.suspended",
    }  # fmt: skip
    if SEED_GUIDE.exists():
        assert set(re.findall(r"^- ([a-z]+\.[a-z]+)$", SEED_GUIDE.read_text(), re.MULTILINE)) == expected
    # Then the catalogue has exactly those, each once, each with a description and its entity
    assert len(CATALOGUE) == 19
    assert expected == EVENT_NAMES
    for event in CATALOGUE:
        assert event.description.endswith(".")
        assert event.name.split(".")[0] == event.entity.value


@pytest.mark.parametrize("pattern", ["*", "license.*", "contract.*", "license.created", "activation.failed"])
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
    for entity in Entity:
        assert {f"{entity}.created", f"{entity}.deleted"} <= EVENT_NAMES
