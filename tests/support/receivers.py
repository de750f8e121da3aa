"""Real HTTP receivers on 127.0.0.1 (threaded http.server), answering the way real endpoints misbehave.

The path picks the behaviour: /ok, /redirect (Location: the cloud metadata address), /client-error,
/gone, /server-error (503 + Retry-After), /odd-retry-after (503 + a Retry-After of
superscript digits, byte 0xB2), /slow?ms=N, /never (no answer), /reset (TCP reset),
/sized?bytes=N (a body of N bytes), /huge (a 10 MB body), /drip (a body trickling one byte at a time),
/drip-headers (header lines trickling), /recovering (500 until `Receiver.recovered` is set, then 200).
Every request is recorded.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

HUGE_BODY_BYTES = 10 * 1024 * 1024
METADATA_URL = "http://169.254.169.254/latest/meta-data/"


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    requests: list[ReceivedRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    recovered: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    receiver: Receiver

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded requests instead."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        url = urlsplit(self.path)
        self.receiver.requests.append(ReceivedRequest(url.path, {k.lower(): v for k, v in self.headers.items()}, body))
        behaviour = getattr(self, f"_answer_{url.path.strip('/').replace('-', '_')}", self._answer_ok)
        behaviour(parse_qs(url.query))

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer_ok(self, query: dict[str, list[str]]) -> None:
        self._reply(200, b'{"received": true}')

    def _answer_redirect(self, query: dict[str, list[str]]) -> None:
        self._reply(302, headers={"location": METADATA_URL})

    def _answer_client_error(self, query: dict[str, list[str]]) -> None:
        self._reply(400, b'{"error": "bad signature"}')

    def _answer_gone(self, query: dict[str, list[str]]) -> None:
        self._reply(410, b"gone")

    def _answer_server_error(self, query: dict[str, list[str]]) -> None:
        self._reply(503, b"busy", {"retry-after": "120"})

    def _answer_recovering(self, query: dict[str, list[str]]) -> None:
        self._reply(200, b"back") if self.receiver.recovered.is_set() else self._reply(500, b"down")

    def _answer_odd_retry_after(self, query: dict[str, list[str]]) -> None:
        self._reply(503, b"busy", {"retry-after": "\u00b2"})  # sent as latin-1: one byte, 0xB2

    def _answer_slow(self, query: dict[str, list[str]]) -> None:
        time.sleep(int(query.get("ms", ["300"])[0]) / 1000)
        self._reply(200, b"slow ok")

    def _answer_never(self, query: dict[str, list[str]]) -> None:
        self.receiver.released.wait(30)
        self.close_connection = True

    def _answer_reset(self, query: dict[str, list[str]]) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _answer_sized(self, query: dict[str, list[str]]) -> None:
        self._reply(200, b"x" * int(query["bytes"][0]))

    def _answer_huge(self, query: dict[str, list[str]]) -> None:
        self._stream(200, b"x" * 65536, HUGE_BODY_BYTES // 65536, pause=0)

    def _answer_drip(self, query: dict[str, list[str]]) -> None:
        self._stream(200, b"d", 600, pause=0.05)

    def _answer_drip_headers(self, query: dict[str, list[str]]) -> None:
        """A status line, then one header line every 0.1 s for 3 s: each read is quick, their sum is not."""
        self.send_response(200)
        self.flush_headers()
        try:
            for index in range(30):
                if self.receiver.released.is_set():
                    break
                self.wfile.write(f"x-trickle-{index}: 1\r\n".encode())
                self.wfile.flush()
                time.sleep(0.1)
            self.wfile.write(b"content-length: 0\r\n\r\n")
        except OSError:  # the client gave up, as it should
            pass
        self.close_connection = True

    def _stream(self, status: int, chunk: bytes, count: int, pause: float) -> None:
        self.send_response(status)
        self.send_header("content-length", str(len(chunk) * count))
        self.end_headers()
        try:
            for _ in range(count):
                if self.receiver.released.is_set():
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:  # the client stopped reading, as it should
            pass
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Resets and abandoned connections are what these receivers are for."""


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver(port=0)
    handler = type("BoundHandler", (_Handler,), {"receiver": receiver})
    server = _Server(("127.0.0.1", 0), handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback receiver for this test; every behaviour is a path on it."""
    with running_receiver() as running:
        yield running
