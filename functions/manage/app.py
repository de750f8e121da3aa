"""Webhook management API: the resolver, its routers and the wiring; routes live in webhooks.api."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig

from webhooks.adapters.audit_log import DynamoAuditTrail
from webhooks.adapters.aws_clients import lazy_client
from webhooks.adapters.delivery_log import DynamoDeliveryLog
from webhooks.adapters.delivery_queue import SqsDeliveryQueue
from webhooks.adapters.webhook_repository import DynamoWebhookRepository
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.adapters.webhook_system_writes import DynamoWebhookSystemWrites
from webhooks.api import delivery_routes, webhook_routes
from webhooks.api.docs import register_docs
from webhooks.api.problems import only_json_bodies, register_problem_handlers
from webhooks.api.request_body import body_reader
from webhooks.api.schemas import EventCatalogue
from webhooks.config import ManageSettings
from webhooks.domain.cursor import CursorCodec
from webhooks.domain.delivery_history import DeliveryQueries
from webhooks.domain.management import WebhookManagement
from webhooks.domain.manual_delivery import ManualDeliveries
from webhooks.domain.url_policy import UrlPolicy
from webhooks.observability import instrument

settings = ManageSettings.from_environ()
_dynamodb = lazy_client("dynamodb")
_audit_trail = DynamoAuditTrail(_dynamodb, settings.audit_table)
management = WebhookManagement(
    repository=DynamoWebhookRepository(_dynamodb, settings.webhooks_table, _audit_trail),
    audit_trail=_audit_trail,
    # Cursors are bound to account and query; the key only authenticates them (see webhooks.domain.cursor).
    cursors=CursorCodec(f"cursor:{settings.webhooks_table}".encode()),
    url_policy=UrlPolicy(settings.allow_http_for_development, settings.allow_loopback_urls),
    quota_per_account=settings.webhook_quota_per_account,
)
_webhooks = DynamoWebhookStore(_dynamodb, settings.webhooks_table)
_delivery_log = DynamoDeliveryLog(_dynamodb, settings.deliveries_table)
queries = DeliveryQueries(_webhooks, _delivery_log)
manual = ManualDeliveries(
    _webhooks,
    _delivery_log,
    SqsDeliveryQueue(lazy_client("sqs"), settings.delivery_queue_url),
    DynamoWebhookSystemWrites(_dynamodb, settings.webhooks_table, settings.audit_table),
)

# A portal on another origin: its preflights come through the template's unauthenticated OPTIONS route.
portal_cors = (
    CORSConfig(settings.portal_origin, allow_headers=["if-match"], expose_headers=["etag", "location", "retry-after"])
    if settings.portal_origin
    else None
)
# The body reader checks the caller's role before it parses anything (see webhooks.api.request_body).
app: APIGatewayHttpResolver = APIGatewayHttpResolver(
    enable_validation=True, cors=portal_cors, json_body_deserializer=body_reader(lambda: app.current_event)
)
app.include_router(webhook_routes.router)
app.include_router(delivery_routes.router)
app.dependency_overrides[webhook_routes.management] = lambda: management
app.dependency_overrides[delivery_routes.queries] = lambda: queries
app.dependency_overrides[delivery_routes.manual] = lambda: manual
register_problem_handlers(app)
register_docs(app)


@app.get("/events", tags=["events"], summary="The event catalogue (the same for every account)")
def list_events() -> EventCatalogue:
    """The event catalogue (the same for every account)."""
    return EventCatalogue.current()


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(only_json_bodies(event), context)


handler = instrument(_handle, tracing_enabled=settings.tracing_enabled)
