"""The local HTTP API on loopback: JWT checks like API Gateway's, the handler's result as the response."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.api_gateway import MAX_PAYLOAD_BYTES, LocalApiGateway
from local.http_api_routes import http_api_routes
from local.jwt_keys import JwtAuthorizer, SigningKey, issue_token, load_or_create_key, token_claims
from local.sam_template import translated_template
from webhooks.domain.principal import Role


class FakeManage:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = False

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        if self.fail:
            raise RuntimeError("boom")
        return {"statusCode": 201, "headers": {"content-type": "application/json"}, "body": '{"id": "w1"}'}


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return load_or_create_key(tmp_path_factory.mktemp("state"))


@pytest.fixture
def manage() -> FakeManage:
    return FakeManage()


@pytest.fixture
def gateway(key: SigningKey, manage: FakeManage, tmp_path: Path) -> Iterator[LocalApiGateway]:
    portal = tmp_path / "portal"
    portal.mkdir()
    (portal / "index.html").write_text("<h1>portal</h1>")
    (tmp_path / "secret.txt").write_text("not for the web")
    api = LocalApiGateway(
        0,
        routes=http_api_routes(translated_template()),
        authorizer=JwtAuthorizer(key),
        invoke=manage,
        status=lambda: {"pollers": []},
        portal_dir=portal,
    )
    api.start()
    yield api
    api.stop()


def address(api: LocalApiGateway) -> tuple[str, int]:
    host, port = api.url.removeprefix("http://").split(":")
    return host, int(port)


def call(
    api: LocalApiGateway,
    method: str,
    path: str,
    token: str | None = None,
    body: bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*address(api), timeout=10)
    sent = {"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    connection.request(method, path, body=body, headers=sent | (headers or {}))
    response = connection.getresponse()
    result = response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    connection.close()
    return result


def test_a_request_without_a_token_is_401_like_api_gateway_and_never_reaches_the_handler(gateway, manage):
    status, headers, body = call(gateway, "GET", "/webhooks")

    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    assert headers["www-authenticate"].startswith("Bearer")
    assert manage.events == []


def test_an_expired_token_is_401(gateway, key, manage):
    token = key.sign(token_claims("acme", Role.ADMIN, now=0))

    assert call(gateway, "GET", "/webhooks", token)[0] == 401
    assert manage.events == []


def test_a_valid_token_reaches_the_handler_with_its_claims_and_the_result_is_the_response(gateway, key, manage):
    token = issue_token(key, "acme", Role.ADMIN)

    status, headers, body = call(gateway, "POST", "/webhooks?dry=1", token, b'{"name": "n"}')

    assert (status, headers["content-type"], body) == (201, "application/json", b'{"id": "w1"}')
    assert "apigw-requestid" in headers
    (event,) = manage.events
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["account_id"] == "acme"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"] == "/webhooks"
    assert event["queryStringParameters"] == {"dry": "1"}
    assert event["body"] == '{"name": "n"}'
    assert event["headers"]["authorization"] == f"Bearer {token}"


def test_a_handler_crash_is_api_gateways_500(gateway, key, manage):
    manage.fail = True

    status, _, body = call(gateway, "GET", "/events", issue_token(key, "acme", Role.READER))

    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


def test_the_status_endpoint_needs_no_token(gateway):
    status, _, body = call(gateway, "GET", "/_local/status")

    assert (status, json.loads(body)) == (200, {"pollers": []})


def test_the_root_is_not_a_route(gateway, key):
    assert call(gateway, "GET", "/", issue_token(key, "acme", Role.ADMIN))[0] == 404


def test_the_portal_is_served_without_a_token_and_only_from_its_folder(gateway):
    status, headers, body = call(gateway, "GET", "/portal/")
    assert (status, headers["content-type"], body) == (200, "text/html", b"<h1>portal</h1>")
    assert call(gateway, "GET", "/portal/index.html")[0] == 200
    assert call(gateway, "GET", "/portal")[1]["location"] == "/portal/"
    assert call(gateway, "GET", "/portal/../secret.txt")[0] == 404
    assert call(gateway, "GET", "/portal/%2e%2e/secret.txt")[0] == 404
    assert call(gateway, "GET", "/portal/missing.js")[0] == 404


def test_without_a_portal_folder_the_portal_is_not_found(key, manage, tmp_path):
    api = LocalApiGateway(
        0,
        routes=http_api_routes(translated_template()),
        authorizer=JwtAuthorizer(key),
        invoke=manage,
        status=dict,
        portal_dir=tmp_path / "none",
    )
    api.start()
    try:
        assert call(api, "GET", "/portal/")[0] == 404
    finally:
        api.stop()


def exchange(api: LocalApiGateway, request: bytes) -> bytes:
    """Send raw request bytes and read until the gateway closes the connection (a socket timeout fails the test)."""
    with socket.create_connection(address(api), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_a_huge_declared_body_without_a_token_is_401_without_waiting_for_the_body(gateway, manage):
    # Given a request that declares 10 GB and sends none of it (found by review: the gateway read the
    # body before the token, so such a request held a thread)
    request = b"POST /webhooks HTTP/1.1\r\nhost: local\r\ncontent-length: 10000000000\r\n\r\n"
    # When it reaches the gateway without a token
    response = exchange(gateway, request)
    # Then the answer is API Gateway's 401 and the connection is closed, the body never read
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401")
    assert b"connection: close" in head.lower()
    assert json.loads(body) == {"message": "Unauthorized"}
    assert manage.events == []


def test_a_body_over_api_gateways_10_mb_is_413_before_the_handler(gateway, key, manage):
    token = issue_token(key, "acme", Role.ADMIN).encode()
    request = (
        b"POST /webhooks HTTP/1.1\r\nhost: local\r\nauthorization: Bearer " + token + b"\r\n"
        b"content-length: " + str(MAX_PAYLOAD_BYTES + 1).encode() + b"\r\n\r\n"
    )

    head, _, body = exchange(gateway, request).partition(b"\r\n\r\n")

    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body) == {"message": "Request Entity Too Large"}
    assert manage.events == []


def test_a_body_of_exactly_10_mb_reaches_the_handler(gateway, key, manage):
    body = b"x" * MAX_PAYLOAD_BYTES

    assert call(gateway, "POST", "/webhooks", issue_token(key, "acme", Role.ADMIN), body)[0] == 201
    assert len(manage.events[0]["body"]) == MAX_PAYLOAD_BYTES


@pytest.mark.parametrize("length", ["ten", "-1", "1e3"])
def test_a_content_length_that_is_not_a_length_is_400(gateway, key, manage, length):
    token = issue_token(key, "acme", Role.ADMIN)

    status, _, body = call(gateway, "POST", "/webhooks", token, headers={"content-length": length})

    assert (status, json.loads(body)) == (400, {"message": "Bad Request"})
    assert manage.events == []


@pytest.mark.parametrize(("path", "route_key"), [("/openapi.json", "GET /openapi.json"), ("/docs", "GET /docs")])
def test_the_api_documentation_needs_no_token_as_the_template_routes_it(gateway, manage, path, route_key):
    # Given the template's GET /openapi.json and GET /docs routes, which have no authorizer
    # When a browser asks for them without a token (a trailing slash too, as API Gateway ignores it)
    plain = call(gateway, "GET", path)
    slashed = call(gateway, "GET", f"{path}/")
    # Then both reach the handler on that route, with no authorizer context
    assert (plain[0], slashed[0]) == (201, 201)
    assert [event["routeKey"] for event in manage.events] == [route_key, route_key]
    assert [event["rawPath"] for event in manage.events] == [path, f"{path}/"]
    assert all("authorizer" not in event["requestContext"] for event in manage.events)


def test_a_preflight_needs_no_token_as_the_templates_options_route(gateway, manage):
    status, _, _ = call(gateway, "OPTIONS", "/webhooks/w1")

    assert status == 201
    assert manage.events[0]["routeKey"] == "OPTIONS /{proxy+}"
    assert "authorizer" not in manage.events[0]["requestContext"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/webhooks"),
        ("GET", "/events"),
        ("POST", "/openapi.json"),
        ("HEAD", "/docs"),
        ("GET", "/docs/oauth2-redirect.html"),
        ("GET", "/openapi.json.bak"),
        ("DELETE", "/webhooks/w1"),
    ],
)
def test_every_other_route_still_needs_a_token(gateway, manage, method, path):
    assert call(gateway, method, path)[0] == 401
    assert manage.events == []
