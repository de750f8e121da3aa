"""Stream batch in, events fanned out to the delivery queue; partial batch response with stream semantics.

Not Powertools' BatchProcessor: it calls a handler per record, while emit works on the whole
batch (one webhook Query per account, SendMessageBatch across records). Its response format is
the same: the first failed record's sequence number, from which Lambda retries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import single_metric

from webhooks.adapters.aws_clients import AwsClients
from webhooks.adapters.delivery_log_writer import DynamoDeliveryLogWriter
from webhooks.adapters.delivery_queue import DEFAULT_CONCURRENCY, SqsDeliveryQueue
from webhooks.adapters.secret_sealer import SECRETS_STAY_SEALED
from webhooks.adapters.stream_records import partial_batch_response, read_records
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.config import EmitSettings
from webhooks.domain.emission import EmissionReport, Emitter, Governance
from webhooks.observability import MetricUnit, instrument, metrics

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def build(settings: EmitSettings, clients: AwsClients) -> Handler:
    """The emit function, wired with `clients`."""
    emitter = Emitter(
        webhooks=DynamoWebhookStore(clients.dynamodb, settings.webhooks_table, SECRETS_STAY_SEALED),
        sender=SqsDeliveryQueue(clients.sqs, settings.delivery_queue_url),
        delivery_log=DynamoDeliveryLogWriter(clients.dynamodb, settings.deliveries_table),
        table_entities=settings.table_entities,
        governance=Governance(settings.permitted_environments, settings.permitted_events),
        delivery_log_retention_days=settings.delivery_log_retention_days,
    )

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        changes = read_records(event.get("Records", []))
        report = emitter.emit(changes)
        _publish(report)
        return partial_batch_response(changes, report.first_failed)

    return instrument(handle, tracing_enabled=settings.tracing_enabled)


def _publish(report: EmissionReport) -> None:
    metrics.add_metric(name="StreamRecords", unit=MetricUnit.Count, value=report.records)
    metrics.add_metric(name="MessagesEnqueued", unit=MetricUnit.Count, value=report.messages_enqueued)
    metrics.add_metric(name="Unroutable", unit=MetricUnit.Count, value=report.unroutable.total())
    metrics.add_metric(name="DroppedByGovernance", unit=MetricUnit.Count, value=report.dropped_by_governance)
    metrics.add_metric(name="PayloadTooLarge", unit=MetricUnit.Count, value=report.payload_too_large)
    metrics.add_metric(name="TtlRemovals", unit=MetricUnit.Count, value=report.ttl_removals)
    metrics.add_metric(name="DamagedWebhooks", unit=MetricUnit.Count, value=report.damaged_webhooks)
    metrics.add_metric(name="FilteredOut", unit=MetricUnit.Count, value=report.filtered_out)
    for event, count in report.events.items():
        with single_metric(name="Events", unit=MetricUnit.Count, value=count) as metric:
            metric.add_dimension(name="event", value=event)


def container(settings: EmitSettings) -> Handler:
    """One execution environment's handler, as a cold start makes it."""
    # One pooled connection per concurrent SendMessageBatch, plus the webhook reads.
    return build(settings, AwsClients.on_first_use(max_pool_connections=DEFAULT_CONCURRENCY + 2))


settings = EmitSettings.from_environ()
handler = container(settings)
