"""The webhook entity: where to POST, which events, how to sign and whether to retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr
from pydantic_core import PydanticCustomError

from webhooks.catalogue import TEST_EVENT, Environment, matches
from webhooks.delivery.message import DeliveryMessage, format_timestamp
from webhooks.domain.errors import RotationLimitReached
from webhooks.domain.payload_filter import (
    MAX_FILTER_BYTES,
    MAX_FILTER_DEPTH,
    MAX_FILTER_OPERATORS,
    InvalidFilter,
    Test,
    check_filter,
    compile_filter,
)
from webhooks.domain.signing_keys import SealedSecret, SignatureScheme, public_key, scheme_of

DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_READ_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 30.0
# Rotated-out secrets that may sign next to the current one: each adds a signature to every request's
# header (proxies refuse headers over 8 KB) and stays in the webhook's item (400 KB at most).
MAX_PREVIOUS_SECRETS = 3
# The store keeps timeouts in whole milliseconds, so that is what a webhook may have.
TIMEOUT_STEP_SECONDS = 0.001


def _whole_milliseconds(seconds: float) -> float:
    # multiple_of tolerates float noise (0.1 + 0.2 passes), which would read back as a different number.
    if round(seconds * 1000) / 1000 != seconds:
        raise ValueError("must be a whole number of milliseconds: at most three decimals")
    return seconds


def _usable_filter(spec: dict[str, Any]) -> dict[str, Any]:
    try:
        return check_filter(spec)
    except InvalidFilter as invalid:  # the error names the bad part's place inside the filter (ctx "path")
        place = ".".join(str(part) for part in invalid.path)
        message = f"{place}: {invalid.message}" if place else invalid.message
        raise PydanticCustomError("payload_filter", "{message}", {"message": message, "path": invalid.path}) from None


PayloadFilter = Annotated[
    dict[str, Any],
    AfterValidator(_usable_filter),
    Field(
        description="Only bodies that match it are delivered: a JSON object shaped like the delivered body, with "
        "operators `$eq $neq $gt $gte $lt $lte $in $nin $exist $startsWith $endsWith $or $and $not` "
        f"(see docs/payload-filters.md). At most {MAX_FILTER_BYTES // 1024} KB, {MAX_FILTER_DEPTH} levels and "
        f"{MAX_FILTER_OPERATORS} operators.",
        examples=[{"payload": {"product_id": {"$in": ["prod_a", "prod_b"]}, "seats": {"$gte": 10}}}],
    ),
]
# What a customer may ask deliver to stay under for its endpoint, in POSTs a second.
RateLimit = Annotated[int, Field(ge=1, le=1000, description="At most this many POSTs a second (none: no limit).")]
TimeoutSeconds = Annotated[
    float,
    Field(
        ge=TIMEOUT_STEP_SECONDS,
        le=MAX_TIMEOUT_SECONDS,
        multiple_of=TIMEOUT_STEP_SECONDS,
        description="Seconds in whole milliseconds: 0.001 to 30, at most three decimals.",
    ),
    AfterValidator(_whole_milliseconds),
]


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

    @property
    def scheme(self) -> SignatureScheme:
        if isinstance(self.value, SealedSecret):
            return self.value.scheme
        return scheme_of(self.value.get_secret_value())

    @property
    def public_key(self) -> str | None:
        """Its `whpk_` public key when it is a `v1a` private key (public: safe to show)."""
        if isinstance(self.value, SealedSecret):
            return self.value.public_key
        return public_key(self.value.get_secret_value())

    @property
    def showable(self) -> str | None:
        """What an admin may be shown of it: a `v1` secret; never a `v1a` private key (not even opened)."""
        return self.value.get_secret_value() if self.scheme is SignatureScheme.V1 else None


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
    secrets: tuple[SigningSecret, ...] = Field(
        min_length=1, description="Current secret first, then the rotated-out ones, most recently rotated out first."
    )
    retry_policy: RetryPolicy | None = None
    connect_timeout_seconds: TimeoutSeconds = DEFAULT_CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds: TimeoutSeconds = DEFAULT_READ_TIMEOUT_SECONDS
    rate_limit_per_second: RateLimit | None = None
    filter: PayloadFilter | None = None
    version: int = Field(default=1, ge=1, description="Raised by every change; the ETag.")
    # Kept when it is enabled again: what failed or was skipped since then is what an admin recovers.
    disabled_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str

    def subscribes_to(self, event: str) -> bool:
        return subscribes(self.events, event)

    def receives(self, event: str, environment: Environment) -> bool:
        """Whether an event of that environment is delivered to this webhook now."""
        return routes(self.enabled, self.environment, self.events, event, environment)

    @property
    def signature_scheme(self) -> SignatureScheme:
        """The scheme of its current secret; during a rotation a previous secret may sign with the other."""
        return self.secrets[0].scheme

    def payload_test(self) -> Test | None:
        """Its payload filter compiled (None: it has none); a caller matching many bodies compiles it once."""
        return None if self.filter is None else compile_filter(self.filter)

    def accepts(self, message: DeliveryMessage) -> bool:
        """Whether its payload filter lets the body `message` delivers through; the test event always passes.
        The body is built only for a webhook that has a filter."""
        if self.filter is None or message.event == TEST_EVENT:
            return True
        return compile_filter(self.filter)(message.body()) is None

    def previous_secrets(self, now: datetime) -> list[SigningSecret]:
        """The rotated-out secrets that sign at `now`: the MAX_PREVIOUS_SECRETS most recently rotated out,
        each while in its grace period (an item stored before that bound may hold more; they never sign)."""
        return [secret for secret in self.secrets[1 : 1 + MAX_PREVIOUS_SECRETS] if secret.is_valid_at(now)]

    def valid_secrets(self, now: datetime) -> list[SigningSecret]:
        """Every secret that signs at `now`, the current one first."""
        return [self.secrets[0], *self.previous_secrets(now)]

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        return [secret.value.get_secret_value() for secret in self.valid_secrets(now or datetime.now(UTC))]

    def rotated(self, secret: SigningSecret, grace_period: timedelta) -> Webhook:
        """The webhook signing with `secret` first, the current secret signing on for `grace_period` (none:
        it stops at once), and only the secrets that still sign kept. Refused while MAX_PREVIOUS_SECRETS are in
        their grace period and this rotation would add one: ending a promised grace period early would break a
        receiver that still relies on it, and a rotation with no grace period is always possible."""
        now = secret.created_at
        retired = self.secrets[0].model_copy(update={"expires_at": now + grace_period})
        previous = self.previous_secrets(now)
        if retired.is_valid_at(now):
            if len(previous) >= MAX_PREVIOUS_SECRETS:
                ends = min(old.expires_at or now for old in previous)
                raise RotationLimitReached(
                    f"{len(previous)} previous secrets are still in their grace period, the most a webhook may "
                    f"have; the next grace period ends at {format_timestamp(ends)}. Rotate again then, or now "
                    "with grace_period_seconds 0 (the current secret then stops signing at once).",
                    previous_secrets_in_grace=len(previous),
                    next_grace_period_ends_at=format_timestamp(ends),
                )
            previous = [retired, *previous]
        return self.model_copy(update={"secrets": (secret, *previous)})


def subscribes(events: frozenset[str], event: str) -> bool:
    return event == TEST_EVENT or matches(events, event)


def routes(enabled: bool, environment: Environment, events: frozenset[str], event: str, to: Environment) -> bool:
    """The routing rule, for stored webhooks and damaged ones alike: enabled, of the event's environment, subscribed."""
    return enabled and environment == to and subscribes(events, event)
