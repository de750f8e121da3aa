"""Webhook management API: routes only, HTTP in and out; the logic lives in the common layer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from webhooks.catalogue import CATALOGUE
from webhooks.config import ManageSettings
from webhooks.observability import instrument

settings = ManageSettings.from_environ()
app = APIGatewayHttpResolver(enable_validation=True)


@app.get("/events")
def list_events() -> dict[str, Any]:
    return {
        "items": [
            {"name": event.name, "entity": event.entity.value, "description": event.description} for event in CATALOGUE
        ]
    }


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


handler = instrument(_handle, tracing_enabled=settings.tracing_enabled)
