from __future__ import annotations

import pytest
from pydantic import ValidationError

from webhooks.catalogue import Entity, Environment
from webhooks.config import DeliverSettings, EmitSettings, ManageSettings

COMMON = {
    "DEPLOYMENT_ENVIRONMENT": "dev",
    "TRACING_ENABLED": "false",
    "WEBHOOKS_TABLE": "webhooks-dev",
    "DELIVERIES_TABLE": "deliveries-dev",
    "AUDIT_TABLE": "audit-dev",
    "DELIVERY_QUEUE_URL": "https://sqs.example/123/q",
    "PERMITTED_ENVIRONMENTS": "production, staging",
    "PERMITTED_EVENTS": "license.*,contract.created",
    "DELIVERY_LOG_RETENTION_DAYS": "30",
}
DELIVER = COMMON | {
    "DELIVERY_CONCURRENCY": "8",
    "ENDPOINT_CIRCUITS_TABLE": "webhooks-endpoint-circuits-test",
    "ENDPOINT_STATS_TABLE": "webhooks-endpoint-stats-test",
    "OPERATIONAL_EVENTS_TABLE": "webhooks-operational-events-test",
    "SLOW_DELIVERY_QUEUE_URL": "https://sqs.example/123/slow",
}


def test_settings_parse_the_template_formats() -> None:
    settings = EmitSettings.from_environ(COMMON | {"TABLE_ENTITIES": '{"licenses-dev": "license"}'})
    assert settings.permitted_environments == {Environment.PRODUCTION, Environment.STAGING}
    assert settings.permitted_events == ("license.*", "contract.created")
    assert settings.table_entities == {"licenses-dev": Entity.LICENSE}
    assert settings.tracing_enabled is False


def test_manage_and_deliver_settings_read_their_own_variables() -> None:
    manage = ManageSettings.from_environ(
        COMMON
        | {
            "WEBHOOK_QUOTA_PER_ACCOUNT": "5",
            "ALLOW_HTTP_FOR_DEVELOPMENT": "true",
            "ENDPOINT_CIRCUITS_TABLE": "webhooks-endpoint-circuits-test",
            "ENDPOINT_STATS_TABLE": "webhooks-endpoint-stats-test",
            "OPERATIONAL_EVENTS_TABLE": "webhooks-operational-events-test",
            "SECRETS_KEY_ID": "key-id",
        }
    )
    assert (manage.webhook_quota_per_account, manage.allow_http_for_development) == (5, True)
    assert manage.secrets_key_id == "key-id"
    deliver = DeliverSettings.from_environ(DELIVER)
    assert deliver.delivery_concurrency == 8
    assert deliver.allow_loopback_delivery is False
    assert "WEBHOOK_QUOTA_PER_ACCOUNT" in ManageSettings.variable_names()
    assert "WEBHOOK_QUOTA_PER_ACCOUNT" not in DeliverSettings.variable_names()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PERMITTED_ENVIRONMENTS", "production,moon"),
        ("PERMITTED_ENVIRONMENTS", ""),
        ("PERMITTED_EVENTS", "license.nope"),
        ("DELIVERY_LOG_RETENTION_DAYS", "0"),
        ("TRACING_ENABLED", "maybe"),
    ],
)
def test_bad_settings_fail_at_start_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ValidationError, match=variable):
        DeliverSettings.from_environ(DELIVER | {variable: value})


def test_settings_are_immutable() -> None:
    settings = DeliverSettings.from_environ(DELIVER)
    with pytest.raises(ValidationError):
        settings.delivery_concurrency = 9  # type: ignore[misc]
