"""Webhook management API: the resolver, its routers and the wiring; routes live in webhooks.api."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig

from webhooks.adapters.audit_log import DynamoAuditTrail
from webhooks.adapters.aws_clients import AwsClients
from webhooks.adapters.delivery_log_reader import DynamoDeliveryLogReader
from webhooks.adapters.delivery_queue import SqsDeliveryQueue
from webhooks.adapters.endpoint_circuits import DynamoEndpointCircuits
from webhooks.adapters.endpoint_stats import DynamoEndpointStats
from webhooks.adapters.operational_events import DynamoOperationalEvents
from webhooks.adapters.secret_sealer import KmsSecretSealer
from webhooks.adapters.webhook_repository import DynamoWebhookRepository
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.adapters.webhook_system_writes import DynamoWebhookSystemWrites
from webhooks.api import delivery_routes, filter_routes, stats_routes, webhook_routes
from webhooks.api.docs import register_docs
from webhooks.api.problems import only_json_bodies, register_problem_handlers
from webhooks.api.request_body import body_reader
from webhooks.api.schemas import EventCatalogue
from webhooks.config import ManageSettings
from webhooks.delivery.endpoint_health import EndpointStates
from webhooks.delivery.endpoint_stats import EndpointSummaries
from webhooks.delivery_log.queries import DeliveryQueries
from webhooks.delivery_log.redelivery import ManualDeliveries
from webhooks.delivery_log.statistics import WebhookStatistics
from webhooks.domain.management import WebhookManagement
from webhooks.domain.url_policy import UrlPolicy
from webhooks.observability import instrument


def build(settings: ManageSettings, clients: AwsClients) -> APIGatewayHttpResolver:
    """The management API, wired with `clients`: the resolver with every route and error mapping."""
    audit_trail = DynamoAuditTrail(clients.dynamodb, settings.audit_table)
    sealer = KmsSecretSealer(clients.kms, settings.secrets_key_id)
    management = WebhookManagement(
        repository=DynamoWebhookRepository(
            clients.dynamodb,
            settings.webhooks_table,
            audit_trail,
            sealer,
            DynamoOperationalEvents(clients.dynamodb, settings.operational_events_table),
        ),
        audit_trail=audit_trail,
        url_policy=UrlPolicy(settings.allow_http_for_development, settings.allow_loopback_urls),
        quota_per_account=settings.webhook_quota_per_account,
    )
    retention = timedelta(days=settings.delivery_log_retention_days)
    counters = DynamoEndpointStats(clients.dynamodb, settings.endpoint_stats_table, retention)
    # A page's webhooks' counters are read at once (one Query each), so a list costs one round trip of them.
    endpoints = EndpointStates(
        DynamoEndpointCircuits(clients.dynamodb, settings.endpoint_circuits_table),
        EndpointSummaries(counters, ThreadPoolExecutor(max_workers=8, thread_name_prefix="summaries").map),
    )
    webhooks = DynamoWebhookStore(clients.dynamodb, settings.webhooks_table, sealer)
    delivery_log = DynamoDeliveryLogReader(clients.dynamodb, settings.deliveries_table)
    queries = DeliveryQueries(webhooks, delivery_log)
    statistics = WebhookStatistics(webhooks, counters)
    manual = ManualDeliveries(
        webhooks,
        delivery_log,
        SqsDeliveryQueue(clients.sqs, settings.delivery_queue_url),
        DynamoWebhookSystemWrites(
            clients.dynamodb, settings.webhooks_table, settings.audit_table, settings.operational_events_table
        ),
    )
    # A portal on another origin: its preflights come through the template's unauthenticated OPTIONS route.
    portal_cors = (
        CORSConfig(
            settings.portal_origin, allow_headers=["if-match"], expose_headers=["etag", "location", "retry-after"]
        )
        if settings.portal_origin
        else None
    )
    # The body reader checks the caller's role before it parses anything (see webhooks.api.request_body).
    app: APIGatewayHttpResolver = APIGatewayHttpResolver(
        enable_validation=True, cors=portal_cors, json_body_deserializer=body_reader(lambda: app.current_event)
    )
    app.include_router(filter_routes.router)  # before /webhooks/<webhook_id>: its path is static
    app.include_router(webhook_routes.router)
    app.include_router(delivery_routes.router)
    app.include_router(stats_routes.router)
    app.dependency_overrides[webhook_routes.management] = lambda: management
    app.dependency_overrides[webhook_routes.endpoint_states] = lambda: endpoints
    app.dependency_overrides[delivery_routes.queries] = lambda: queries
    app.dependency_overrides[delivery_routes.manual] = lambda: manual
    app.dependency_overrides[stats_routes.statistics] = lambda: statistics
    register_problem_handlers(app)
    register_docs(app)
    app.get("/events", tags=["events"], summary="The event catalogue (the same for every account)")(list_events)
    return app


def list_events() -> EventCatalogue:
    """The event catalogue (the same for every account)."""
    return EventCatalogue.current()


settings = ManageSettings.from_environ()
app = build(settings, AwsClients.on_first_use())


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(only_json_bodies(event), context)


handler = instrument(_handle, tracing_enabled=settings.tracing_enabled)
