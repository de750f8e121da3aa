"""Queue batch in, one signed POST per message (concurrently), every attempt logged."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import process_partial_response
from botocore.config import Config

from webhooks.adapters.aws_clients import lazy_client
from webhooks.adapters.delivery_log import DynamoDeliveryLog
from webhooks.adapters.delivery_queue import SqsDeliveryQueue
from webhooks.adapters.http_sender import SystemResolver, UrllibSender
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.adapters.webhook_system_writes import DynamoWebhookSystemWrites
from webhooks.config import DeliverSettings
from webhooks.deliver_batch import DeliveryBatch
from webhooks.domain.delivering import Deliverer, DeliveryRules
from webhooks.observability import instrument
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
deliver_batch = DeliveryBatch(deliverer)


def _handle(event: dict[str, Any], context: Any) -> Any:
    if not event.get("Records"):  # Powertools refuses an empty batch; Lambda never sends one, pollers may
        return {"batchItemFailures": []}
    return process_partial_response(event=event, record_handler=deliver_batch, processor=processor, context=context)


handler = instrument(_handle, tracing_enabled=settings.tracing_enabled)
