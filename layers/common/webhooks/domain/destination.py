"""Where a webhook may POST (DESIGN.md section 6): public addresses only, HTTPS outside development.

Pure rules over URLs and IP addresses; the HTTP adapter resolves the host with an injectable resolver,
checks every answer here and connects to the vetted address, so DNS rebinding cannot slip past.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from webhooks.domain.delivery import ErrorKind

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
# inet_aton's legacy forms: 2130706433, 0177.0.0.1, 0x7f.1, 127.1 (each part decimal, octal or hex).
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


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


def ascii_host(host: str) -> str:
    """The host as a resolver sees it: IDNA-encoded (NFKC folds full-width digits, ideographic full stops
    and look-alike letters into ASCII), lower case, without a trailing dot. ValueError if it is invalid."""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise ValueError(f"not a valid host name: {error}") from error
    return host.lower().rstrip(".")


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names literally, in any spelling a resolver would accept, else None."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if not _LEGACY_IPV4.match(host):
        return None
    try:
        numbers = [_legacy_number(part) for part in host.split(".")]
    except ValueError:  # 08 or 09: not octal, so not an address (nor a host name a resolver accepts)
        return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _legacy_number(part: str) -> int:
    if part.lower().startswith("0x"):
        return int(part, 16)
    return int(part, 8) if len(part) > 1 and part.startswith("0") else int(part)


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why an address may not be delivered to, or None when it is public (or allowed loopback)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        if address in _NAT64 or address in _SIX_TO_FOUR:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else address.sixtofour
            assert embedded is not None
            reason = refusal(embedded, allow_loopback=False)
            return f"embeds {reason}" if reason else None
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    checks = {
        "an unspecified address": address.is_unspecified,
        "a link-local address": address.is_link_local,
        # fec0::/10: deprecated, so ipaddress (3.12) calls it global, yet still routed inside some networks.
        "a site-local address": isinstance(address, ipaddress.IPv6Address) and address.is_site_local,
        "a private address": address.is_private,
        "a multicast address": address.is_multicast,
        "a reserved address": address.is_reserved,
        "a shared (CGNAT) address": address in ipaddress.IPv4Network("100.64.0.0/10")
        if isinstance(address, ipaddress.IPv4Address)
        else False,
        "a non-global address": not address.is_global,
    }
    return next((reason for reason, refused in checks.items() if refused), None)


def vetted_addresses(destination: Destination, resolver: Resolver, *, allow_loopback: bool) -> list[IPAddress]:
    """Every address of the destination, refused as a whole if any one of them is not public."""
    addresses = [destination.literal] if destination.literal else resolver.resolve(destination.host, destination.port)
    if not addresses:
        raise UnsafeDestination(ErrorKind.DNS, f"{destination.host} has no address")
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise UnsafeDestination(ErrorKind.BLOCKED_ADDRESS, f"{destination.host} resolves to {reason}")
    return addresses
