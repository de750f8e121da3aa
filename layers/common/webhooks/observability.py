"""Logger and Metrics for every function; the X-Ray tracer only when tracing is enabled.

The tracer is imported lazily because the X-Ray SDK costs about half a second of cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

logger = Logger()
metrics = Metrics()

__all__ = ["MetricUnit", "instrument", "logger", "metrics"]

Handler = Callable[[dict[str, Any], Any], Any]


def instrument(handler: Handler, *, tracing_enabled: bool) -> Handler:
    """Wrap a Lambda handler with structured logging, metrics flushing and, if enabled, tracing."""
    wrapped = metrics.log_metrics(handler)
    wrapped = logger.inject_lambda_context(wrapped, clear_state=True)
    if tracing_enabled:
        from aws_lambda_powertools.tracing import Tracer

        wrapped = Tracer().capture_lambda_handler(wrapped)
    return wrapped
