"""Request bodies are taken as their JSON says, strictly: free text without control characters, and
booleans and numbers only as JSON booleans and numbers (never coerced from strings or other types)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tests.support.builders import a_webhook_request
from webhooks.api.schemas import SecretRotation, WebhookCreate, WebhookUpdate
from webhooks.catalogue import Environment
from webhooks.domain.drafts import WebhookDraft, WebhookPatch
from webhooks.domain.webhook import RetryPolicy


def refused_fields(model: type[BaseModel], body: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return {str(error["loc"][0]) for error in refused.value.errors()}


@pytest.mark.parametrize("name", ["a\x00b", "a\x07b", "line\nbreak", "tab\there", "a\x1bb", "a\x7fb", "a\x85b"])
def test_a_name_with_a_control_character_is_refused_wherever_a_name_is_taken(name: str) -> None:
    # Given a name holding a control character (found by review: a NUL inside a name was accepted)
    # When it is given for a new webhook, for a change, or to the domain's draft and patch
    # Then each refuses the name field
    takers: list[tuple[type[BaseModel], dict[str, Any]]] = [
        (WebhookCreate, a_webhook_request(name=name)),
        (WebhookUpdate, {"name": name}),
        (WebhookDraft, a_webhook_request(name=name)),
        (WebhookPatch, {"name": name}),
    ]
    for model, body in takers:
        assert refused_fields(model, body) == {"name"}, model


@pytest.mark.parametrize("description", ["a\x00b", "bell\x07", "escape\x1b[31m", "a\x7fb", "a\x9bb"])
def test_a_description_with_a_control_character_other_than_a_line_break_or_tab_is_refused(description: str) -> None:
    assert refused_fields(WebhookCreate, a_webhook_request(description=description)) == {"description"}
    assert refused_fields(WebhookUpdate, {"description": description}) == {"description"}


def test_a_description_may_span_lines_and_hold_tabs_and_any_printable_text() -> None:
    description = "First line\r\nsecond\tline\nüñíçødé ✓ 名前"

    assert WebhookCreate.model_validate(a_webhook_request(description=description)).description == description
    assert WebhookCreate.model_validate(a_webhook_request(name="  Facturación ✓ ")).name == "Facturación ✓"


@pytest.mark.parametrize("enabled", ["yes", "true", "false", 1, 0, 1.0])
def test_enabled_is_a_json_boolean_only(enabled: Any) -> None:
    # Given a truthy or falsy value that is not true or false (found by review: "yes" was coerced to true)
    # When it is given for a new webhook or a change
    # Then it is refused, not coerced
    assert refused_fields(WebhookCreate, a_webhook_request(enabled=enabled)) == {"enabled"}
    assert refused_fields(WebhookUpdate, {"enabled": enabled}) == {"enabled"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"connect_timeout_seconds": "3"}, "connect_timeout_seconds"),
        ({"read_timeout_seconds": True}, "read_timeout_seconds"),
        ({"retry_policy": {"max_attempts": "3"}}, "retry_policy"),
        ({"retry_policy": {"max_attempts": 3.0}}, "retry_policy"),
        ({"retry_policy": {"max_attempts": 3, "initial_backoff_seconds": "5"}}, "retry_policy"),
        ({"retry_policy": {"max_attempts": True}}, "retry_policy"),
    ],
)
def test_numbers_are_json_numbers_and_integers_json_integers(body: dict[str, Any], field: str) -> None:
    # Given a number spelt as a string, a boolean, or an integer field given a fraction-less float
    # When it is given for a new webhook or a change
    # Then it is refused, not coerced
    assert refused_fields(WebhookCreate, a_webhook_request(**body)) == {field}
    assert refused_fields(WebhookUpdate, body) == {field}


@pytest.mark.parametrize("grace", ["60", 60.0, True])
def test_a_grace_period_is_a_json_integer(grace: Any) -> None:
    assert refused_fields(SecretRotation, {"grace_period_seconds": grace}) == {"grace_period_seconds"}


def test_json_values_of_the_right_type_are_taken_as_they_are() -> None:
    # An integer is a valid number of seconds, and an environment is named by its string
    request = a_webhook_request(
        enabled=False, connect_timeout_seconds=3, read_timeout_seconds=2.5, retry_policy={"max_attempts": 3}
    )

    created = WebhookCreate.model_validate(request)

    assert (created.enabled, created.connect_timeout_seconds, created.read_timeout_seconds) == (False, 3.0, 2.5)
    assert (created.environment, created.retry_policy) == (Environment.PRODUCTION, RetryPolicy(max_attempts=3))
    assert WebhookUpdate.model_validate({"environment": "staging"}).environment is Environment.STAGING
    assert SecretRotation.model_validate({"grace_period_seconds": 60}).grace_period_seconds == 60
