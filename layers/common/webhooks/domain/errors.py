"""Typed domain errors. The management API maps them to HTTP problem responses in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a use case raises on purpose; `detail` is safe to show the caller."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class Unauthenticated(DomainError):
    """The request carries no usable identity (no subject or no account claim)."""


class NotFound(DomainError):
    """The resource does not exist for this account (another account's resources do not exist either)."""


class Conflict(DomainError):
    """The request conflicts with the current state (for example a duplicate or a quota)."""


class QuotaExceeded(Conflict):
    """The account already has as many webhooks as the deployment allows."""


class RotationLimitReached(Conflict):
    """A rotation would leave more previous secrets signing, in their grace periods, than a webhook may have."""


class WebhookDamaged(Conflict):
    """The stored webhook does not read back: only a PATCH that sets its damaged fields, or a DELETE, can succeed."""


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer current."""


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a rule (an unsafe URL, an unknown event, ...)."""


class Forbidden(DomainError):
    """The caller is authenticated but its role may not do this."""


class InvalidCursor(DomainError):
    """A pagination cursor that is forged, corrupted or made for another account or query."""


class RateLimited(DomainError):
    """Too many requests of this kind; `retry_after` seconds tells when to try again."""
