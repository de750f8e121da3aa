"""Deliver's queue side: SQS records in, the partial batch response (ReportBatchItemFailures) out.

The queue message is parsed here (a malformed one fails alone and reaches the DLQ after maxReceiveCount),
the batch goes to the Deliverer in one call, every outcome becomes a log line and a metric, and each
message that failed is named in `batchItemFailures`, so SQS hands over again that message alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from webhooks.delivery.attempt import DeliveryOutcome
from webhooks.delivery.circuit import Circuit
from webhooks.delivery.deliverer import Deliverer
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.record import ErrorKind
from webhooks.observability import MetricUnit, logger, metrics

SqsRecord = Mapping[str, Any]


def deliver_sqs_batch(
    deliverer: Deliverer, records: Sequence[SqsRecord], slow_lane_queue_url: str
) -> dict[str, list[dict[str, str]]]:
    parsed = [_parse(record) for record in records]
    messages = [item for item in parsed if isinstance(item, DeliveryMessage)]
    outcomes = iter(deliverer.deliver_batch(messages, in_slow_lane=_received_from(records, slow_lane_queue_url)))
    failed = [
        {"itemIdentifier": record["messageId"]}
        for record, item in zip(records, parsed, strict=True)
        if not isinstance(item, DeliveryMessage) or not _report(item, next(outcomes))
    ]
    return {"batchItemFailures": failed}


def _received_from(records: Sequence[SqsRecord], queue_url: str) -> bool:
    """Whether the batch came from that queue: one mapping's batch has one source, named by its ARN."""
    queue_name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    return bool(records) and str(records[0].get("eventSourceARN", "")).rsplit(":", 1)[-1] == queue_name


def _parse(record: SqsRecord) -> DeliveryMessage | None:
    try:
        return DeliveryMessage.model_validate_json(record["body"])
    except ValidationError:
        # Reported as a batch failure: SQS moves it to the dead-letter queue after maxReceiveCount.
        logger.error("malformed delivery message", extra={"message_id": record["messageId"]})
        metrics.add_metric(name="DeliveryMalformed", unit=MetricUnit.Count, value=1)
        return None


def _report(message: DeliveryMessage, outcome: DeliveryOutcome | Exception) -> bool:
    """Log and count one message's outcome; False when it failed and SQS must hand it over again."""
    ids = {"event_id": message.event_id, "delivery_id": message.delivery_id, "webhook_id": message.webhook_id}
    if isinstance(outcome, Exception):
        logger.warning("delivery attempt not completed", extra=ids | {"error": repr(outcome)})
        metrics.add_metric(name="DeliveryError", unit=MetricUnit.Count, value=1)
        return False
    record = outcome.record
    logger.info(
        "delivery attempt",
        extra=ids
        | {
            "attempt": message.attempt,
            "outcome": outcome.outcome,
            "http_status": record.http_status if record else None,
            "error_kind": record.error_kind if record else None,
            "duration_ms": record.duration_ms if record else None,
            "webhook_disabled": outcome.disabled_webhook,
        },
    )
    metrics.add_metric(name=f"Delivery{outcome.outcome.title()}", unit=MetricUnit.Count, value=1)
    if record is not None and record.error_kind is ErrorKind.WEBHOOK_DAMAGED:
        logger.error("stored webhook does not read back", extra=ids | {"error_detail": record.error_detail})
        metrics.add_metric(name="DamagedWebhooks", unit=MetricUnit.Count, value=1)
    if record is not None and record.duration_ms is not None:
        metrics.add_metric(name="DeliveryDuration", unit=MetricUnit.Milliseconds, value=record.duration_ms)
    return True


def report_circuit_opened(circuit: Circuit) -> None:
    """A log line and two metrics per (re)opening; `CircuitOpenAge` is how long the endpoint has been
    down (since its run of opens began), which the alarm on circuits open longer than an hour watches."""
    assert circuit.open_until is not None
    assert circuit.opened_at is not None
    details = {"open_until": circuit.open_until.isoformat(), "reopenings": circuit.reopenings}
    _log_endpoint("endpoint circuit opened", circuit, details | {"consecutive_failures": circuit.consecutive_failures})
    metrics.add_metric(name="CircuitOpened", unit=MetricUnit.Count, value=1)
    age = (circuit.open_until - circuit.opened_at).total_seconds()
    metrics.add_metric(name="CircuitOpenAge", unit=MetricUnit.Seconds, value=age)


def report_slow_lane_entered(circuit: Circuit) -> None:
    """A log line and a metric when an endpoint is flagged slow (not at each extension of the flag)."""
    assert circuit.slow_until is not None
    _log_endpoint("endpoint moved to the slow lane", circuit, {"slow_until": circuit.slow_until.isoformat()})
    metrics.add_metric(name="SlowLaneEntered", unit=MetricUnit.Count, value=1)


def _log_endpoint(message: str, circuit: Circuit, details: dict[str, object]) -> None:
    logger.warning(message, extra={"account_id": circuit.account_id, "webhook_id": circuit.webhook_id} | details)
