# ruff: noqa: RUF001 - full-width and look-alike characters are what this file tests
"""The SSRF matrix: one list of hostile URLs, refused both at create time (manage's url_policy, no DNS)
and at send time (deliver's destination rules, with a resolver that lies or rebinds)."""

from __future__ import annotations

import ipaddress

import pytest

from webhooks.catalogue import Environment
from webhooks.delivery.address_policy import IPAddress
from webhooks.delivery.outbound import UnsafeDestination, parse_destination, vetted_addresses
from webhooks.delivery.record import ErrorKind
from webhooks.domain.errors import InvalidInput
from webhooks.domain.url_policy import UrlPolicy

PUBLIC = "93.184.215.14"

# Literals in every spelling: refused without any DNS at both ends.
HOSTILE_LITERALS = [
    "https://127.0.0.1/x",
    "https://10.0.0.1/x",
    "https://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254./latest/meta-data/",
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://2130706433/x",  # decimal
    "https://2852039166/x",  # decimal 169.254.169.254
    "https://0177.0.0.1/x",  # octal
    "https://0251.0376.0251.0376/x",  # octal 169.254.169.254
    "https://0x7f.0.0.1/x",  # hex
    "https://127.1/x",  # short
    "https://[::1]/x",
    "https://[::]/x",
    "https://[fe80::1]/x",
    "https://[fd00::1]/x",
    "https://[fec0::1]/x",  # site-local (deprecated, still routed inside some networks)
    "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped
    "https://[::ffff:a9fe:a9fe]/x",  # IPv4-mapped, hex
    "https://[64:ff9b::a9fe:a9fe]/x",  # NAT64
    "https://[2002:7f00:1::]/x",  # 6to4
    "https://[2002:a9fe:a9fe::1]/x",  # 6to4 of the metadata address
    "https://１２７.０.０.１/x",  # full-width digits
    "https://127。0。0。1/x",  # ideographic full stops
    "https://１６９.２５４.１６９.２５４/latest/meta-data/",
    "https://０１７７.０.０.１/x",  # full-width octal
]
# Names local by definition: refused by name at create time; at send time they resolve to loopback.
HOSTILE_NAMES = [
    "https://localhost/x",
    "https://LOCALHOST./x",
    "https://api.localhost/x",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://printer.local/x",
    "https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/x",  # enclosed letters: IDNA folds them to "localhost"
    "https://ｌｏｃａｌｈｏｓｔ/x",  # full-width letters
    "https://metadata.ｉｎｔｅｒｎａｌ/x",
]


class Resolver:
    """Answers `answers` in turn (the last one from then on): a rebinding name answers public, then private."""

    def __init__(self, *answers: str) -> None:
        self.answers = [ipaddress.ip_address(answer) for answer in answers]
        self.calls = 0

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [answer]


def _refused_at_create(url: str) -> bool:
    try:
        UrlPolicy().check(url, Environment.PRODUCTION)
    except InvalidInput:
        return True
    return False


def _refused_at_send(url: str, resolver: Resolver) -> bool:
    try:
        vetted_addresses(parse_destination(url, allow_http=False), resolver, allow_loopback=False)
    except UnsafeDestination as refused:
        return refused.kind in {ErrorKind.BLOCKED_ADDRESS, ErrorKind.INVALID_URL}
    return False


@pytest.mark.parametrize("url", HOSTILE_LITERALS)
def test_a_hostile_literal_is_refused_at_create_time_and_at_send_time_without_dns(url: str) -> None:
    lying = Resolver(PUBLIC)  # were the literal resolved, the answer would pass: it must not be resolved

    assert (_refused_at_create(url), _refused_at_send(url, lying)) == (True, True)
    assert lying.calls == 0


@pytest.mark.parametrize("url", HOSTILE_NAMES)
def test_a_local_name_is_refused_at_create_time_and_at_send_time(url: str) -> None:
    assert (_refused_at_create(url), _refused_at_send(url, Resolver("127.0.0.1"))) == (True, True)


def test_a_rebinding_name_passes_create_time_and_is_refused_once_it_resolves_privately() -> None:
    url = "https://rebind.attacker.example/x"
    rebinding = Resolver(PUBLIC, "169.254.169.254")

    assert not _refused_at_create(url)  # nothing on its face: create time does not resolve
    assert not _refused_at_send(url, rebinding)  # first answer public: delivered to that vetted address
    assert _refused_at_send(url, rebinding)  # the next send resolves again and refuses the private answer


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/x", "https://ｈｏｏｋｓ.example.com/x", f"https://{PUBLIC}/x"]
)
def test_public_urls_pass_both_checks_and_idn_hosts_are_sent_in_ascii(url: str) -> None:
    assert (_refused_at_create(url), _refused_at_send(url, Resolver(PUBLIC))) == (False, False)
    assert parse_destination(url, allow_http=False).host.isascii()


# Forms where create and send time once disagreed, or that ipaddress answers differently across versions.
EDGE_FORMS = [
    "https://[::ffff:8.8.8.8]/x",  # IPv4-mapped public: refused at both (a socket spelling, never a receiver)
    "https://[64:ff9b::808:808]/x",  # NAT64 of a public address: reached at both
    "https://[64:ff9b:1::808:808]/x",  # local-use NAT64
    "https://[2002:808:808::]/x",  # 6to4 of a public address
    "https://[2002:c000:8::]/x",  # 6to4 of 192.0.0.8
    "https://192.0.0.8/x",
    "https://[2001:1::1]/x",
    "https://[2001:0:4136:e378::1]/x",  # Teredo
    "https://134744072/x",  # 8.8.8.8 in decimal
    "https://0x08.8.8.8/x",
    "https://[3fff::1]/x",
    "https://[2620:4f:8000::1]/x",
]
PUBLIC_FORMS = [
    "https://hooks.example.com/x",
    "https://ｈｏｏｋｓ.example.com/x",
    f"https://{PUBLIC}/x",
    "https://[2606:4700::1111]/x",
    "https://hooks.example.com:8443/x",
]


@pytest.mark.parametrize("url", HOSTILE_LITERALS + HOSTILE_NAMES + EDGE_FORMS + PUBLIC_FORMS)
def test_create_time_and_send_time_give_the_same_answer_for_every_form(url: str) -> None:
    names_resolve_publicly = Resolver(PUBLIC)  # so only what the URL says by itself decides

    assert _refused_at_create(url) == _refused_at_send(url, names_resolve_publicly)
