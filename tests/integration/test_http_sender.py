"""The HTTP adapter against real loopback receivers: what it sends, and how each misbehaviour ends."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.support.builders import SECRET, a_delivery_message
from tests.support.receivers import Receiver
from webhooks.adapters.http_sender import SystemResolver, UrllibSender
from webhooks.delivery.address_policy import IPAddress
from webhooks.delivery.outbound import OutboundRequest, SendResult
from webhooks.delivery.record import RESPONSE_EXCERPT_BYTES, ErrorKind
from webhooks.delivery.signing import encode_body, signed_headers


class RebindingResolver:
    """Answers loopback (the 'public' answer here) once, then a private address: a DNS rebinding attack."""

    def __init__(self) -> None:
        self.calls = 0

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls += 1
        return [ipaddress.ip_address("127.0.0.1" if self.calls == 1 else "10.0.0.5")]


class PublicResolver:
    """Answers a public address; a refused request never connects to it."""

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.215.14")]


def _post(url: str, sender: UrllibSender | None = None, read_timeout: float = 2.0) -> SendResult:
    message = a_delivery_message()
    body = encode_body(message)
    request = OutboundRequest(
        url=url,
        headers=signed_headers(message, body, [SECRET], datetime.now(UTC)),
        body=body.encode(),
        connect_timeout_seconds=1.0,
        read_timeout_seconds=read_timeout,
        allow_http=True,
    )
    return (sender or UrllibSender(SystemResolver(), allow_loopback=True, pool_size=4)).post(request)


def test_a_2xx_is_a_success_and_the_receiver_verifies_the_signature(receiver: Receiver) -> None:
    result = _post(receiver.url("/ok"))
    assert result.succeeded
    assert (result.http_status, result.response_excerpt, result.response_truncated) == (
        200,
        '{"received": true}',
        False,
    )
    (request,) = receiver.requests
    assert StandardWebhook(SECRET).verify(request.body, request.headers)["event"] == "license.created"
    assert request.headers["user-agent"].startswith("LicensePlatform-Webhooks/")
    tampered = request.body.replace(b"lic_1", b"lic_2")
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(SECRET).verify(tampered, request.headers)


def test_a_redirect_is_a_failure_and_its_location_is_not_visited(receiver: Receiver) -> None:
    result = _post(receiver.url("/redirect"))
    assert (result.http_status, result.error_kind) == (302, ErrorKind.REDIRECT)
    assert "169.254.169.254" in (result.error_detail or "")
    assert receiver.paths() == ["/redirect"]


@pytest.mark.parametrize(("path", "status"), [("/client-error", 400), ("/gone", 410), ("/server-error", 503)])
def test_an_error_status_is_a_failure_with_the_answer_kept(receiver: Receiver, path: str, status: int) -> None:
    result = _post(receiver.url(path))
    assert (result.http_status, result.error_kind, result.succeeded) == (status, ErrorKind.HTTP_STATUS, False)
    assert result.response_excerpt


def test_retry_after_is_read_from_the_answer(receiver: Receiver) -> None:
    assert _post(receiver.url("/server-error")).retry_after_seconds == 120


def test_an_unreadable_retry_after_still_gives_the_answer_as_a_failure(receiver: Receiver) -> None:
    # Given a receiver whose Retry-After is a superscript digit (isdigit() is true, float() refuses it)
    # When the request is posted
    result = _post(receiver.url("/odd-retry-after"))
    # Then the 503 is the outcome (an exception would leave the claimed attempt pending, read as unknown)
    assert (result.http_status, result.error_kind, result.retry_after_seconds) == (503, ErrorKind.HTTP_STATUS, None)


def test_a_slow_answer_within_the_timeout_succeeds(receiver: Receiver) -> None:
    assert _post(receiver.url("/slow?ms=200")).succeeded


def test_no_answer_is_a_timeout(receiver: Receiver) -> None:
    result = _post(receiver.url("/never"), read_timeout=0.3)
    assert result.error_kind is ErrorKind.TIMEOUT


def test_a_connection_reset_is_a_connection_error(receiver: Receiver) -> None:
    assert _post(receiver.url("/reset")).error_kind is ErrorKind.CONNECTION


def test_a_refused_connection_is_a_connection_error() -> None:
    assert _post("http://127.0.0.1:9/").error_kind is ErrorKind.CONNECTION


@pytest.mark.parametrize(
    ("size", "truncated"), [(RESPONSE_EXCERPT_BYTES, False), (RESPONSE_EXCERPT_BYTES + 1, True)], ids=["at", "past"]
)
def test_an_answer_is_kept_whole_up_to_the_excerpt_size_and_cut_and_flagged_past_it(
    receiver: Receiver, size: int, truncated: bool
) -> None:
    result = _post(receiver.url(f"/sized?bytes={size}"))
    assert (result.http_status, result.response_excerpt, result.response_truncated) == (
        200,
        "x" * RESPONSE_EXCERPT_BYTES,
        truncated,
    )


def test_a_10_mb_answer_is_cut_at_the_excerpt_size_and_flagged(receiver: Receiver) -> None:
    result = _post(receiver.url("/huge"))
    assert result.http_status == 200
    assert result.response_excerpt == "x" * RESPONSE_EXCERPT_BYTES
    assert result.response_truncated


def test_a_trickling_answer_is_cut_off_at_the_attempt_deadline(receiver: Receiver) -> None:
    result = _post(receiver.url("/drip"), read_timeout=0.5)
    assert result.http_status == 200
    assert result.response_truncated
    assert len(result.response_excerpt or "") < 600


def test_header_lines_trickling_past_the_attempt_bound_are_a_timeout(receiver: Receiver) -> None:
    # Given a receiver that sends a header line every 0.1 s for 3 s (each read well within the read timeout)
    # When an attempt bounded to 1.5 s (1 s connect + 0.5 s read) is made
    result = _post(receiver.url("/drip-headers"), read_timeout=0.5)
    # Then it ends as a timeout, not as the 200 that completes after the bound
    assert (result.http_status, result.error_kind) == (None, ErrorKind.TIMEOUT)


def test_loopback_is_refused_unless_the_setting_allows_it(receiver: Receiver) -> None:
    refusing = UrllibSender(SystemResolver(), allow_loopback=False, pool_size=1)
    result = _post(receiver.url("/ok"), refusing)
    assert result.error_kind is ErrorKind.BLOCKED_ADDRESS
    assert receiver.requests == []


def test_https_is_required_unless_the_request_allows_http(receiver: Receiver) -> None:
    sender = UrllibSender(SystemResolver(), allow_loopback=False, pool_size=1)
    request = OutboundRequest(receiver.url("/ok"), {}, b"{}", 1.0, 1.0, allow_http=False)
    assert sender.post(request).error_kind is ErrorKind.INVALID_URL
    assert receiver.requests == []


def test_where_loopback_is_allowed_a_loopback_receiver_may_be_plain_http_in_any_environment(
    receiver: Receiver,
) -> None:
    # Given the local stack's sender (loopback allowed) and a request that does not allow http (production)
    sender = UrllibSender(SystemResolver(), allow_loopback=True, pool_size=1)
    request = OutboundRequest(receiver.url("/ok"), {}, b"{}", 1.0, 1.0, allow_http=False)
    # When it posts to the loopback receiver, Then the receiver gets it, as manage accepted its URL
    assert sender.post(request).succeeded
    assert receiver.paths() == ["/ok"]


def test_where_loopback_is_allowed_a_public_address_still_needs_https() -> None:
    sender = UrllibSender(PublicResolver(), allow_loopback=True, pool_size=1)
    request = OutboundRequest("http://hooks.example.com/in", {}, b"{}", 1.0, 1.0, allow_http=False)
    assert sender.post(request).error_kind is ErrorKind.INVALID_URL


def test_the_connection_goes_to_the_vetted_address_so_rebinding_cannot_redirect_it(receiver: Receiver) -> None:
    resolver = RebindingResolver()
    sender = UrllibSender(resolver, allow_loopback=True, pool_size=1)
    first = _post(f"http://hooks.rebind.test:{receiver.port}/ok", sender)
    assert first.succeeded  # the name itself does not resolve: only the vetted answer was used
    assert receiver.requests[0].headers["host"] == f"hooks.rebind.test:{receiver.port}"
    second = _post(f"http://hooks.rebind.test:{receiver.port}/ok", sender)
    assert second.error_kind is ErrorKind.BLOCKED_ADDRESS
    assert (resolver.calls, len(receiver.requests)) == (2, 1)


def test_an_unresolvable_name_is_a_dns_error() -> None:
    assert _post("http://does-not-exist.invalid/").error_kind is ErrorKind.DNS
