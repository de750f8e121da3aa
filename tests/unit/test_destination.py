"""The SSRF rules: only public addresses, in every spelling, checked on every resolved answer."""

from __future__ import annotations

import ipaddress

import pytest

from webhooks.delivery.address_policy import IPAddress, address_refusal, ip_literal
from webhooks.delivery.outbound import UnsafeDestination, parse_destination, vetted_addresses
from webhooks.delivery.record import ErrorKind


class FixedResolver:
    def __init__(self, *answers: str) -> None:
        self.answers = [ipaddress.ip_address(answer) for answer in answers]
        self.calls = 0

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls += 1
        return self.answers


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.0.9",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.10",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:8.8.8.8",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::a00:1",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::1",
        "2002:c0a8:101::1",
        "2001:db8::1",
    ],
)
def test_non_global_addresses_are_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=False) is not None


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]
)
def test_public_addresses_are_accepted(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=False) is None


def test_loopback_is_allowed_only_by_the_explicit_setting() -> None:
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert address_refusal(ipaddress.ip_address("::1"), allow_loopback=True) is None
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) is not None
    assert address_refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is not None


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://2130706433/", "127.0.0.1"),
        ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://0x7f.0.0.1/", "127.0.0.1"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://127.1/", "127.0.0.1"),
        ("http://017700000001/", "127.0.0.1"),
        ("http://2852039166/", "169.254.169.254"),
        ("http://0251.0376.0251.0376/", "169.254.169.254"),
        ("http://[::ffff:a9fe:a9fe]/", "::ffff:169.254.169.254"),
        ("http://[0:0:0:0:0:0:0:1]/", "::1"),
        ("https://10.1.2.3:8443/x", "10.1.2.3"),
    ],
)
def test_ip_literals_in_every_spelling_are_recognised_and_refused(url: str, address: str) -> None:
    destination = parse_destination(url, allow_http=True)
    assert destination.literal == ipaddress.ip_address(address)
    resolver = FixedResolver("93.184.215.14")
    with pytest.raises(UnsafeDestination) as refused:
        vetted_addresses(destination, resolver, allow_loopback=False)
    assert refused.value.kind is ErrorKind.BLOCKED_ADDRESS
    assert resolver.calls == 0  # a literal is never resolved


@pytest.mark.parametrize("host", ["hooks.example.com", "1.2.3.4.example", "08.0.0.1", "0x", "999.1.1.1.1"])
def test_names_are_not_mistaken_for_addresses(host: str) -> None:
    assert ip_literal(host) is None


def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    destination = parse_destination("https://hooks.example.com/in", allow_http=False)
    with pytest.raises(UnsafeDestination, match="private"):
        vetted_addresses(destination, FixedResolver("93.184.215.14", "10.0.0.7"), allow_loopback=False)
    assert vetted_addresses(destination, FixedResolver("93.184.215.14"), allow_loopback=False) == [
        ipaddress.ip_address("93.184.215.14")
    ]


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("http://hooks.example.com/", False),
        ("ftp://hooks.example.com/", True),
        ("https:///nohost", True),
        ("https://user:pass@hooks.example.com/", True),
        ("https://hooks.example.com:99999/", True),
        ("https://hooks.example.com:0/", True),  # urllib3 would read port 0 as "the default"
    ],
)
def test_urls_that_are_not_https_or_not_plain_are_refused(url: str, allow_http: bool) -> None:
    with pytest.raises(UnsafeDestination) as refused:
        parse_destination(url, allow_http=allow_http)
    assert refused.value.kind is ErrorKind.INVALID_URL


def test_the_host_header_keeps_the_name_and_a_non_default_port() -> None:
    assert parse_destination("https://hooks.example.com/a?b=1", allow_http=False).host_header == "hooks.example.com"
    destination = parse_destination("http://hooks.example.com:8080/a?b=1", allow_http=True)
    assert (destination.host_header, destination.target) == ("hooks.example.com:8080", "/a?b=1")
