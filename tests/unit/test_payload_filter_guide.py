"""docs/payload-filters.md cannot drift from the matcher: its examples are filters the API accepts, and they
match what they say they match among the catalogue's example bodies."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from webhooks.domain.payload_filter import check_filter, compile_filter

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "payload-filters.md"
EXAMPLES = Path(__file__).resolve().parents[2] / "layers/common/webhooks/api/event_examples.json"


def _section_filters(title: str) -> list[dict[str, Any]]:
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.DOTALL)]


def _example_body(event: str) -> dict[str, Any]:
    return dict(json.loads(EXAMPLES.read_text(encoding="utf-8"))[event]["body"])


def test_every_example_of_the_guide_is_a_filter_the_api_accepts() -> None:
    examples = _section_filters("Examples for this platform")
    assert len(examples) == 5
    for example in examples:
        assert check_filter(example) == example


def test_the_status_example_takes_suspended_and_revoked_records_only() -> None:
    _, status_changes, *_ = _section_filters("Examples for this platform")
    matches = compile_filter(status_changes)
    assert matches(_example_body("license.suspended")) is None
    assert matches(_example_body("contract.suspended")) is None
    assert matches(_example_body("license.created")) is not None


def test_the_tier_example_takes_a_product_moved_to_premium() -> None:
    *_, premium, _ = _section_filters("Examples for this platform")
    assert compile_filter(premium)(_example_body("product.updated")) is None
    assert compile_filter(premium)(_example_body("product.created")) is not None


def test_the_first_example_of_what_a_filter_is_matches_the_body_shown_beside_it() -> None:
    spec, body = _section_filters("What a filter is")[:2]
    assert compile_filter(spec)(body) is None
