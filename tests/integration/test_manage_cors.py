"""A portal on another origin (template parameter PortalOrigin): preflights answered, ETag readable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local.sam_template import translated_template
from tests.support.events import http_api_event
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ADMIN

PORTAL = "https://admin.example.com"


def preflight(path: str, origin: str = PORTAL) -> dict[str, Any]:
    """What the template's unauthenticated OPTIONS route hands the function: no authorizer context."""
    headers = {"origin": origin, "access-control-request-method": "PATCH", "access-control-request-headers": "if-match"}
    event = http_api_event("OPTIONS", path, headers=headers)
    del event["requestContext"]["authorizer"]
    return event


def test_a_preflight_from_the_portal_is_answered_without_a_token(handler_for: Callable[..., LoadedHandler]):
    manage = handler_for("ManageFunction", PORTAL_ORIGIN=PORTAL)

    response = manage(preflight("/webhooks/some-id"))

    assert response["statusCode"] == 204
    headers = {name.lower(): value for name, value in response["headers"].items()}
    assert headers["access-control-allow-origin"] == PORTAL
    assert "if-match" in headers["access-control-allow-headers"].lower()


def test_the_portal_can_read_the_etag_of_a_response(handler_for: Callable[..., LoadedHandler]):
    manage = handler_for("ManageFunction", PORTAL_ORIGIN=PORTAL)

    response = manage(http_api_event("GET", "/events", headers={"origin": PORTAL}, claims=ADMIN))

    headers = {name.lower(): value for name, value in response["headers"].items()}
    assert headers["access-control-allow-origin"] == PORTAL
    assert "etag" in headers["access-control-expose-headers"].lower()


def test_without_a_portal_origin_there_is_no_cors(handler_for: Callable[..., LoadedHandler]):
    manage = handler_for("ManageFunction")

    refused = manage(preflight("/webhooks"))
    listed = manage(http_api_event("GET", "/events", headers={"origin": PORTAL}, claims=ADMIN))

    assert refused["statusCode"] == 404
    assert not any(name.lower().startswith("access-control") for name in listed["headers"])


def test_the_template_lets_the_portal_send_if_match_and_read_the_etag():
    api = translated_template()["Resources"]["HttpApi"]["Properties"]["Body"]
    _, cors, absent = api["x-amazon-apigateway-cors"]["Fn::If"]
    preflight_route = api["paths"]["/{proxy+}"]["options"]

    assert {"authorization", "content-type", "if-match"} <= set(cors["allowHeaders"])
    assert "etag" in cors["exposeHeaders"]
    assert absent == {"Ref": "AWS::NoValue"}
    assert preflight_route["security"] == [{"NONE": []}]
