"""The local HTTP API: API Gateway's HttpApi with its JWT authorizer, in front of the manage handler.

Every request except `/portal/*` (static files) and `/_local/status` (the pollers' counters) needs a
valid bearer token; the request then becomes an HTTP API payload 2.0 event for route `ANY /{proxy+}`,
and the handler's result becomes the HTTP response, as API Gateway maps them.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local.jwt_keys import JwtAuthorizer, Unauthorized

logger = logging.getLogger(__name__)
Invoke = Callable[[dict[str, Any]], Any]
ROUTE_KEY = "ANY /{proxy+}"
STATUS_PATH = "/_local/status"
PORTAL_PREFIX = "/portal/"
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
    claims: dict[str, Any],
    *,
    source_ip: str = "127.0.0.1",
    request_id: str = "",
    now: float | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event API Gateway sends after its JWT authorizer accepted the token."""
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
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": ROUTE_KEY,
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": merged,
        "pathParameters": {"proxy": url.path.lstrip("/")},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "authorizer": {
                "jwt": {
                    "claims": {name: _claim_value(value) for name, value in claims.items()},
                    "scopes": str(claims["scope"]).split() if claims.get("scope") else None,
                }
            },
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
            "routeKey": ROUTE_KEY,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(moment)),
            "timeEpoch": int(moment * 1000),
        },
        "body": (body.decode() if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": not is_text,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    return event


def http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
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


def _json(status: int, document: Any, *extra: tuple[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("content-type", "application/json"), *extra], json.dumps(document).encode()


class LocalApiGateway:
    """Binds its port on construction (so a busy port fails before anything else starts)."""

    def __init__(
        self,
        port: int,
        *,
        authorizer: JwtAuthorizer,
        invoke: Invoke,
        status: Callable[[], dict[str, Any]],
        portal_dir: Path | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self._authorizer = authorizer
        self._invoke = invoke
        self._status = status
        self._portal_dir = portal_dir
        self._server = ThreadingHTTPServer((host, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def respond(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(target).path
        if path == STATUS_PATH and method == "GET":
            return _json(200, self._status())
        if path == PORTAL_PREFIX.rstrip("/") or path.startswith(PORTAL_PREFIX):
            return self._portal_file(path)
        if path == "/":
            return _json(404, {"message": "Not Found"})  # `ANY /{proxy+}` does not match the root
        authorization = next((value for name, value in headers if name.lower() == "authorization"), None)
        try:
            claims = self._authorizer.claims(authorization)
        except Unauthorized as error:
            challenge = f'Bearer error="invalid_token" error_description="{error}"'.replace("\n", " ")
            return _json(401, {"message": "Unauthorized"}, ("www-authenticate", challenge))
        request_id = str(uuid.uuid4())
        event = http_api_event(method, target, headers, body, claims, source_ip=source_ip, request_id=request_id)
        try:
            status, response_headers, payload = http_response(self._invoke(event))
        except Exception:  # an unhandled function error is API Gateway's 500
            logger.exception("manage handler failed on %s %s", method, path)
            return _json(500, {"message": "Internal Server Error"}, ("apigw-requestid", request_id))
        return status, [*response_headers, ("apigw-requestid", request_id)], payload

    def _portal_file(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if self._portal_dir is None or not self._portal_dir.is_dir():
            return _json(404, {"message": "Not Found"})
        if path == PORTAL_PREFIX.rstrip("/"):
            return 308, [("location", PORTAL_PREFIX)], b""
        relative = path.removeprefix(PORTAL_PREFIX) or "index.html"
        root = self._portal_dir.resolve()
        file = (root / relative).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            return _json(404, {"message": "Not Found"})
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return 200, [("content-type", content_type)], file.read_bytes()


def _handler_class(gateway: LocalApiGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "local-api-gateway"

        def _serve(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = gateway.respond(
                self.command, self.path, list(self.headers.items()), body, self.client_address[0]
            )
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in {"content-length", "connection"}:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            elapsed = (time.perf_counter() - started) * 1000
            logger.info("%s %s -> %d (%.0f ms)", self.command, urlsplit(self.path).path, status, elapsed)

        def log_message(self, format: str, *args: Any) -> None:
            """Access lines go through `logging` (see _serve) instead of raw stderr."""

        # http.server dispatches on do_<METHOD>; API Gateway's `ANY` route takes them all.
        def do_GET(self) -> None:
            self._serve()

        def do_HEAD(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def do_OPTIONS(self) -> None:
            self._serve()

    return Handler
