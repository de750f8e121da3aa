"""The OpenAPI document: valid, served at /openapi.json, and the committed copy matches the code."""

from __future__ import annotations

import json
from collections.abc import Callable

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
