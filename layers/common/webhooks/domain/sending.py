"""The port to the HTTP client: one POST out, its outcome back. The adapter does the network part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from webhooks.domain.delivery import ErrorKind


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    url: str
    headers: dict[str, str]
    body: bytes
    connect_timeout_seconds: float
    read_timeout_seconds: float
    allow_http: bool


@dataclass(frozen=True, slots=True)
class SendResult:
    """What came back: an HTTP status, or an error kind when no (acceptable) answer came."""

    http_status: int | None = None
    error_kind: ErrorKind | None = None
    error_detail: str | None = None
    response_excerpt: str | None = None
    response_truncated: bool = False
    retry_after_seconds: float | None = None
    duration_ms: int = 0

    @property
    def succeeded(self) -> bool:
        return self.error_kind is None and self.http_status is not None and 200 <= self.http_status < 300


class Sender(Protocol):
    def post(self, request: OutboundRequest) -> SendResult: ...
