"""Queue batch in, one signed POST per message (concurrently), every attempt logged."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.config import Config
from pydantic import ValidationError

from webhooks.adapters.aws_clients import lazy_client
from webhooks.adapters.delivery_log import DynamoDeliveryLog
from webhooks.adapters.delivery_queue import SqsDeliveryQueue
from webhooks.adapters.http_sender import SystemResolver, UrllibSender
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.adapters.webhook_system_writes import DynamoWebhookSystemWrites
from webhooks.config import DeliverSettings
from webhooks.domain.delivering import Deliverer, DeliveryRules
from webhooks.domain.delivery_batch import DeliveryOutcome
from webhooks.domain.messages import DeliveryMessage
from webhooks.observability import MetricUnit, instrument, logger, metrics
from webhooks.whole_batch import WholeBatchSqsProcessor

settings = DeliverSettings.from_environ()
_aws = Config(max_pool_connections=settings.delivery_concurrency, parameter_validation=False)
_dynamodb = boto3.client("dynamodb", config=_aws)
# Built once per container: the POSTs of every batch share these threads (the concurrency bound).
_threads = ThreadPoolExecutor(max_workers=settings.delivery_concurrency, thread_name_prefix="deliver")
deliverer = Deliverer(
    webhooks=DynamoWebhookStore(_dynamodb, settings.webhooks_table),
    log=DynamoDeliveryLog(_dynamodb, settings.deliveries_table),
    sender=UrllibSender(
        SystemResolver(), allow_loopback=settings.allow_loopback_delivery, pool_size=settings.delivery_concurrency
    ),
    # Only retries and deferrals enqueue: the SQS client is built on first use, not in every cold start.
    queue=SqsDeliveryQueue(lazy_client("sqs"), settings.delivery_queue_url),
    disabler=DynamoWebhookSystemWrites(_dynamodb, settings.webhooks_table, settings.audit_table),
    rules=DeliveryRules(
        permitted_environments=settings.permitted_environments,
        permitted_events=settings.permitted_events,
        allow_http_for_development=settings.allow_http_for_development,
        retention_days=settings.delivery_log_retention_days,
    ),
    concurrent_map=_threads.map,
)
processor = WholeBatchSqsProcessor()


def _deliver_batch(records: list[SQSRecord]) -> list[object]:
    parsed = [_parse(record) for record in records]
    outcomes = iter(deliverer.deliver_batch([item for item in parsed if isinstance(item, DeliveryMessage)]))
    results: list[object] = []
    for item in parsed:
        result = _report(item, next(outcomes)) if isinstance(item, DeliveryMessage) else item
        results.append(result)
    return results


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


def _handle(event: dict[str, Any], context: Any) -> Any:
    if not event.get("Records"):  # Powertools refuses an empty batch; Lambda never sends one, pollers may
        return {"batchItemFailures": []}
    return process_partial_response(event=event, record_handler=_deliver_batch, processor=processor, context=context)


handler = instrument(_handle, tracing_enabled=settings.tracing_enabled)
