"""What the API accepts is exactly what the store can hold and read back (issue 19), through the real
management use cases, repository and store against the template's webhooks table in moto."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from tests.integration.conftest import MotoAws
from tests.support.sealing import FakeSealer
from tests.support.webhook_requests import create_bodies, patch_bodies
from webhooks.adapters.audit_log import DynamoAuditTrail
from webhooks.adapters.operational_events import DynamoOperationalEvents
from webhooks.adapters.webhook_repository import DynamoWebhookRepository
from webhooks.adapters.webhook_store import DynamoWebhookStore
from webhooks.api.schemas import WebhookCreate, WebhookUpdate
from webhooks.domain.errors import InvalidInput
from webhooks.domain.management import WebhookManagement
from webhooks.domain.principal import Principal, Role
from webhooks.domain.url_policy import UrlPolicy

ADMIN = Principal(account_id="acme", subject="admin@acme", role=Role.ADMIN)
# Each example adds a webhook to the same account and table; the property is not about the quota.
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def stores(aws: MotoAws) -> tuple[WebhookManagement, DynamoWebhookStore]:
    client, table = aws.session.client("dynamodb"), aws.deployed.tables["WebhooksTable"]
    trail = DynamoAuditTrail(client, aws.deployed.tables["AuditTable"])
    sealer = FakeSealer()
    management = WebhookManagement(
        repository=DynamoWebhookRepository(
            client, table, trail, sealer, DynamoOperationalEvents(client, aws.deployed.tables["OperationalEventsTable"])
        ),
        audit_trail=trail,
        url_policy=UrlPolicy(),
        quota_per_account=1_000_000,
    )
    return management, DynamoWebhookStore(client, table, sealer)


def _accepted[Model: (WebhookCreate, WebhookUpdate)](model: type[Model], body: dict[str, Any]) -> Model | None:
    """The body as the API parses it (its JSON text), or None when the API refuses it."""
    try:
        return model.model_validate_json(json.dumps(body))
    except ValidationError:
        return None


@EXAMPLES
@given(body=create_bodies())
def test_every_webhook_the_api_creates_reads_back_unchanged(
    stores: tuple[WebhookManagement, DynamoWebhookStore], body: dict[str, Any]
) -> None:
    management, store = stores
    # Given a create body the API accepts
    request = _accepted(WebhookCreate, body)
    if request is None:
        return
    # When the webhook is created (unless the URL policy refuses it)
    try:
        webhook, _ = management.create(ADMIN, request.to_draft())
    except InvalidInput:
        return
    # Then the store reads back the very webhook the API answered with
    assert store.get("acme", webhook.webhook_id) == webhook


@EXAMPLES
@given(body=patch_bodies())
def test_every_webhook_the_api_changes_reads_back_unchanged(
    stores: tuple[WebhookManagement, DynamoWebhookStore], body: dict[str, Any]
) -> None:
    management, store = stores
    # Given a webhook, and a patch body the API accepts
    request = _accepted(WebhookUpdate, body)
    if request is None:
        return
    created, _ = management.create(ADMIN, WebhookCreate.model_validate(_minimal()).to_draft())
    # When the webhook is changed (unless the URL policy refuses the change)
    try:
        changed, _ = management.update(ADMIN, created.webhook_id, request.to_patch(), None)
    except InvalidInput:
        return
    # Then the store reads back the very webhook the API answered with
    assert store.get("acme", created.webhook_id) == changed


def _minimal() -> dict[str, Any]:
    return {"name": "n", "url": "https://hooks.example.com/h", "environment": "staging", "events": ["*"]}
