"""Which webhook URLs are accepted at create/update time (no DNS: literals and local names only)."""

from __future__ import annotations

import pytest

from webhooks.catalogue import Environment
from webhooks.domain.errors import InvalidInput
from webhooks.domain.url_policy import UrlPolicy

STRICT = UrlPolicy()


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/licenses",
        "https://hooks.example.com:8443/a?b=c",
        "https://93.184.216.34/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://example.com./hook",
    ],
)
def test_public_https_urls_are_accepted(url: str) -> None:
    STRICT.check(url, Environment.PRODUCTION)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "https"),
        ("ftp://hooks.example.com/x", "absolute https"),
        ("/relative/path", "absolute https"),
        ("https://user:pw@hooks.example.com/x", "user name"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("https://hooks.example.com:0/x", "port 0"),
        ("https://hooks.example.com:00/x", "port 0"),
        ("https://hooks.example.com/" + "a" * 2048, "longer than"),
        ("https://hooks.example .com/x", "whitespace"),
        ("https://localhost/x", "local host"),
        ("https://api.localhost/x", "local host"),
        ("https://metadata.internal/x", "local host"),
        ("https://printer.local/x", "local host"),
        ("https://127.0.0.1/x", "non-public"),
        ("https://10.1.2.3/x", "non-public"),
        ("https://192.168.0.10/x", "non-public"),
        ("https://169.254.169.254/latest/meta-data", "non-public"),
        ("https://100.64.0.1/x", "non-public"),
        ("https://0.0.0.0/x", "non-public"),
        ("https://224.0.0.1/x", "non-public"),
        ("https://2130706433/x", "non-standard"),
        ("https://0177.0.0.1/x", "non-standard"),
        ("https://0x7f.0.0.1/x", "non-standard"),
        ("https://127.1/x", "non-standard"),
        ("https://[::1]/x", "non-public"),
        ("https://[fe80::1]/x", "non-public"),
        ("https://[fd00::1]/x", "non-public"),
        ("https://[::ffff:127.0.0.1]/x", "non-public"),
        ("https://[::ffff:169.254.169.254]/x", "non-public"),
        ("https://[64:ff9b::a00:1]/x", "non-public"),
        ("https://[2002:7f00:1::]/x", "non-public"),
        ("https://[::]/x", "non-public"),
    ],
)
def test_unsafe_urls_are_refused_with_a_field_error(url: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        STRICT.check(url, Environment.PRODUCTION)
    assert reason in refused.value.detail
    assert refused.value.extensions["errors"][0]["pointer"] == "/url"


def test_http_is_allowed_only_for_development_and_only_when_the_deployment_allows_it() -> None:
    lenient = UrlPolicy(allow_http_for_development=True)
    lenient.check("http://hooks.example.com/x", Environment.DEVELOPMENT)
    with pytest.raises(InvalidInput):
        lenient.check("http://hooks.example.com/x", Environment.STAGING)
    with pytest.raises(InvalidInput):
        STRICT.check("http://hooks.example.com/x", Environment.DEVELOPMENT)


def test_the_local_stack_may_allow_loopback_receivers_in_any_environment() -> None:
    local = UrlPolicy(allow_loopback=True)
    local.check("http://127.0.0.1:8081/hook", Environment.PRODUCTION)
    local.check("http://localhost:8081/hook", Environment.STAGING)
    with pytest.raises(InvalidInput):
        local.check("http://10.0.0.1:8081/hook", Environment.DEVELOPMENT)
