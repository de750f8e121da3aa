"""The contracts every function shares: ids, the webhook entity, the queue message and its body."""

from __future__ import annotations

import json
from datetime import timedelta

from pydantic import SecretStr

from tests.support.builders import NOW, SECRET, a_delivery_message, a_webhook
from webhooks.catalogue import Environment
from webhooks.delivery.message import DeliveryMessage, format_timestamp
from webhooks.domain.ids import delivery_id, event_id
from webhooks.domain.webhook import SigningSecret


def test_event_ids_are_stable_and_depend_on_the_record_and_the_event() -> None:
    assert event_id("shard-1-seq-9", "license.updated") == event_id("shard-1-seq-9", "license.updated")
    assert event_id("shard-1-seq-9", "license.updated") != event_id("shard-1-seq-9", "license.suspended")
    assert event_id("shard-1-seq-9", "license.updated") != event_id("shard-1-seq-10", "license.updated")
    assert event_id("a", "b").startswith("evt_")


def test_delivery_ids_are_a_function_of_event_and_webhook() -> None:
    assert delivery_id("evt_1", "wh_1") == delivery_id("evt_1", "wh_1")
    assert len({delivery_id("evt_1", "wh_1"), delivery_id("evt_1", "wh_2"), delivery_id("evt_2", "wh_1")}) == 3
    assert delivery_id("evt_1", "wh_1").startswith("msg_")


def test_a_webhook_receives_only_its_environment_and_subscribed_events_while_enabled() -> None:
    webhook = a_webhook(events=frozenset({"license.*", "contract.created"}))
    assert webhook.receives("license.revoked", Environment.PRODUCTION)
    assert webhook.receives("contract.created", Environment.PRODUCTION)
    assert not webhook.receives("contract.updated", Environment.PRODUCTION)
    assert not webhook.receives("license.revoked", Environment.STAGING)
    assert not a_webhook(enabled=False).receives("license.revoked", Environment.PRODUCTION)
    assert webhook.receives("webhook.test", Environment.PRODUCTION)


def test_a_rotated_out_secret_signs_until_its_grace_period_ends() -> None:
    old = SigningSecret(value=SecretStr("whsec_old"), created_at=NOW, expires_at=NOW + timedelta(hours=24))
    webhook = a_webhook(secrets=(SigningSecret(value=SecretStr(SECRET), created_at=NOW), old))
    assert webhook.signing_secrets(NOW + timedelta(hours=1)) == [SECRET, "whsec_old"]
    assert webhook.signing_secrets(NOW + timedelta(hours=24)) == [SECRET]


def test_secrets_never_show_in_the_entity_representation() -> None:
    webhook = a_webhook()
    assert SECRET not in repr(webhook)
    assert SECRET not in str(webhook.model_dump())


def test_the_body_starts_with_the_customer_guide_fields_and_keeps_numbers() -> None:
    message = a_delivery_message(previous_attributes={"status": "active"})
    body = message.body()
    assert list(body)[:3] == ["event", "payload", "webhook_id"]
    assert body["payload"]["seats"] == 5
    assert body["occurred_at"] == "2026-11-29T10:00:00.123Z"
    assert body["previous_attributes"] == {"status": "active"}
    assert "previous_attributes" not in a_delivery_message().body()


def test_a_message_survives_the_queue_round_trip() -> None:
    message = a_delivery_message(attempt=3)
    assert DeliveryMessage.model_validate_json(message.model_dump_json()) == message
    assert json.loads(message.model_dump_json())["attempt"] == 3


def test_timestamps_are_utc_with_milliseconds() -> None:
    assert format_timestamp(NOW) == "2026-11-29T10:00:00.123Z"
