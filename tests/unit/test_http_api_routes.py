"""The local API picks the template's HttpApi route for a request as API Gateway does, and knows which
routes have no JWT authorizer."""

from __future__ import annotations

import pytest

from local.http_api_routes import Route, http_api_routes, select_route
from local.sam_template import translated_template

ROUTES = http_api_routes(translated_template())


def test_only_the_preflight_and_the_api_documentation_are_public() -> None:
    public = {route.key for route in ROUTES if not route.authorized}

    assert public == {"OPTIONS /{proxy+}", "GET /openapi.json", "GET /docs"}
    assert {route.key for route in ROUTES if route.authorized} == {"ANY /{proxy+}"}


@pytest.mark.parametrize(
    ("method", "path", "route_key"),
    [
        ("GET", "/openapi.json", "GET /openapi.json"),
        ("GET", "/docs", "GET /docs"),
        ("GET", "/docs/", "GET /docs"),
        ("OPTIONS", "/webhooks/w1", "OPTIONS /{proxy+}"),
        ("OPTIONS", "/openapi.json", "OPTIONS /{proxy+}"),
        ("GET", "/webhooks", "ANY /{proxy+}"),
        ("POST", "/openapi.json", "ANY /{proxy+}"),
        ("HEAD", "/docs", "ANY /{proxy+}"),
        ("GET", "/docs/oauth2-redirect.html", "ANY /{proxy+}"),
        ("GET", "/openapi.json.bak", "ANY /{proxy+}"),
    ],
)
def test_a_full_path_beats_a_greedy_one_and_a_method_beats_any(method: str, path: str, route_key: str) -> None:
    selected = select_route(ROUTES, method, path)

    assert selected is not None
    assert selected[0].key == route_key


def test_the_greedy_variable_is_a_path_parameter_and_the_root_matches_no_route() -> None:
    assert select_route(ROUTES, "GET", "/webhooks/w1/audit") == (
        Route("ANY", "/{proxy+}", authorized=True),
        {"proxy": "webhooks/w1/audit"},
    )
    assert select_route(ROUTES, "GET", "/") is None
    assert select_route([Route("GET", "/webhooks/{webhook_id}", authorized=True)], "GET", "/webhooks/a/b") is None
