"""The POST watch's timers: each action runs once its time has come, on the one thread; a cancelled one never."""

from __future__ import annotations

import threading

from webhooks.delivery.timers import TimersOnOneThread


def test_a_timer_runs_its_action_once_after_its_time_and_a_cancelled_one_never() -> None:
    # Given timers looked at every 50 ms, one of 0.1 s and one cancelled at once
    timers = TimersOnOneThread(tick_seconds=0.05)
    ran, cancelled_ran = threading.Event(), threading.Event()
    runs: list[str] = []

    def due() -> None:
        runs.append("due")
        ran.set()

    timers(0.1, due)
    cancel = timers(0.1, cancelled_ran.set)
    cancel()
    # When its time has passed, Then the first ran once and the cancelled one did not
    assert ran.wait(timeout=5)
    assert not cancelled_ran.wait(timeout=0.3)
    assert runs == ["due"]
