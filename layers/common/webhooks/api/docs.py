"""GET /openapi.json (generated from the routes and models) and the Swagger UI at GET /docs (or /docs/).

Both are built on request, importing Powertools' OpenAPI models and Swagger assets only then, so a
cold start of any other route pays nothing for them.
"""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

TITLE = "License Management Platform: webhooks"
VERSION = "1.0.0"
DESCRIPTION = (
    "Manage the account's webhooks. Every route but this document and its Swagger UI needs a JWT (scope "
    "webhooks:read to read, webhooks:write to change); errors are RFC 9457 problem+json."
)
# Every route carries one of these tags; the Swagger UI groups the routes by them, in this order.
TAGS = {
    "webhooks": "Register, read, change and delete the account's webhooks; their change history.",
    "secrets": "Rotate and reveal a webhook's signing secrets.",
    "deliveries": "The delivery log: attempts, redelivery, recovery of failures, test events.",
    "events": "The catalogue of events a webhook can receive.",
    "docs": "This document and its Swagger UI (no token needed).",
}


def openapi_json(app: APIGatewayHttpResolver) -> str:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Tag

    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        tags=[Tag(name=name, description=description) for name, description in TAGS.items()],
        security_schemes={"jwt": HTTPBearer(bearerFormat="JWT")},
        security=[{"jwt": []}],
    )


def swagger_html(app: APIGatewayHttpResolver) -> str:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = Path(swagger_ui.__file__).parent
    return generate_swagger_html(
        openapi_json(app).replace("</", "<\\/"),
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )


def register_docs(app: APIGatewayHttpResolver) -> None:
    # Public documentation: the template routes GET /openapi.json and GET /docs without the JWT authorizer.
    public: list[dict[str, list[str]]] = [{}]

    @app.get(
        "/openapi.json",
        tags=["docs"],
        security=public,
        summary="This API's OpenAPI document (no token needed)",
        responses={200: {"description": "OK", "content": {"application/json": {}}}},
    )
    def openapi_document() -> Response[str]:
        return Response(status_code=200, content_type="application/json", body=openapi_json(app))

    @app.get("/docs/", include_in_schema=False)
    @app.get(
        "/docs",
        tags=["docs"],
        security=public,
        summary="The Swagger UI for this API (no token needed)",
        responses={200: {"description": "OK", "content": {"text/html": {}}}},
    )
    def swagger_ui() -> Response[str]:
        return Response(status_code=200, content_type="text/html", body=swagger_html(app))
