"""Requests become HTTP API payload 2.0 events, and results become responses, as API Gateway maps them."""

from __future__ import annotations

import base64
import json

from local.payload_v2 import http_api_event, http_response

CLAIMS = {"sub": "admin@acme", "account_id": "acme", "scope": "webhooks:read webhooks:write", "exp": 1795950000}


def test_a_request_becomes_a_payload_2_event_with_the_tokens_claims():
    event = http_api_event(
        "POST",
        "/webhooks?limit=5&tag=a&tag=b",
        [("Content-Type", "application/json"), ("X-Trace", "1"), ("x-trace", "2"), ("Cookie", "a=1; b=2")],
        b'{"name": "n"}',
        CLAIMS,
        request_id="request-1",
        now=1795946400.5,
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /{proxy+}"
    assert event["rawPath"] == "/webhooks"
    assert event["rawQueryString"] == "limit=5&tag=a&tag=b"
    assert event["queryStringParameters"] == {"limit": "5", "tag": "a,b"}
    assert event["pathParameters"] == {"proxy": "webhooks"}
    assert event["headers"] == {"content-type": "application/json", "x-trace": "1,2"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["body"] == '{"name": "n"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"]["method"] == "POST"
    assert context["requestId"] == "request-1"
    assert context["timeEpoch"] == 1795946400500
    assert context["authorizer"]["jwt"]["claims"] == {
        "sub": "admin@acme",
        "account_id": "acme",
        "scope": "webhooks:read webhooks:write",
        "exp": "1795950000",
    }
    assert context["authorizer"]["jwt"]["scopes"] == ["webhooks:read", "webhooks:write"]


def test_a_request_without_body_or_query_has_neither():
    event = http_api_event("GET", "/events", [], b"", {"aud": ["a", "b"]})

    assert event["body"] is None
    assert "queryStringParameters" not in event
    assert "cookies" not in event
    assert event["requestContext"]["authorizer"]["jwt"] == {"claims": {"aud": "[a b]"}, "scopes": None}


def test_a_binary_body_is_base64_encoded():
    event = http_api_event("PUT", "/blob", [("content-type", "application/octet-stream")], b"\x00\xff", {})

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"


def test_a_result_maps_status_headers_cookies_and_body():
    status, headers, body = http_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "Location": "/webhooks/w1"},
            "multiValueHeaders": {"Vary": ["Accept", "Origin"]},
            "cookies": ["session=1; HttpOnly"],
            "body": '{"id": "w1"}',
        }
    )

    assert status == 201
    assert headers == [
        ("Content-Type", "application/json"),
        ("Location", "/webhooks/w1"),
        ("Vary", "Accept"),
        ("Vary", "Origin"),
        ("set-cookie", "session=1; HttpOnly"),
    ]
    assert body == b'{"id": "w1"}'


def test_a_base64_result_body_is_decoded():
    encoded = base64.b64encode(b"\x89PNG").decode()

    assert http_response({"statusCode": 200, "body": encoded, "isBase64Encoded": True})[2] == b"\x89PNG"


def test_a_result_without_status_code_is_a_200_json_body():
    status, headers, body = http_response({"items": []})

    assert (status, headers, json.loads(body)) == (200, [("content-type", "application/json")], {"items": []})


def test_a_text_typed_body_that_is_not_utf8_is_base64_encoded_as_api_gateway_does():
    event = http_api_event("POST", "/webhooks", [("content-type", "application/json")], b"\xba{", {})

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xba{"
