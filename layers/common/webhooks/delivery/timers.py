"""Timers for the POSTs in flight: one thread per container, not one per POST."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TimersOnOneThread:
    """`StartTimer` for a container: every timer on one daemon thread that looks at them four times a
    second (a POST costs a dict entry, not a thread; an action runs at most a quarter second late)."""

    def __init__(self, tick_seconds: float = 0.25) -> None:
        self._tick = tick_seconds
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[float, Callable[[], None]]] = {}
        self._next_id = 0
        self._thread: threading.Thread | None = None

    def __call__(self, seconds: float, action: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            timer_id, self._next_id = self._next_id, self._next_id + 1
            self._pending[timer_id] = (time.monotonic() + seconds, action)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="slow-post-watch", daemon=True)
                self._thread.start()

        def cancel() -> None:
            with self._lock:
                self._pending.pop(timer_id, None)

        return cancel

    def _run(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            with self._lock:
                due = [timer_id for timer_id, (at, _) in self._pending.items() if at <= now]
                actions = [self._pending.pop(timer_id)[1] for timer_id in due]
            for action in actions:
                action()
