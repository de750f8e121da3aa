"""Queue batch in, one signed POST per message (concurrently), every attempt logged."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.config import Config
from pydantic import ValidationError

from webhooks.adapters.delivery_log import DynamoDeliveryLog
from webhooks.adapters.http_sender import SystemResolver, UrllibSender
from webhooks.adapters.retry_queue import SqsRetryQueue
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.adapters.webhook_system_writes import DynamoWebhookSystemWrites
from webhooks.concurrent_batch import ConcurrentSqsBatchProcessor
from webhooks.config import DeliverSettings
from webhooks.domain.delivering import Deliverer, DeliveryOutcome, DeliveryRules
from webhooks.domain.messages import DeliveryMessage
from webhooks.observability import MetricUnit, instrument, logger, metrics

settings = DeliverSettings.from_environ()
_aws = Config(max_pool_connections=settings.delivery_concurrency)
_dynamodb = boto3.client("dynamodb", config=_aws)
deliverer = Deliverer(
    webhooks=DynamoWebhookStore(_dynamodb, settings.webhooks_table),
    log=DynamoDeliveryLog(_dynamodb, settings.deliveries_table),
    sender=UrllibSender(
        SystemResolver(), allow_loopback=settings.allow_loopback_delivery, pool_size=settings.delivery_concurrency
    ),
    queue=SqsRetryQueue(boto3.client("sqs", config=_aws), settings.delivery_queue_url),
    disabler=DynamoWebhookSystemWrites(_dynamodb, settings.webhooks_table, settings.audit_table),
    rules=DeliveryRules(
        permitted_environments=settings.permitted_environments,
        permitted_events=settings.permitted_events,
        allow_http_for_development=settings.allow_http_for_development,
        retention_days=settings.delivery_log_retention_days,
    ),
)
processor = ConcurrentSqsBatchProcessor(settings.delivery_concurrency)
_metrics_lock = threading.Lock()  # Powertools' metric set is not thread-safe


def _deliver_record(record: SQSRecord) -> str:
    try:
        message = DeliveryMessage.model_validate_json(record.body)
    except ValidationError:
        # Reported as a batch failure: SQS moves it to the dead-letter queue after maxReceiveCount.
        logger.error("malformed delivery message", extra={"message_id": record.message_id})
        _count("DeliveryMalformed")
        raise
    outcome = deliverer.deliver(message)
    _report(message, outcome)
    return outcome.outcome


def _report(message: DeliveryMessage, outcome: DeliveryOutcome) -> None:
    record = outcome.record
    logger.info(
        "delivery attempt",
        extra={
            "event_id": message.event_id,
            "delivery_id": message.delivery_id,
            "webhook_id": message.webhook_id,
            "attempt": message.attempt,
            "outcome": outcome.outcome,
            "http_status": record.http_status if record else None,
            "error_kind": record.error_kind if record else None,
            "duration_ms": record.duration_ms if record else None,
            "webhook_disabled": outcome.disabled_webhook,
        },
    )
    _count(f"Delivery{outcome.outcome.title()}", duration_ms=record.duration_ms if record else None)


def _count(name: str, duration_ms: int | None = None) -> None:
    with _metrics_lock:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        if duration_ms is not None:
            metrics.add_metric(name="DeliveryDuration", unit=MetricUnit.Milliseconds, value=duration_ms)


def _handle(event: dict[str, Any], context: Any) -> Any:
    if not event.get("Records"):  # Powertools refuses an empty batch; Lambda never sends one, pollers may
        return {"batchItemFailures": []}
    return process_partial_response(event=event, record_handler=_deliver_record, processor=processor, context=context)


handler = instrument(_handle, tracing_enabled=settings.tracing_enabled)
