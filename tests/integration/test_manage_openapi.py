"""The OpenAPI document: valid, served at /openapi.json and in the Swagger UI at /docs, with the webhooks we send,
and the committed copy matches the code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from local.sam_template import ROOT
from tests.support.events import http_api_event
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ADMIN
from tests.support.portal import chromium
from tools.generate_openapi import DOCUMENT, openapi_document
from webhooks.catalogue import CATALOGUE, TEST_EVENT

EVENTS = {event.name for event in CATALOGUE} | {TEST_EVENT}


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
        "/webhooks/{webhook_id}/public-keys",
    }
    assert {path for path, tag in tags if tag == "docs"} == {"/openapi.json", "/docs"}
    assert ("/events", "events") in tags
    # And only the documentation says it needs no token; everything else keeps the document's JWT scheme
    public = {path for path, operation in operations if operation.get("security") == [{}]}
    assert public == {"/openapi.json", "/docs"}
    assert all("security" not in operation for path, operation in operations if path not in public)
    assert document["security"] == [{"jwt": []}]


def test_the_served_document_and_the_swagger_ui_carry_the_webhooks(handler_for: Callable[..., LoadedHandler]) -> None:
    # Given the manage function
    manage = handler_for("ManageFunction")
    # When the document and the Swagger UI page are asked for
    document = json.loads(manage(http_api_event("GET", "/openapi.json", claims=ADMIN))["body"])
    ui = manage(http_api_event("GET", "/docs", claims=ADMIN))["body"]
    # Then both hold one webhook per event, in an OpenAPI 3.1 document (webhooks are 3.1 only)
    assert document["openapi"].startswith("3.1.")
    assert set(document["webhooks"]) == EVENTS
    embedded = json.loads(ui.split("    spec: ", 1)[1].split(",\n    presets:", 1)[0])
    assert embedded["webhooks"] == document["webhooks"]
    assert json.loads(DOCUMENT.read_text(encoding="utf-8"))["webhooks"] == document["webhooks"]


def test_the_swagger_ui_renders_the_webhooks_in_a_browser(
    handler_for: Callable[..., LoadedHandler], tmp_path: Path
) -> None:
    # Given the page /docs serves (offline: Powertools' Swagger UI assets are inline), saved as a file
    page_file = tmp_path / "docs.html"
    page_file.write_text(handler_for("ManageFunction")(http_api_event("GET", "/docs", claims=ADMIN))["body"])
    # When headless Chromium renders it
    with chromium(tmp_path / "profile", origin="http://127.0.0.1") as browser:
        page = browser.new_page()
        page.goto(page_file.as_uri())
        page.locator(".webhooks .opblock").first.wait_for()
        rendered = page.locator(".webhooks .opblock-summary-path").all_inner_texts()
        # Then its Webhooks section lists every event, and an entry opens on its headers and body
        page.locator(".webhooks .opblock-summary", has_text="license.suspended").click()
        opened = page.locator("#operations-webhooks-receive_license_suspended").inner_text()
    assert sorted(rendered) == sorted(EVENTS)
    assert all(part in opened for part in ("webhook-id", "webhook-timestamp", "webhook-signature", "Request body"))
