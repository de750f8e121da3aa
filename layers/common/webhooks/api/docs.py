"""GET /openapi.json (generated from the routes and models) and the Swagger UI at GET /docs.

Both are built on request, importing Powertools' OpenAPI models and Swagger assets only then, so a
cold start of any other route pays nothing for them.
"""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

TITLE = "License Management Platform: webhooks"
VERSION = "1.0.0"
DESCRIPTION = (
    "Manage the account's webhooks. Every route needs a JWT (scope webhooks:read to read, webhooks:write to "
    "change); errors are RFC 9457 problem+json."
)


def openapi_json(app: APIGatewayHttpResolver) -> str:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
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
    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> Response[str]:
        return Response(status_code=200, content_type="application/json", body=openapi_json(app))

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response[str]:
        return Response(status_code=200, content_type="text/html", body=swagger_html(app))
