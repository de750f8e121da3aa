"""Queue batch in, one signed POST per message (concurrently), every attempt logged."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from webhooks.adapters.aws_clients import AwsClients
from webhooks.adapters.delivery_log_writer import DynamoDeliveryLogWriter
from webhooks.adapters.delivery_queue import SqsDeliveryQueue
from webhooks.adapters.endpoint_circuits import DynamoEndpointCircuits
from webhooks.adapters.endpoint_stats import DynamoEndpointStats
from webhooks.adapters.http_sender import SystemResolver, UrllibSender
from webhooks.adapters.operational_events import DynamoOperationalEvents
from webhooks.adapters.secret_sealer import KmsSecretSealer
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.adapters.webhook_system_writes import DynamoWebhookSystemWrites
from webhooks.config import DeliverSettings
from webhooks.delivery.batch_health import BatchHealth
from webhooks.delivery.circuit import CircuitPolicy
from webhooks.delivery.deliverer import Deliverer
from webhooks.delivery.endpoint_guard import EndpointGuard, GuardRules
from webhooks.delivery.endpoint_stats import EndpointStatsRecorder
from webhooks.delivery.rules import DeliveryRules
from webhooks.delivery.sqs_batch import deliver_sqs_batch, report_circuit_opened, report_slow_lane_entered
from webhooks.observability import instrument

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def build(settings: DeliverSettings, clients: AwsClients) -> Handler:
    """The deliver function, wired: what one container holds (clients, connection pools, threads)."""
    # The POSTs of every batch share these threads (the concurrency bound) and the sender's pools.
    threads = ThreadPoolExecutor(max_workers=settings.delivery_concurrency, thread_name_prefix="deliver")
    queue = SqsDeliveryQueue(clients.sqs, settings.delivery_queue_url)
    guard = EndpointGuard(
        circuits=DynamoEndpointCircuits(clients.dynamodb, settings.endpoint_circuits_table),
        queue=queue,
        slow_lane=SqsDeliveryQueue(clients.sqs, settings.slow_delivery_queue_url),
        rules=GuardRules(
            policy=CircuitPolicy(
                failure_threshold=settings.circuit_failure_threshold,
                open_seconds=settings.circuit_open_seconds,
                max_open_seconds=settings.circuit_max_open_seconds,
                slow_attempt_seconds=settings.slow_attempt_seconds,
                slow_lane_seconds=settings.slow_lane_seconds,
                max_in_flight=settings.max_in_flight_per_endpoint,
            ),
            max_deferral=timedelta(hours=settings.max_deferral_hours),
        ),
        on_opened=report_circuit_opened,
        on_slowed=report_slow_lane_entered,
        concurrent_map=threads.map,
    )
    retention = timedelta(days=settings.delivery_log_retention_days)
    disabler = DynamoWebhookSystemWrites(
        clients.dynamodb, settings.webhooks_table, settings.audit_table, settings.operational_events_table
    )
    health = BatchHealth(
        stats=EndpointStatsRecorder(
            DynamoEndpointStats(clients.dynamodb, settings.endpoint_stats_table, retention), threads.map
        ),
        events=DynamoOperationalEvents(clients.dynamodb, settings.operational_events_table),
        disabler=disabler,
        auto_disable_after=timedelta(hours=settings.auto_disable_after_hours),
    )
    deliverer = Deliverer(
        # Deliver only opens secrets (to sign): it has no key to seal under, and kms:Decrypt alone.
        webhooks=DynamoWebhookStore(clients.dynamodb, settings.webhooks_table, KmsSecretSealer(clients.kms, None)),
        log=DynamoDeliveryLogWriter(clients.dynamodb, settings.deliveries_table),
        sender=UrllibSender(
            SystemResolver(), allow_loopback=settings.allow_loopback_delivery, pool_size=settings.delivery_concurrency
        ),
        queue=queue,
        disabler=disabler,
        rules=DeliveryRules(
            permitted_environments=settings.permitted_environments,
            permitted_events=settings.permitted_events,
            allow_http_for_development=settings.allow_http_for_development,
            retention_days=settings.delivery_log_retention_days,
        ),
        guard=guard,
        health=health,
        concurrent_map=threads.map,
    )

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return deliver_sqs_batch(deliverer, event.get("Records", []), settings.slow_delivery_queue_url)

    return instrument(handle, tracing_enabled=settings.tracing_enabled)


def container(settings: DeliverSettings) -> Handler:
    """One execution environment's handler, as a cold start makes it: its own clients, pools and threads."""
    # One pooled connection per concurrent POST; parameters are the adapters' own, so botocore need not check them.
    clients = AwsClients.on_first_use(max_pool_connections=settings.delivery_concurrency, validate_parameters=False)
    return build(settings, clients)


settings = DeliverSettings.from_environ()
handler = container(settings)
