"""What an admin asks for: a new webhook (draft) or a change (patch), with the field rules both share.

The API's schemas reuse these field types, so the OpenAPI document states the same limits.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from webhooks.catalogue import Environment, is_valid_pattern
from webhooks.domain.signing_keys import SignatureScheme
from webhooks.domain.url_policy import MAX_URL_LENGTH
from webhooks.domain.webhook import (
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
    DEFAULT_READ_TIMEOUT_SECONDS,
    PayloadFilter,
    RateLimit,
    RetryPolicy,
    TimeoutSeconds,
)

# An enum read from JSON text by its value, also where the API reads bodies strictly.
SchemeName = Annotated[SignatureScheme, Strict(False)]


def _known_patterns(patterns: list[str]) -> list[str]:
    unknown = [pattern for pattern in patterns if not is_valid_pattern(pattern)]
    if unknown:
        raise ValueError(f"not an event of the catalogue or a wildcard (license.*, *): {', '.join(unknown)}")
    return sorted(set(patterns))


def _text(*, multi_line: bool) -> AfterValidator:
    """Free text holds no control characters (Unicode Cc: NUL, escape sequences, C1), which would reach the
    portal, the audit history and logs as they are; multi-line text may hold line breaks and tabs."""
    allowed = frozenset("\t\n\r") if multi_line else frozenset()
    message = "must not contain control characters" + (" other than line breaks and tabs" if multi_line else "")

    def check(text: str) -> str:
        if any(unicodedata.category(character) == "Cc" and character not in allowed for character in text):
            raise ValueError(message)
        return text

    return AfterValidator(check)


WebhookName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _text(multi_line=False)
]
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)]
Description = Annotated[str, StringConstraints(max_length=500), _text(multi_line=True)]
EventPatterns = Annotated[
    list[str],
    Field(min_length=1, max_length=50, description="Event names of the catalogue, `<entity>.*` or `*`."),
    AfterValidator(_known_patterns),
]


class WebhookDraft(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    name: WebhookName
    url: WebhookUrl
    environment: Environment
    events: EventPatterns
    description: Description | None = None
    enabled: bool = True
    retry_policy: RetryPolicy | None = None
    connect_timeout_seconds: TimeoutSeconds = DEFAULT_CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds: TimeoutSeconds = DEFAULT_READ_TIMEOUT_SECONDS
    rate_limit_per_second: RateLimit | None = None
    filter: PayloadFilter | None = None
    signature_scheme: SchemeName = Field(
        default=SignatureScheme.V1,
        description="`v1` (HMAC-SHA256 with a shared `whsec_` secret) or `v1a` (Ed25519: receivers verify with the "
        "webhook's `whpk_` public key; the private key never leaves the platform).",
    )


NULLABLE_FIELDS = frozenset({"description", "retry_policy", "rate_limit_per_second", "filter"})


def not_null_unless_nullable(value: Any, info: ValidationInfo) -> Any:
    """A field validator (mode="before") for patches: only description, retry_policy, the rate limit and the
    filter can be cleared."""
    if value is None and info.field_name not in NULLABLE_FIELDS:
        raise ValueError("must not be null")
    return value


class WebhookPatch(BaseModel):
    """Only the fields given change (`model_fields_set`); null clears a nullable field."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: WebhookName | None = None
    url: WebhookUrl | None = None
    environment: Environment | None = None
    events: EventPatterns | None = None
    description: Description | None = None
    enabled: bool | None = None
    retry_policy: RetryPolicy | None = None
    connect_timeout_seconds: TimeoutSeconds | None = None
    read_timeout_seconds: TimeoutSeconds | None = None
    rate_limit_per_second: RateLimit | None = None
    filter: PayloadFilter | None = None
    signature_scheme: SchemeName | None = Field(
        default=None, description="Switching scheme is a rotation: the current secret signs on for 24 h."
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        return not_null_unless_nullable(value, info)

    def changes(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in self.model_fields_set}
