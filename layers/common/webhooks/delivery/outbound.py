"""Where a webhook may POST: public addresses only, HTTPS outside development.

Pure rules over URLs; which hosts and addresses may be reached is `address_policy`'s, the same rule that
create time asks. The HTTP adapter resolves the host with an injectable resolver, checks every answer here
and connects to the vetted address, so DNS rebinding cannot slip past.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from webhooks.delivery.address_policy import IPAddress, address_refusal, ascii_host, host_refusal, ip_literal
from webhooks.delivery.record import ErrorKind


class UnsafeDestination(Exception):
    def __init__(self, kind: ErrorKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Resolver(Protocol):
    """Host name -> every address it resolves to; raises UnsafeDestination(DNS) when it cannot."""

    def resolve(self, host: str, port: int) -> list[IPAddress]: ...


@dataclass(frozen=True, slots=True)
class Destination:
    scheme: str
    host: str  # as in the URL (for SNI, the certificate check and the Host header)
    port: int
    target: str  # path and query
    literal: IPAddress | None  # the host is an IP address in one of its spellings

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse_destination(url: str, *, allow_http: bool) -> Destination:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeDestination(ErrorKind.INVALID_URL, f"not a valid URL: {error}") from error
    if port == 0:
        raise UnsafeDestination(ErrorKind.INVALID_URL, "port 0 is not a port a server listens on")
    scheme = parts.scheme.lower()
    if scheme not in {"https", "http"} or not parts.hostname:
        raise UnsafeDestination(ErrorKind.INVALID_URL, "the URL must be http(s) with a host")
    if scheme == "http" and not allow_http:
        raise UnsafeDestination(ErrorKind.INVALID_URL, "HTTPS is required")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination(ErrorKind.INVALID_URL, "credentials in the URL are not allowed")
    try:
        host = ascii_host(parts.hostname)
    except ValueError as error:
        raise UnsafeDestination(ErrorKind.INVALID_URL, "the host is not a valid name") from error
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(scheme, host, port or (443 if scheme == "https" else 80), target, ip_literal(host))


def vetted_addresses(destination: Destination, resolver: Resolver, *, allow_loopback: bool) -> list[IPAddress]:
    """Every address of the destination, refused as a whole if any one of them is not public."""
    on_its_face = host_refusal(destination.host, allow_loopback=allow_loopback)
    if on_its_face:
        raise UnsafeDestination(ErrorKind.BLOCKED_ADDRESS, f"{destination.host} {on_its_face}")
    addresses = [destination.literal] if destination.literal else resolver.resolve(destination.host, destination.port)
    if not addresses:
        raise UnsafeDestination(ErrorKind.DNS, f"{destination.host} has no address")
    for address in addresses:
        reason = address_refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise UnsafeDestination(ErrorKind.BLOCKED_ADDRESS, f"{destination.host} resolves to {reason}")
    return addresses


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
