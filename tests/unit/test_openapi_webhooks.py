"""The OpenAPI document's `webhooks`: one entry per event, and every real request fits its entry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator

from tests.support.builders import NOW, SECRET, a_delivery_message
from tools.generate_event_examples import event_examples
from webhooks.api.docs import webhooks_object
from webhooks.catalogue import CATALOGUE, TEST_EVENT
from webhooks.delivery.signing import encode_body, signed_headers
from webhooks.domain.webhook import MAX_PREVIOUS_SECRETS

ENVELOPE = ["event", "payload", "webhook_id", "event_id", "occurred_at", "environment", "previous_attributes"]


def _entry(event: str) -> dict[str, Any]:
    webhooks, _ = webhooks_object()
    return dict(webhooks[event]["post"])


def _errors(schema: dict[str, Any], value: Any) -> list[str]:
    """Validates as an OpenAPI 3.1 tool would, resolving `#/components/schemas/...` in the webhooks' schemas."""
    _, schemas = webhooks_object()
    validator = OAS31Validator({**schema, "components": {"schemas": schemas}})
    return [error.message for error in validator.iter_errors(value)]


def _body_schema(event: str) -> dict[str, Any]:
    return dict(_entry(event)["requestBody"]["content"]["application/json"]["schema"])


def _body_fields(event: str) -> dict[str, Any]:
    _, schemas = webhooks_object()
    return dict(schemas[_body_schema(event)["$ref"].removeprefix("#/components/schemas/")])


def _headers(event: str) -> dict[str, dict[str, Any]]:
    return {parameter["name"]: parameter for parameter in _entry(event)["parameters"]}


def test_there_is_one_entry_per_event_of_the_catalogue_and_the_test_event() -> None:
    webhooks, _ = webhooks_object()
    assert list(webhooks) == [event.name for event in CATALOGUE] + [TEST_EVENT]
    assert all(list(entry) == ["post"] for entry in webhooks.values())


@pytest.mark.parametrize("event", [event.name for event in CATALOGUE] + [TEST_EVENT])
def test_each_entry_describes_the_envelope_with_its_event_as_a_const(event: str) -> None:
    body = _body_fields(event)
    assert list(body["properties"]) == ENVELOPE
    assert body["required"] == ENVELOPE[:-1]
    assert body["properties"]["event"]["const"] == event
    assert all(body["properties"][field].get("description") for field in ENVELOPE)


def test_every_real_request_fits_its_entry_headers_and_body() -> None:
    # Given one real message per event, derived from domain writes by the code (as the guide's examples are)
    for event, message in event_examples().items():
        # When it is encoded and signed as deliver sends it
        body = encode_body(message)
        headers = signed_headers(message, body, [SECRET], NOW)
        # Then its body fits the entry's schema, which names every field sent, and its headers are exactly the
        # entry's parameters, each fitting
        assert _errors(_body_schema(event), json.loads(body)) == []
        assert set(json.loads(body)) <= set(_body_fields(event)["properties"]), event
        documented = _headers(event)
        assert set(headers) == set(documented), event
        for name, value in headers.items():
            assert (documented[name]["in"], documented[name]["required"]) == ("header", True)
            assert _errors(documented[name]["schema"], value) == []


def test_an_entry_refuses_another_events_body_and_header() -> None:
    # Given a real license.created request
    message = a_delivery_message(event="license.created")
    body = json.loads(encode_body(message))
    # When it is checked against license.deleted's entry / Then the const event refuses it, in the body and header
    assert _errors(_body_schema("license.deleted"), body) != []
    assert _errors(_headers("license.deleted")["x-webhook-event"]["schema"], message.event) != []


def test_the_signature_header_allows_every_signing_secret_and_no_more() -> None:
    # Given requests signed by the current secret and 0..3 previous ones, and one signed by one more
    message = a_delivery_message()
    body = encode_body(message)
    secrets = [SECRET] + [f"whsec_{'QUJD' * 8}"] * (MAX_PREVIOUS_SECRETS + 1)
    schema = _headers(message.event)["webhook-signature"]["schema"]
    # When each webhook-signature is checked / Then the pattern takes up to four entries, and refuses five
    for count in range(1, MAX_PREVIOUS_SECRETS + 2):
        assert _errors(schema, signed_headers(message, body, secrets[:count], NOW)["webhook-signature"]) == []
    assert _errors(schema, signed_headers(message, body, secrets, NOW)["webhook-signature"]) != []


def test_each_entry_shows_a_generated_example_request_that_fits_it() -> None:
    for event in [event.name for event in CATALOGUE] + [TEST_EVENT]:
        content = _entry(event)["requestBody"]["content"]["application/json"]
        assert content["example"]["event"] == event
        assert _errors(content["schema"], content["example"]) == []
        for parameter in _headers(event).values():
            assert _errors(parameter["schema"], parameter["example"]) == []


def test_the_expected_answer_is_any_2xx_and_a_redirect_is_a_failure() -> None:
    responses = _entry("license.created")["responses"]
    assert set(responses) == {"2XX", "410", "default"}
    assert "3xx" in responses["default"]["description"]
    assert "not followed" in responses["default"]["description"]
    assert _entry("license.created")["security"] == []
