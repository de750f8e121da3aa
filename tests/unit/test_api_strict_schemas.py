"""Request bodies are taken as their JSON says, strictly: free text without control characters, and
booleans and numbers only as JSON booleans and numbers (never coerced from strings or other types)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tests.support.builders import a_webhook_request
from webhooks.api.schemas import WebhookCreate, WebhookUpdate
from webhooks.domain.drafts import WebhookDraft, WebhookPatch


def refused_fields(model: type[BaseModel], body: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return {str(error["loc"][0]) for error in refused.value.errors()}


@pytest.mark.parametrize("name", ["a\x00b", "a\x07b", "line\nbreak", "tab\there", "a\x1bb", "a\x7fb", "a\x85b"])
def test_a_name_with_a_control_character_is_refused_wherever_a_name_is_taken(name: str) -> None:
    # Given a name holding a control character (found by review: a NUL inside a name was accepted)
    # When it is given for a new webhook, for a change, or to the domain's draft and patch
    # Then each refuses the name field
    for model, body in [
        (WebhookCreate, a_webhook_request(name=name)),
        (WebhookUpdate, {"name": name}),
        (WebhookDraft, a_webhook_request(name=name)),
        (WebhookPatch, {"name": name}),
    ]:
        assert refused_fields(model, body) == {"name"}, model


@pytest.mark.parametrize("description", ["a\x00b", "bell\x07", "escape\x1b[31m", "a\x7fb", "a\x9bb"])
def test_a_description_with_a_control_character_other_than_a_line_break_or_tab_is_refused(description: str) -> None:
    assert refused_fields(WebhookCreate, a_webhook_request(description=description)) == {"description"}
    assert refused_fields(WebhookUpdate, {"description": description}) == {"description"}


def test_a_description_may_span_lines_and_hold_tabs_and_any_printable_text() -> None:
    description = "First line\r\nsecond\tline\nüñíçødé ✓ 名前"

    assert WebhookCreate.model_validate(a_webhook_request(description=description)).description == description
    assert WebhookCreate.model_validate(a_webhook_request(name="  Facturación ✓ ")).name == "Facturación ✓"
