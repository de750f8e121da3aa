"""The cold-start benchmark's first invocations, one round each (`make bench` takes the median of five)."""

from __future__ import annotations

from bench.first_invocation import first_invocations


def test_each_first_invocation_does_its_real_work_and_is_timed_apart_from_the_import() -> None:
    # When emit and deliver are each imported and invoked once in a fresh process against the emulator
    with first_invocations(rounds=1) as measured:
        timings, posts = measured.timings, measured.posts
    # Then both are timed, import and first call apart, beside the limit's own import and first call
    assert set(timings) == {"functions.emit.app", "functions.deliver.app"}
    assert all(t.import_ms > 0 and t.first_call_ms > 0 for pair in timings.values() for t in pair)
    # And deliver's invocation really delivered: its message was POSTed to the receiver
    assert posts == 1
