"""The local HTTP API: API Gateway's HttpApi with its JWT authorizer, in front of the manage handler.

A request takes the template's route API Gateway would pick (local/http_api_routes.py); unless that
route has no authorizer, it needs a valid bearer token, checked before its body is read. The body is
bounded as API Gateway bounds it, the request becomes an HTTP API payload 2.0 event and the handler's
result the HTTP response (local/payload_v2.py). `/portal/*` (static files) and
`/_local/status` (the stack's status) are the local stack's own and need no token.
"""

from __future__ import annotations

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
from urllib.parse import urlsplit

from local.http_api_routes import Route, select_route
from local.jwt_keys import JwtAuthorizer, Unauthorized
from local.payload_v2 import Reply, http_api_event, http_response

logger = logging.getLogger(__name__)
Invoke = Callable[[dict[str, Any]], Any]
# API Gateway HttpApi's payload quota: a larger request is refused with a 413.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
STATUS_PATH = "/_local/status"
PORTAL_PREFIX = "/portal/"


def _json(status: int, document: Any, *extra: tuple[str, str]) -> Reply:
    return status, [("content-type", "application/json"), *extra], json.dumps(document).encode()


class PayloadRefused(Exception):
    """A request body API Gateway would not take: answered with `status` and `{"message": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def payload_length(content_length: str | None) -> int:
    """The body's declared length; PayloadRefused for one that is not a length or over API Gateway's quota."""
    declared = (content_length or "0").strip()
    if not declared.isascii() or not declared.isdigit():
        raise PayloadRefused(400, "Bad Request")
    if int(declared) > MAX_PAYLOAD_BYTES:
        raise PayloadRefused(413, "Request Entity Too Large")
    return int(declared)


class LocalApiGateway:
    """Binds its port on construction (so a busy port fails before anything else starts)."""

    def __init__(
        self,
        port: int,
        *,
        routes: list[Route],
        authorizer: JwtAuthorizer,
        invoke: Invoke,
        status: Callable[[], dict[str, Any]],
        portal_dir: Path | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self._routes = routes
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
        self, method: str, target: str, headers: list[tuple[str, str]], read_body: Callable[[], bytes], source_ip: str
    ) -> Reply:
        """The response to a request; its body is read (`read_body`) only once its route admits the caller."""
        path = urlsplit(target).path
        if path == STATUS_PATH and method == "GET":
            return _json(200, self._status())
        if path == PORTAL_PREFIX.rstrip("/") or path.startswith(PORTAL_PREFIX):
            return self._portal_file(path)
        selected = select_route(self._routes, method, path)
        if selected is None:
            return _json(404, {"message": "Not Found"})
        route, parameters = selected
        claims = None
        if route.authorized:
            authorization = next((value for name, value in headers if name.lower() == "authorization"), None)
            try:
                claims = self._authorizer.claims(authorization)
            except Unauthorized as error:
                challenge = f'Bearer error="invalid_token" error_description="{error}"'.replace("\n", " ")
                return _json(401, {"message": "Unauthorized"}, ("www-authenticate", challenge))
        try:
            body = read_body()
        except PayloadRefused as refused:
            return _json(refused.status, {"message": refused.message})
        request_id = str(uuid.uuid4())
        event = http_api_event(
            method,
            target,
            headers,
            body,
            claims,
            route_key=route.key,
            path_parameters=parameters,
            source_ip=source_ip,
            request_id=request_id,
        )
        try:
            status, response_headers, payload = http_response(self._invoke(event))
        except Exception:  # an unhandled function error is API Gateway's 500
            logger.exception("manage handler failed on %s %s", method, path)
            return _json(500, {"message": "Internal Server Error"}, ("apigw-requestid", request_id))
        return status, [*response_headers, ("apigw-requestid", request_id)], payload

    def _portal_file(self, path: str) -> Reply:
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
            # A body left unread (refused before it was read, or chunked, which the local API does not read)
            # would be parsed as the next request: the answer then closes the connection.
            unread = (self.headers.get("content-length") or "0").strip() != "0" or "transfer-encoding" in self.headers

            def read_body() -> bytes:
                nonlocal unread
                length = payload_length(self.headers.get("content-length"))
                body = self.rfile.read(length) if length else b""
                unread = "transfer-encoding" in self.headers
                return body

            status, headers, payload = gateway.respond(
                self.command, self.path, list(self.headers.items()), read_body, self.client_address[0]
            )
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in {"content-length", "connection"}:
                    self.send_header(name, value)
            if unread:
                self.send_header("connection", "close")
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
