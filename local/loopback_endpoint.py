"""A webhook endpoint on loopback: a threaded HTTP/1.1 server (keep-alive, as real endpoints) that hands
every POST to `answer` and replies with the status it returns and an empty body."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from local.state import LOOPBACK


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of deliver's concurrent connections overflowed it and
    # the kernel dropped connections (seen as `connection` failures after a 1 s connect timeout in the load
    # test). Real endpoints listen with a backlog of 128 or more.
    request_queue_size = 128


class LoopbackEndpoint:
    def __init__(self, port: int = 0, name: str = "receiver") -> None:
        self._server = _Server((LOOPBACK, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}{path}"

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """The status for one POST (`headers` with lower-case names)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_class(endpoint: LoopbackEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            self.send_response(endpoint.answer(self.path, headers, body))
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: callers count and report the requests themselves."""

    return Handler
