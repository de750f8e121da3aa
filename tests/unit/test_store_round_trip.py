"""What the API accepts is exactly what the store can hold and read back (issue 19): any webhook a create or
a patch body makes survives the stored item's mapping and the DynamoDB codec unchanged."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.support.builders import a_webhook
from tests.support.sealing import FakeSealer
from tests.support.webhook_requests import create_bodies, patch_bodies
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.webhook_store import WebhookItem, read_webhook
from webhooks.api.schemas import WebhookCreate, WebhookUpdate
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.webhook import Webhook


def _stored_and_read_back(webhook: Webhook) -> Webhook | DamagedWebhook:
    sealer = FakeSealer()
    return read_webhook(to_item(WebhookItem.from_entity(webhook, sealer).to_document()), sealer)


def _accepted[Model: (WebhookCreate, WebhookUpdate)](model: type[Model], body: dict[str, Any]) -> Model | None:
    """The body as the API parses it (its JSON text), or None when the API refuses it."""
    try:
        return model.model_validate_json(json.dumps(body))
    except ValidationError:
        return None


@settings(max_examples=400)
@given(create_bodies())
def test_every_webhook_a_create_body_makes_reads_back_unchanged(body: dict[str, Any]) -> None:
    # Given a create body the API accepts
    request = _accepted(WebhookCreate, body)
    if request is None:
        return
    # When the webhook it makes is stored and read back
    webhook = a_webhook(**request.to_draft().model_dump())
    # Then it is the same webhook
    assert _stored_and_read_back(webhook) == webhook


@settings(max_examples=400)
@given(patch_bodies(), st.sampled_from([{}, {"description": "d", "retry_policy": {"max_attempts": 2}}]))
def test_every_webhook_a_patch_body_makes_reads_back_unchanged(body: dict[str, Any], before: dict[str, Any]) -> None:
    # Given a patch body the API accepts, applied as the change use case applies it
    request = _accepted(WebhookUpdate, body)
    if request is None:
        return
    webhook = Webhook.model_validate(a_webhook(**before).model_dump() | request.to_patch().changes())
    # When the changed webhook is stored and read back
    # Then it is the same webhook
    assert _stored_and_read_back(webhook) == webhook
