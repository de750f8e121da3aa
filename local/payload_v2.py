"""Requests as HTTP API payload 2.0 events and handler results as responses, as API Gateway maps them."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Reply = tuple[int, list[tuple[str, str]], bytes]
ROUTE_KEY = "ANY /{proxy+}"
_TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/xml", "application/x-www-form")


def _claim_value(value: Any) -> str:
    """API Gateway hands claims to the function as strings; lists as `[a b]`."""
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    return value if isinstance(value, str) else json.dumps(value)


def _is_utf8(body: bytes) -> bool:
    """A body that is not UTF-8 reaches the function base64-encoded, as API Gateway passes binary bodies."""
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def http_api_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    claims: dict[str, Any] | None,
    *,
    route_key: str = ROUTE_KEY,
    path_parameters: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    request_id: str = "",
    now: float | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event API Gateway sends after its JWT authorizer accepted the token; a route
    without an authorizer (`claims` None) sends no authorizer context."""
    moment = time.time() if now is None else now
    url = urlsplit(target)
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    cookies = [part.strip() for part in merged.pop("cookie", "").split(";") if part.strip()]
    query: dict[str, str] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    content_type = merged.get("content-type", "")
    is_text = not body or (content_type.startswith(_TEXT_TYPES) and _is_utf8(body))
    parameters = {"proxy": url.path.lstrip("/")} if path_parameters is None else path_parameters
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": merged,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": merged.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(moment)),
            "timeEpoch": int(moment * 1000),
        },
        "body": (body.decode() if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": not is_text,
    }
    if parameters:
        event["pathParameters"] = parameters
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {
                "claims": {name: _claim_value(value) for name, value in claims.items()},
                "scopes": str(claims["scope"]).split() if claims.get("scope") else None,
            }
        }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    return event


def http_response(result: Any) -> Reply:
    """A payload 2.0 result as (status, headers, body); a result without statusCode is a 200 JSON body."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, [("content-type", "application/json")], json.dumps(result).encode()
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(value)) for value in values]
    headers += [("set-cookie", cookie) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return int(result["statusCode"]), headers, payload
