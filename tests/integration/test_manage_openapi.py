"""The OpenAPI document: valid, served at /openapi.json, and the committed copy matches the code."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from openapi_spec_validator import validate

from local.sam_template import ROOT
from tests.support.events import http_api_event
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ADMIN
from tools.generate_openapi import DOCUMENT, openapi_document


def test_the_committed_document_is_valid_and_matches_the_code(handler_for: Callable[..., LoadedHandler]) -> None:
    manage = handler_for("ManageFunction")
    generated = openapi_document(manage.module.app)
    validate(json.loads(generated))
    assert DOCUMENT.read_text(encoding="utf-8") == generated, "docs/openapi.json is stale: run `make openapi`"
    assert DOCUMENT.is_relative_to(ROOT)


def test_the_document_and_the_swagger_ui_are_served(handler_for: Callable[..., LoadedHandler]) -> None:
    manage = handler_for("ManageFunction")
    document = manage(http_api_event("GET", "/openapi.json", claims=ADMIN))
    ui = manage(http_api_event("GET", "/docs", claims=ADMIN))
    assert document["statusCode"] == 200
    paths = json.loads(document["body"])["paths"]
    assert {"/webhooks", "/webhooks/{webhook_id}", "/webhooks/{webhook_id}/secret/rotate", "/events"} <= set(paths)
    assert (ui["statusCode"], ui["headers"]["Content-Type"]) == (200, "text/html")
    assert "SwaggerUIBundle" in ui["body"]


def public_route_event(path: str) -> dict[str, Any]:
    """What the template's GET /openapi.json and GET /docs routes hand the function: no authorizer context."""
    event = http_api_event("GET", path)
    del event["requestContext"]["authorizer"]
    return event


def test_the_document_and_the_ui_are_served_on_their_public_routes_a_trailing_slash_too(
    handler_for: Callable[..., LoadedHandler],
) -> None:
    # Given the manage handler behind the template's unauthenticated documentation routes
    manage = handler_for("ManageFunction")
    # When a browser asks for the document and the UI, /docs/ with a trailing slash too (found by review: a 404)
    document, ui, slashed = (manage(public_route_event(path)) for path in ("/openapi.json", "/docs", "/docs/"))
    # Then each is served
    assert document["statusCode"] == 200
    assert "/webhooks" in json.loads(document["body"])["paths"]
    assert [(page["statusCode"], page["headers"]["Content-Type"]) for page in (ui, slashed)] == [(200, "text/html")] * 2
    assert slashed["body"] == ui["body"]


def test_every_operation_has_one_of_the_documents_tags_and_only_the_docs_need_no_token() -> None:
    # Given the committed document (found by review: every route sat under one "default" tag)
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    operations = [(path, operation) for path, methods in document["paths"].items() for operation in methods.values()]
    # Then every operation has exactly one tag, each declared with a description, in the UI's order
    assert [tag["name"] for tag in document["tags"]] == ["webhooks", "secrets", "deliveries", "events", "docs"]
    assert all(tag["description"] for tag in document["tags"])
    assert {len(operation["tags"]) for _, operation in operations} == {1}
    tags = {(path, operation["tags"][0]) for path, operation in operations}
    assert {path for path, tag in tags if tag == "secrets"} == {
        "/webhooks/{webhook_id}/secret",
        "/webhooks/{webhook_id}/secret/rotate",
    }
    assert {path for path, tag in tags if tag == "docs"} == {"/openapi.json", "/docs"}
    assert ("/events", "events") in tags
    # And only the documentation says it needs no token; everything else keeps the document's JWT scheme
    public = {path for path, operation in operations if operation.get("security") == [{}]}
    assert public == {"/openapi.json", "/docs"}
    assert all("security" not in operation for path, operation in operations if path not in public)
    assert document["security"] == [{"jwt": []}]
