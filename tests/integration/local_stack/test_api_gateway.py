"""The local HTTP API on loopback: JWT checks like API Gateway's, the handler's result as the response."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.api_gateway import LocalApiGateway
from local.jwt_keys import JwtAuthorizer, SigningKey, issue_token, load_or_create_key, token_claims
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
        0, authorizer=JwtAuthorizer(key), invoke=manage, status=lambda: {"pollers": []}, portal_dir=portal
    )
    api.start()
    yield api
    api.stop()


def call(
    api: LocalApiGateway, method: str, path: str, token: str | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = api.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    connection.request(method, path, body=body, headers=headers)
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
    api = LocalApiGateway(0, authorizer=JwtAuthorizer(key), invoke=manage, status=dict, portal_dir=tmp_path / "none")
    api.start()
    try:
        assert call(api, "GET", "/portal/")[0] == 404
    finally:
        api.stop()
