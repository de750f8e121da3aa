"""Endpoints of unhealthy neighbours on loopback: one that is dead (accepts and never answers) and one that is
slow (answers 200 after some seconds). Each counts what reached it."""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Self, override

from local.loopback_endpoint import LoopbackEndpoint
from local.state import LOOPBACK

SLOW_ANSWER_SECONDS = 8.0
_ACCEPT_BACKLOG = 512
_ACCEPT_POLL_SECONDS = 0.2


class DeadEndpoint:
    """Accepts every connection and then neither reads nor writes until closed, as a hung server does: each
    POST costs its sender the whole read timeout. Closing drops every connection it holds."""

    def __init__(self) -> None:
        self._listener = socket.create_server((LOOPBACK, 0), backlog=_ACCEPT_BACKLOG)
        self._listener.settimeout(_ACCEPT_POLL_SECONDS)
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="dead-endpoint", daemon=True)

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self._listener.getsockname()[1]}{path}"

    @property
    def arrivals(self) -> int:
        """How many connections it has accepted so far (each one POST: a client gives up on it after its timeout)."""
        with self._lock:
            return len(self._held)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            with self._lock:
                self._held.append(connection)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._closing.set()
        self._thread.join()
        self._listener.close()
        with self._lock:
            for connection in self._held:
                connection.close()


class SlowEndpoint(LoopbackEndpoint):
    """Answers every POST with 200 after `answer_after_seconds` (at once when closing)."""

    def __init__(self, answer_after_seconds: float = SLOW_ANSWER_SECONDS) -> None:
        super().__init__(name="slow-endpoint")
        self.answer_after_seconds = answer_after_seconds
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._requests = 0

    @property
    def arrivals(self) -> int:
        """How many POSTs have reached it so far."""
        with self._lock:
            return self._requests

    @override
    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self._requests += 1
        self._closing.wait(self.answer_after_seconds)
        return 200

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._closing.set()
        super().__exit__(kind, error, traceback)
