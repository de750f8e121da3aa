"""Deliver's record side: SQS records in, one result per record out, each attempt logged and counted.

The queue message is parsed here (a malformed one fails alone and reaches the DLQ after maxReceiveCount),
the batch goes to the Deliverer in one call, and every outcome becomes a log line and a metric.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from webhooks.domain.delivering import Deliverer
from webhooks.domain.delivery_batch import DeliveryOutcome
from webhooks.domain.messages import DeliveryMessage
from webhooks.observability import MetricUnit, logger, metrics


class DeliveryBatch:
    """The whole-batch handler for WholeBatchSqsProcessor: results in record order."""

    def __init__(self, deliverer: Deliverer) -> None:
        self._deliverer = deliverer

    def __call__(self, records: list[SQSRecord]) -> list[object]:
        parsed = [_parse(record) for record in records]
        messages = [item for item in parsed if isinstance(item, DeliveryMessage)]
        outcomes = iter(self._deliverer.deliver_batch(messages))
        return [_report(item, next(outcomes)) if isinstance(item, DeliveryMessage) else item for item in parsed]


def _parse(record: SQSRecord) -> DeliveryMessage | ValidationError:
    try:
        return DeliveryMessage.model_validate_json(record.body)
    except ValidationError as malformed:
        # Reported as a batch failure: SQS moves it to the dead-letter queue after maxReceiveCount.
        logger.error("malformed delivery message", extra={"message_id": record.message_id})
        metrics.add_metric(name="DeliveryMalformed", unit=MetricUnit.Count, value=1)
        return malformed


def _report(message: DeliveryMessage, outcome: DeliveryOutcome | Exception) -> object:
    ids = {"event_id": message.event_id, "delivery_id": message.delivery_id, "webhook_id": message.webhook_id}
    if isinstance(outcome, Exception):  # a batch failure: SQS hands the message over again
        logger.warning("delivery attempt not completed", extra=ids | {"error": repr(outcome)})
        metrics.add_metric(name="DeliveryError", unit=MetricUnit.Count, value=1)
        return outcome
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
    if record is not None and record.duration_ms is not None:
        metrics.add_metric(name="DeliveryDuration", unit=MetricUnit.Milliseconds, value=record.duration_ms)
    return outcome.outcome
