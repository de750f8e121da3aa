"""May this host or address be reached by a webhook? The one rule, asked at create time and at send time.

Only public unicast addresses may be reached. The answer comes from the explicit tables below, never from
`ipaddress`'s `is_global` / `is_private`, whose tables changed between Python patch releases (3.12.1 calls
192.0.0.8 and 2002:c000:8:: global; later releases do not), so every Python version gives the same answer.
Standard library only, so a test can ask another interpreter the same questions.
"""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_NAMES = ("localhost",)
LOCAL_SUFFIXES = (".localhost", ".internal", ".local")

# IANA IPv4 Special-Purpose Address Registry (iana-ipv4-special-registry), every entry,
# plus multicast from the IPv4 Multicast Address Space Registry. All are refused, including the few marked
# globally reachable there (anycast PCP/TURN, AS112, AMT): they are protocol infrastructure, never a receiver.
_IPV4_SPECIAL: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "a 'this network' address (RFC 791)"),
    ("10.0.0.0/8", "a private-use address (RFC 1918)"),
    ("100.64.0.0/10", "a shared (CGNAT) address (RFC 6598)"),
    ("127.0.0.0/8", "a loopback address (RFC 1122)"),
    ("169.254.0.0/16", "a link-local address (RFC 3927)"),
    ("172.16.0.0/12", "a private-use address (RFC 1918)"),
    ("192.0.0.0/24", "an IETF protocol assignment (RFC 6890)"),  # incl. 192.0.0.8 dummy, .9 PCP, .10 TURN, .170
    ("192.0.2.0/24", "a documentation address (RFC 5737)"),
    ("192.31.196.0/24", "an AS112 anycast address (RFC 7535)"),
    ("192.52.193.0/24", "an AMT anycast address (RFC 7450)"),
    ("192.88.99.0/24", "a deprecated 6to4 relay anycast address (RFC 7526)"),
    ("192.168.0.0/16", "a private-use address (RFC 1918)"),
    ("192.175.48.0/24", "an AS112 direct delegation address (RFC 7534)"),
    ("198.18.0.0/15", "a benchmarking address (RFC 2544)"),
    ("198.51.100.0/24", "a documentation address (RFC 5737)"),
    ("203.0.113.0/24", "a documentation address (RFC 5737)"),
    ("224.0.0.0/4", "a multicast address (RFC 5771)"),
    ("240.0.0.0/4", "a reserved address (RFC 1112)"),  # includes 255.255.255.255, limited broadcast
)

# IANA IPv6 Special-Purpose Address Registry (iana-ipv6-special-registry), every entry
# inside global unicast 2000::/3; whatever lies outside 2000::/3 (loopback, unspecified, IPv4-compatible,
# 100::/64 discard, SRv6 SIDs 5f00::/16, ULA fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast) is not
# global unicast in the IANA IPv6 Address Space registry and is refused as such.
_IPV6_SPECIAL: tuple[tuple[str, str], ...] = (
    ("2001::/23", "an IETF protocol assignment (RFC 2928)"),  # incl. Teredo 2001::/32, benchmarking, ORCHID
    ("2001:db8::/32", "a documentation address (RFC 3849)"),
    ("2620:4f:8000::/48", "an AS112 direct delegation address (RFC 7534)"),
    ("3fff::/20", "a documentation address (RFC 9637)"),
)
_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# Forms that carry an IPv4 address: the embedded address decides, as a translator would forward to it.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix (the local-use /48 is outside 2000::/3)
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")  # RFC 3056
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # RFC 4291: a socket spelling, never a destination of ours
_IPV6_LOOPBACK = ipaddress.IPv6Address("::1")
_IPV4_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")

_IPV4_TABLE = tuple((ipaddress.IPv4Network(network), reason) for network, reason in _IPV4_SPECIAL)
_IPV6_TABLE = tuple((ipaddress.IPv6Network(network), reason) for network, reason in _IPV6_SPECIAL)

# inet_aton's legacy forms: 2130706433, 0177.0.0.1, 0x7f.1, 127.1 (each part decimal, octal or hex).
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


def address_refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why an address may not be reached, or None when it is public unicast (or loopback, when allowed)."""
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_refusal(address, allow_loopback=allow_loopback)
    if address in _IPV4_MAPPED:
        return "an IPv4-mapped IPv6 address"
    if address in _NAT64 or address in _SIX_TO_FOUR:
        embedded = _embedded_ipv4(address)
        reason = _ipv4_refusal(embedded, allow_loopback=False)
        return f"an address that embeds {reason}" if reason else None
    if address == _IPV6_LOOPBACK:
        return None if allow_loopback else "a loopback address (RFC 4291)"
    if address not in _IPV6_GLOBAL_UNICAST:
        return "an address outside IPv6 global unicast (2000::/3)"
    return next((reason for network, reason in _IPV6_TABLE if address in network), None)


def host_refusal(host: str, *, allow_loopback: bool) -> str | None:
    """Why a URL's host (as `ascii_host` gives it) may not be reached on its face, or None.

    Names are resolved at send time and each answer goes through `address_refusal`; here only what the
    host says by itself: an address literal, or a name that is local by definition.
    """
    if host in LOCAL_NAMES:
        return None if allow_loopback else "names a local host"
    if host.endswith(LOCAL_SUFFIXES):
        return "names a local host"
    address = ip_literal(host)
    if address is None:
        return None
    if not _is_standard_spelling(host):
        # Clients disagree on 2130706433, 0177.0.0.1, 0x7f.1 and 127.1: only dotted-decimal and IPv6 are read.
        return "spells an IP address in a non-standard form"
    reason = address_refusal(address, allow_loopback=allow_loopback)
    return f"points at a non-public address: {reason}" if reason else None


def names_loopback(host: str) -> bool:
    """The host is `localhost` or a loopback literal: the only receivers the local stack may allow."""
    address = ip_literal(host)
    return host in LOCAL_NAMES or (address is not None and _is_standard_spelling(host) and _is_loopback(address))


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
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
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


def _ipv4_refusal(address: ipaddress.IPv4Address, *, allow_loopback: bool) -> str | None:
    if allow_loopback and _is_loopback(address):
        return None
    return next((reason for network, reason in _IPV4_TABLE if address in network), None)


def _is_loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return address in _IPV4_LOOPBACK
    return address == _IPV6_LOOPBACK


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)  # 6to4: 2002:AABB:CCDD::/48


def _is_standard_spelling(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _legacy_number(part: str) -> int:
    if part.lower().startswith("0x"):
        return int(part, 16)
    return int(part, 8) if len(part) > 1 and part.startswith("0") else int(part)
