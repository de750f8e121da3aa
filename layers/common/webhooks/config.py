"""Settings: one pydantic model per function, composed from shared parts, read once from the environment.

This is the only module that reads environment variables. Every field names the variable it
comes from (its alias); the template test checks that template.yaml sets each one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from webhooks.catalogue import Entity, Environment, EventGroup, is_valid_pattern


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _json_object(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _event_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    invalid = [pattern for pattern in patterns if not is_valid_pattern(pattern)]
    if invalid:
        raise ValueError(f"not an event name or wildcard of the catalogue: {', '.join(invalid)}")
    return patterns


CommaSeparated = BeforeValidator(_comma_separated)


class _FromEnvironment(BaseModel):
    # Each function reads one of these models; defer_build keeps the others' validators unbuilt in its cold start.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        return cls.model_validate(dict(os.environ if environ is None else environ))

    @classmethod
    def variable_names(cls) -> frozenset[str]:
        return frozenset(field.alias or name for name, field in cls.model_fields.items())


class CommonSettings(_FromEnvironment):
    """What every function needs: where the webhook data lives and what this deployment delivers."""

    deployment_environment: str = Field(alias="DEPLOYMENT_ENVIRONMENT")
    tracing_enabled: bool = Field(alias="TRACING_ENABLED")
    webhooks_table: str = Field(alias="WEBHOOKS_TABLE")
    deliveries_table: str = Field(alias="DELIVERIES_TABLE")
    audit_table: str = Field(alias="AUDIT_TABLE")
    delivery_queue_url: str = Field(alias="DELIVERY_QUEUE_URL")
    permitted_environments: Annotated[frozenset[Environment], CommaSeparated] = Field(
        alias="PERMITTED_ENVIRONMENTS", min_length=1
    )
    permitted_events: Annotated[tuple[str, ...], CommaSeparated, AfterValidator(_event_patterns)] = Field(
        alias="PERMITTED_EVENTS", min_length=1
    )
    delivery_log_retention_days: int = Field(alias="DELIVERY_LOG_RETENTION_DAYS", ge=1)


class ManageSettings(CommonSettings):
    webhook_quota_per_account: int = Field(alias="WEBHOOK_QUOTA_PER_ACCOUNT", ge=1)
    allow_http_for_development: bool = Field(alias="ALLOW_HTTP_FOR_DEVELOPMENT")
    # The admin portal's origin when it is served from another one (CORS); empty: same origin or none.
    portal_origin: str = Field(default="", alias="PORTAL_ORIGIN")
    # Only the local stack sets this, so its demo can register http://127.0.0.1:PORT/ receivers.
    allow_loopback_urls: bool = Field(default=False, alias="ALLOW_LOOPBACK_DELIVERY")
    # Read to show each webhook's endpoint state (deliver writes it).
    endpoint_circuits_table: str = Field(alias="ENDPOINT_CIRCUITS_TABLE", min_length=1)
    endpoint_stats_table: str = Field(alias="ENDPOINT_STATS_TABLE", min_length=1)
    # Where an admin's disabling of a webhook is recorded as webhook.disabled (emit fans it out).
    operational_events_table: str = Field(alias="OPERATIONAL_EVENTS_TABLE", min_length=1)
    # The KMS key new secrets are sealed under (deliver opens them: the wrapped data key names the key).
    secrets_key_id: str = Field(alias="SECRETS_KEY_ID", min_length=1)


class EmitSettings(CommonSettings):
    # Each stream's table and what it holds: an entity's records, or "operational" (the operational events).
    table_entities: Annotated[dict[str, Entity | EventGroup], BeforeValidator(_json_object)] = Field(
        alias="TABLE_ENTITIES"
    )


class DeliverSettings(CommonSettings):
    delivery_concurrency: int = Field(alias="DELIVERY_CONCURRENCY", ge=1, le=50)
    # Re-checked at send time: plain http only for development webhooks, and only where this is on.
    allow_http_for_development: bool = Field(default=False, alias="ALLOW_HTTP_FOR_DEVELOPMENT")
    # Only the local stack sets this: on AWS, deliveries to loopback addresses are always refused.
    allow_loopback_delivery: bool = Field(default=False, alias="ALLOW_LOOPBACK_DELIVERY")
    endpoint_circuits_table: str = Field(alias="ENDPOINT_CIRCUITS_TABLE", min_length=1)
    # Each batch's POSTs per webhook and hour are added here.
    endpoint_stats_table: str = Field(alias="ENDPOINT_STATS_TABLE", min_length=1)
    # Circuit changes, exhausted retries and disablings are recorded here as operational events.
    operational_events_table: str = Field(alias="OPERATIONAL_EVENTS_TABLE", min_length=1)
    # A webhook whose circuit has stayed open this long with no success is disabled.
    auto_disable_after_hours: float = Field(default=120, alias="AUTO_DISABLE_AFTER_HOURS", gt=0)
    # The circuit breaker's thresholds; the defaults are the template parameters' own.
    circuit_failure_threshold: int = Field(default=5, alias="CIRCUIT_FAILURE_THRESHOLD", ge=1)
    circuit_open_seconds: int = Field(default=30, alias="CIRCUIT_OPEN_SECONDS", ge=1)
    circuit_max_open_seconds: int = Field(default=900, alias="CIRCUIT_MAX_OPEN_SECONDS", ge=1, le=900)
    max_deferral_hours: int = Field(default=6, alias="MAX_DEFERRAL_HOURS", ge=1)
    # The slow lane: its queue, and what flags an endpoint slow for how long.
    slow_delivery_queue_url: str = Field(alias="SLOW_DELIVERY_QUEUE_URL", min_length=1)
    slow_attempt_seconds: float = Field(default=5, alias="SLOW_ATTEMPT_SECONDS", gt=0)
    slow_lane_seconds: int = Field(default=300, alias="SLOW_LANE_SECONDS", ge=1)
    max_in_flight_per_endpoint: int = Field(default=10, alias="MAX_IN_FLIGHT_PER_ENDPOINT", ge=1)
