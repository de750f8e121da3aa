"""Which endpoint URLs a webhook may have (DESIGN.md section 6), checked without resolving DNS.

Create and update refuse what is unsafe on its face: other schemes, userinfo, IP literals of
non-global addresses in any spelling (decimal, octal, hex, short, IPv6, IPv4-mapped, NAT64, 6to4,
Teredo, full-width Unicode digits) and names that are local by definition (hosts are IDNA-folded
first). Names are resolved and vetted again at send time.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks.catalogue import Environment
from webhooks.domain.destination import ascii_host
from webhooks.domain.errors import InvalidInput

MAX_URL_LENGTH = 2048
LOCAL_NAMES = ("localhost",)
LOCAL_SUFFIXES = (".localhost", ".internal", ".local")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    allow_http_for_development: bool = False
    # Only the local stack: loopback receivers (http or https) in any environment.
    allow_loopback: bool = False

    def check(self, url: str, environment: Environment) -> None:
        """Raise InvalidInput (pointing at the url field) unless the URL may receive webhooks."""
        problem = self._problem(url, environment)
        if problem:
            raise InvalidInput(
                f"url is not allowed: {problem}",
                errors=[{"field": "url", "pointer": "/url", "message": problem}],
            )

    def _problem(self, url: str, environment: Environment) -> str | None:  # noqa: PLR0912 - one return per rule
        if len(url) > MAX_URL_LENGTH:
            return f"longer than {MAX_URL_LENGTH} characters"
        if any(character.isspace() or ord(character) < 32 for character in url):
            return "contains whitespace or control characters"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on an invalid port
        except ValueError:
            return "not a valid URL"
        if parts.port == 0:
            return "has port 0, which no server listens on"
        if parts.scheme not in {"https", "http"} or not parts.netloc:
            return "must be an absolute https URL"
        if "@" in parts.netloc:
            return "must not contain a user name or password"
        try:
            host = ascii_host(parts.hostname or "")
        except ValueError:
            return "has a host that is not a valid name"
        if not host:
            return "has no host"
        address = ip_literal(host)
        if self.allow_loopback and (host in LOCAL_NAMES or (address is not None and address.is_loopback)):
            return None
        if parts.scheme == "http" and not (environment is Environment.DEVELOPMENT and self.allow_http_for_development):
            return "must use https" + ("" if environment is Environment.DEVELOPMENT else f" in {environment.value}")
        if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
            return "names a local host"
        if address is None and _is_legacy_ipv4(host):
            return "spells an IP address in a non-standard form"
        if address is not None and not is_public(address):
            return "points at a non-public address"
        return None


def ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _is_legacy_ipv4(host: str) -> bool:
    """Decimal (2130706433), octal (0177.0.0.1), hex (0x7f.1) or short (127.1) IPv4: clients disagree on them."""
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def is_public(address: IPAddress) -> bool:
    """Globally routable, including any IPv4 address embedded in an IPv6 one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour, address.teredo[1] if address.teredo else None]
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(inner is not None and not is_public(inner) for inner in embedded):
            return False
    # fec0::/10 is deprecated, so ipaddress (3.12) calls it global; some networks still route it inside.
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_global and not address.is_multicast and not address.is_reserved and not site_local
