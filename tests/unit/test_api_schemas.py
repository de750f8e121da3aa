"""What the API accepts as a webhook, a change and a rotation (before any use case runs)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tests.support.builders import a_webhook_request
from webhooks.api.schemas import SecretRotation, WebhookCreate, WebhookUpdate


def test_a_minimal_request_gets_the_documented_defaults() -> None:
    draft = WebhookCreate.model_validate(a_webhook_request(events=["license.created", "*", "license.created"]))
    assert draft.enabled is True
    assert draft.events == ["*", "license.created"]
    assert (draft.connect_timeout_seconds, draft.read_timeout_seconds) == (5.0, 10.0)
    assert draft.retry_policy is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"events": []}, "events"),
        ({"events": ["license.nope"]}, "events"),
        ({"events": ["licence.*"]}, "events"),
        ({"events": ["license.created.*"]}, "events"),
        ({"environment": "qa"}, "environment"),
        ({"description": "d" * 501}, "description"),
        ({"url": "u" * 2049}, "url"),
        ({"connect_timeout_seconds": 31}, "connect_timeout_seconds"),
        ({"read_timeout_seconds": 0}, "read_timeout_seconds"),
        ({"read_timeout_seconds": 0.0004}, "read_timeout_seconds"),
        ({"connect_timeout_seconds": 1.0005}, "connect_timeout_seconds"),
        ({"read_timeout_seconds": 0.1 + 0.2}, "read_timeout_seconds"),
        ({"retry_policy": {"max_attempts": 11}}, "retry_policy"),
        ({"retry_policy": {"max_attempts": 0}}, "retry_policy"),
        ({"retry_policy": {"max_attempts": 3, "jitter": True}}, "retry_policy"),
        ({"secret": "whsec_mine"}, "secret"),
    ],
)
def test_invalid_webhooks_are_refused_field_by_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        WebhookCreate.model_validate(a_webhook_request(**overrides))
    assert {error["loc"][0] for error in refused.value.errors()} == {field}


def test_wildcards_and_retry_policies_within_limits_are_accepted() -> None:
    request = a_webhook_request(
        events=["license.*", "contract.suspended"],
        retry_policy={"max_attempts": 10, "initial_backoff_seconds": 5},
        read_timeout_seconds=30,
    )
    draft = WebhookCreate.model_validate(request).to_draft()
    assert draft.retry_policy is not None
    assert draft.retry_policy.max_attempts == 10
    assert draft.read_timeout_seconds == 30


@pytest.mark.parametrize("model", [WebhookCreate, WebhookUpdate])
def test_timeouts_are_whole_milliseconds_as_the_store_keeps_them_and_the_schema_says_so(
    model: type[WebhookCreate] | type[WebhookUpdate],
) -> None:
    # Given timeouts at the bounds, and ones finer than a millisecond (0.0004 was stored as 0 ms and broke the account)
    accepted = [0.001, 2.5, 29.999, 30]
    refused = [0.0004, 0.0005, 1.0005, 0.1 + 0.2]
    fields = ["connect_timeout_seconds", "read_timeout_seconds"]
    # Then whole milliseconds are accepted as given and finer values are refused, for either timeout
    for field in fields:
        assert [getattr(model.model_validate(_with(model, field, value)), field) for value in accepted] == accepted
        for value in refused:
            with pytest.raises(ValidationError) as refused_value:
                model.model_validate(_with(model, field, value))
            assert [error["loc"] for error in refused_value.value.errors()] == [(field,)]
    # And the schema a client reads states the same rule
    schema = model.model_json_schema()["properties"]["read_timeout_seconds"]
    bounds = schema if "anyOf" not in schema else schema["anyOf"][0]
    assert (bounds["minimum"], bounds["maximum"], bounds["multipleOf"]) == (0.001, 30, 0.001)


def _with(model: type[WebhookCreate] | type[WebhookUpdate], field: str, value: float) -> dict[str, Any]:
    return a_webhook_request(**{field: value}) if model is WebhookCreate else {field: value}


def test_a_change_carries_only_the_fields_given_and_null_clears_only_nullable_ones() -> None:
    patch = WebhookUpdate.model_validate({"enabled": False, "description": None}).to_patch()
    assert patch.changes() == {"enabled": False, "description": None}
    with pytest.raises(ValidationError):
        WebhookUpdate.model_validate({"name": None}).to_patch()
    with pytest.raises(ValidationError):
        WebhookUpdate.model_validate({"enabled": False, "owner": "me"})


def test_the_grace_period_defaults_to_a_day_and_is_at_most_a_week() -> None:
    assert SecretRotation().grace_period_seconds == 86_400
    assert SecretRotation.model_validate({"grace_period_seconds": 604_800}).grace_period_seconds == 604_800
    with pytest.raises(ValidationError):
        SecretRotation.model_validate({"grace_period_seconds": 604_801})
    with pytest.raises(ValidationError):
        SecretRotation.model_validate({"grace_period_seconds": -1})
