"""Each handler loads against the template's data plane and answers its event type."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.support.events import http_api_event, sqs_event
from tests.support.handlers import LoadedHandler
from webhooks.catalogue import EVENT_NAMES


def test_manage_lists_the_event_catalogue(handler_for: Callable[..., LoadedHandler]) -> None:
    manage = handler_for("ManageFunction")
    response = manage(http_api_event("GET", "/events", claims={"sub": "admin", "account_id": "acme"}))
    assert response["statusCode"] == 200
    names = {item["name"] for item in json.loads(response["body"])["items"]}
    assert names == EVENT_NAMES


def test_manage_answers_404_on_an_unknown_route(handler_for: Callable[..., LoadedHandler]) -> None:
    manage = handler_for("ManageFunction")
    response = manage(http_api_event("GET", "/nope"))
    assert response["statusCode"] == 404


def test_emit_and_deliver_accept_an_empty_batch(handler_for: Callable[..., LoadedHandler]) -> None:
    assert handler_for("EmitFunction")({"Records": []}) == {"batchItemFailures": []}
    assert handler_for("DeliverFunction")(sqs_event()) == {"batchItemFailures": []}
