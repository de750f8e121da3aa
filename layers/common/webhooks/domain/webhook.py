"""The webhook entity: where to POST, which events, how to sign and whether to retry."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from webhooks.catalogue import TEST_EVENT, Environment, matches

DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_READ_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 30.0


class RetryPolicy(BaseModel):
    """Opt-in retries (the customer guide promises one attempt by default)."""

    # Strict: part of the API's request bodies, whose numbers must be JSON integers (3, not "3" or 3.0).
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    max_attempts: int = Field(ge=1, le=10, description="Attempts in all, the first included.")
    initial_backoff_seconds: int = Field(default=30, ge=1, le=900)
    max_backoff_seconds: int = Field(default=3600, ge=1, le=43_200)


class SigningSecret(BaseModel):
    """A signing secret; the current one has no expiry, a rotated-out one signs until `expires_at`."""

    model_config = ConfigDict(frozen=True)

    value: SecretStr
    created_at: datetime
    expires_at: datetime | None = None

    def is_valid_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


class Webhook(BaseModel):
    model_config = ConfigDict(frozen=True)

    webhook_id: str
    account_id: str
    name: str
    url: str
    environment: Environment
    events: frozenset[str]
    description: str | None = None
    enabled: bool = True
    secrets: tuple[SigningSecret, ...] = Field(min_length=1, description="Current secret first.")
    retry_policy: RetryPolicy | None = None
    connect_timeout_seconds: float = Field(default=DEFAULT_CONNECT_TIMEOUT_SECONDS, gt=0, le=MAX_TIMEOUT_SECONDS)
    read_timeout_seconds: float = Field(default=DEFAULT_READ_TIMEOUT_SECONDS, gt=0, le=MAX_TIMEOUT_SECONDS)
    version: int = Field(default=1, ge=1, description="Raised by every change; the ETag.")
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str

    def subscribes_to(self, event: str) -> bool:
        return event == TEST_EVENT or matches(self.events, event)

    def receives(self, event: str, environment: Environment) -> bool:
        """Whether an event of that environment is delivered to this webhook now."""
        return self.enabled and self.environment == environment and self.subscribes_to(event)

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """Every secret that signs at `now`: the current one, plus a rotated-out one in its grace period."""
        moment = now or datetime.now(UTC)
        return [secret.value.get_secret_value() for secret in self.secrets if secret.is_valid_at(moment)]
