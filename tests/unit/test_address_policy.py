"""The one address rule: every IANA special-purpose block refused, public unicast reached, and the same
answers from every Python version (ipaddress's own tables differ between 3.12.1 and 3.13)."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest

from webhooks.delivery import address_policy
from webhooks.delivery.address_policy import address_refusal, host_refusal, names_loopback

LAYER = Path(__file__).resolve().parents[2] / "layers" / "common"

# One address inside each block of the tables, with a word of the reason it must give.
INSIDE_EACH_BLOCK = [
    ("0.1.2.3", "this network"),
    ("10.255.0.1", "private-use"),
    ("100.64.0.1", "CGNAT"),
    ("127.0.0.1", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.31.255.255", "private-use"),
    ("192.0.0.8", "IETF protocol"),  # IPv4 dummy address: global to ipaddress on 3.12.1
    ("192.0.0.9", "IETF protocol"),  # PCP anycast: globally reachable in the registry, still no receiver
    ("192.0.2.1", "documentation"),
    ("192.31.196.1", "AS112"),
    ("192.52.193.1", "AMT"),
    ("192.88.99.1", "6to4 relay"),
    ("192.168.1.1", "private-use"),
    ("192.175.48.1", "AS112"),
    ("198.19.255.1", "benchmarking"),
    ("198.51.100.1", "documentation"),
    ("203.0.113.1", "documentation"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("2001:0:4136:e378::1", "IETF protocol"),  # Teredo
    ("2001:1::1", "IETF protocol"),  # PCP anycast: global to ipaddress on 3.13, not on 3.12.1
    ("2001:db8::1", "documentation"),
    ("2620:4f:8000::1", "AS112"),
    ("3fff::1", "documentation"),
    ("::1", "loopback"),
    ("::", "outside IPv6 global unicast"),
    ("::7f00:1", "outside IPv6 global unicast"),  # IPv4-compatible (deprecated)
    ("100::1", "outside IPv6 global unicast"),  # discard-only
    ("5f00::1", "outside IPv6 global unicast"),  # SRv6 SIDs
    ("fd12:3456::1", "outside IPv6 global unicast"),  # unique local
    ("fe80::1", "outside IPv6 global unicast"),
    ("fec0::1", "outside IPv6 global unicast"),  # site-local: global to ipaddress on 3.12
    ("ff02::1", "outside IPv6 global unicast"),
    ("64:ff9b:1::a00:1", "outside IPv6 global unicast"),  # local-use NAT64
    ("::ffff:8.8.8.8", "IPv4-mapped"),
    ("64:ff9b::a9fe:a9fe", "embeds a link-local"),  # NAT64 of the metadata address
    ("2002:c000:8::1", "embeds an IETF protocol"),  # 6to4 of 192.0.0.8
    ("2002:a00:1::1", "embeds a private-use"),
]
PUBLIC = [
    "8.8.8.8",
    "93.184.215.14",
    "1.1.1.1",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above it
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.255",
    "198.17.255.255",
    "223.255.255.255",
    "2606:4700::1111",
    "2001:200::1",  # just past 2001::/23
    "3ffe::1",  # just before 3fff::/20
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::",  # 6to4 of 8.8.8.8: private to ipaddress on 3.13
]


@pytest.mark.parametrize(("address", "reason"), INSIDE_EACH_BLOCK)
def test_every_special_purpose_block_is_refused_with_its_name(address: str, reason: str) -> None:
    refusal = address_refusal(ipaddress.ip_address(address), allow_loopback=False)

    assert refusal is not None
    assert reason in refusal


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_is_reached(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=False) is None


def test_only_loopback_itself_is_allowed_by_the_local_stacks_setting() -> None:
    allowed = [address_refusal(ipaddress.ip_address(a), allow_loopback=True) for a in ("127.0.0.1", "127.9.9.9", "::1")]
    still_refused = [
        address_refusal(ipaddress.ip_address(a), allow_loopback=True)
        for a in ("10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1")
    ]

    assert allowed == [None, None, None]
    assert None not in still_refused


@pytest.mark.parametrize(
    ("host", "allow_loopback", "refused"),
    [
        ("localhost", False, "local host"),
        ("localhost", True, None),
        ("api.localhost", True, "local host"),
        ("metadata.google.internal", False, "local host"),
        ("127.0.0.1", True, None),
        ("127.1", True, "non-standard"),  # a legacy spelling is refused even where loopback is allowed
        ("134744072", False, "non-standard"),  # 8.8.8.8 in decimal: public, still not a spelling we read
        ("10.0.0.1", False, "non-public address: a private-use"),
        ("hooks.example.com", False, None),
    ],
)
def test_a_host_is_judged_on_its_face(host: str, allow_loopback: bool, refused: str | None) -> None:
    reason = host_refusal(host, allow_loopback=allow_loopback)

    assert (reason is None) == (refused is None)
    assert refused is None or refused in (reason or "")


def test_loopback_receivers_are_localhost_and_standard_loopback_literals_only() -> None:
    assert [names_loopback(h) for h in ("localhost", "127.0.0.1", "::1", "127.1", "api.localhost", "10.0.0.1")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def _answers_of(python: str) -> dict[str, str | None]:
    """Ask `python` (any version) the policy's answer for every address of this file."""
    script = (
        "import ipaddress, json, sys\n"
        f"sys.path.insert(0, {str(LAYER)!r})\n"
        "from webhooks.delivery.address_policy import address_refusal\n"
        "addresses = json.load(sys.stdin)\n"
        "print(json.dumps({a: address_refusal(ipaddress.ip_address(a), allow_loopback=False) for a in addresses}))\n"
    )
    addresses = [address for address, _ in INSIDE_EACH_BLOCK] + PUBLIC
    completed = subprocess.run(
        [python, "-I", "-c", script], input=json.dumps(addresses), capture_output=True, text=True, check=True
    )
    answers: dict[str, str | None] = json.loads(completed.stdout)
    return answers


def _another_python() -> str:
    """A pyenv interpreter of another version than this one: 3.13 first, whose ipaddress tables differ most."""
    versions = Path.home() / ".pyenv" / "versions"
    candidates = sorted(versions.glob("3.1[0-9]*/bin/python3"), reverse=True) if versions.is_dir() else []
    this = ".".join(map(str, sys.version_info[:3]))
    others = [str(python) for python in candidates if python.parent.parent.name != this]
    assert others, f"no Python other than {this} under {versions}: the cross-version check needs one (pyenv install)"
    return others[0]


def test_another_python_version_gives_the_same_answers() -> None:
    here = _answers_of(sys.executable)

    there = _answers_of(_another_python())

    assert there == here
    assert address_policy.__file__.startswith(str(LAYER))  # both asked the module under test
