"""The isolation benchmark's arithmetic and report: p95 with events that never arrived, the ratios, flatness in
the backlog, `ratio=` last, and the section `make bench` writes to BENCHMARKS.md."""

from __future__ import annotations

import operator

from bench.bench_isolation import Comparison, flatness, summary_lines
from bench.isolation import Neighbour, PhaseResult, percentile, summarise
from bench.report import Benchmark, Run, isolation_section
from local.receiver import ReceivedDelivery

WRITTEN_AT = 1_000.0


def a_receipt(
    license_id: str, after_seconds: float, *, delivery_id: str = "", verified: bool = True
) -> ReceivedDelivery:
    return ReceivedDelivery(
        event="license.created",
        webhook_id=delivery_id or f"msg_{license_id}",
        verified_by=(0,) if verified else (),
        payload={"event": "license.created", "payload": {"id": license_id}},
        received_at=WRITTEN_AT + after_seconds,
    )


def a_phase(label: str, p95_ms: float, **fields: object) -> PhaseResult:
    settings: dict[str, object] = {
        "expected": 40,
        "received": 40,
        "duplicated": 0,
        "unverified": 0,
        "logged_succeeded": 40,
        "timeout_seconds": 120.0,
    }
    return PhaseResult(label=label, p95_ms=p95_ms, **(settings | fields))  # type: ignore[arg-type]


def test_the_p95_is_the_nearest_rank_value():
    assert percentile([float(value) for value in range(1, 41)]) == 38.0
    assert percentile([7.0]) == 7.0
    assert percentile([]) == 0.0


def test_an_event_never_received_counts_until_the_phase_gave_up_and_is_reported():
    # Given 10 events written at once, 9 received after 2 s and one never
    written = {f"lic-{index}": WRITTEN_AT for index in range(10)}
    receipts = [a_receipt(f"lic-{index}", 2.0) for index in range(9)]

    # When the phase gives up 60 s after the writes
    result = summarise(
        "alone", written, receipts, gave_up_at=WRITTEN_AT + 60.0, logged_succeeded=9, timeout_seconds=60.0
    )

    # Then the missing event (the 10th of 10, the p95's rank) holds it at the 60 s it had reached, and it says so
    assert (result.received, result.not_received, result.p95_ms) == (9, 1, 60_000.0)
    assert not result.delivered_once_each
    assert "1 not received within 60 s: p95 is a lower bound" in result.describe()


def test_a_duplicate_and_an_unverified_post_are_counted_and_the_first_receipt_is_the_latency():
    # Given two events, the first received twice (after 1 s and after 5 s), the second unverified
    written = {"lic-a": WRITTEN_AT, "lic-b": WRITTEN_AT}
    receipts = [
        a_receipt("lic-a", 5.0, delivery_id="msg_a"),
        a_receipt("lic-a", 1.0, delivery_id="msg_a"),
        a_receipt("lic-b", 1.0, verified=False),
    ]

    # When the phase is summarised
    result = summarise("alone", written, receipts, gave_up_at=WRITTEN_AT + 9, logged_succeeded=2, timeout_seconds=9)

    # Then both were received, with one duplicate and one unverified POST, and the p95 is 1 s
    assert (result.received, result.duplicated, result.unverified, result.p95_ms) == (2, 1, 1, 1000.0)
    assert not result.delivered_once_each


def test_every_event_once_verified_and_logged_is_delivered_once_each():
    written = {"lic-a": WRITTEN_AT}

    result = summarise(
        "alone", written, [a_receipt("lic-a", 1.0)], gave_up_at=WRITTEN_AT + 1, logged_succeeded=1, timeout_seconds=9
    )

    assert result.delivered_once_each


def test_each_ratio_is_against_the_alone_figure_of_its_own_stack():
    # Given the workload alone at 2 s on one stack and at 4 s on another, and beside a neighbour at 3 s on each
    calm = Comparison(Neighbour("dead", 50), a_phase("alone", 2000.0), a_phase("dead neighbour, backlog 50", 3000.0))
    busy = Comparison(Neighbour("slow", 50), a_phase("alone", 4000.0), a_phase("slow neighbour, backlog 50", 3000.0))

    # Then each is measured against its own
    assert (calm.ratio, busy.ratio) == (1.5, 0.75)


def test_flatness_compares_each_kinds_ratio_at_its_largest_backlog_with_its_smallest():
    # Given dead neighbours at backlogs 500 and 50 (ratios 3.0 and 2.0) and a slow one at 50 only
    alone = a_phase("alone", 2000.0)
    comparisons = [
        Comparison(Neighbour("dead", 500), alone, a_phase("dead neighbour, backlog 500", 6000.0)),
        Comparison(Neighbour("dead", 50), alone, a_phase("dead neighbour, backlog 50", 4000.0)),
        Comparison(Neighbour("slow", 50), alone, a_phase("slow neighbour, backlog 50", 2000.0)),
    ]

    # When flatness is computed, Then only the dead neighbour has two backlogs: 3.0 / 2.0
    (found,) = flatness(comparisons)
    assert (found.kind, found.larger, found.smaller, found.value) == ("dead", 500, 50, 1.5)
    assert found.render() == "dead neighbour: backlog 500 / backlog 50 = 1.50 (target <= 1.2)"


def test_the_report_prints_each_ratio_and_the_worst_as_ratio_last():
    alone = a_phase("alone", 2000.0)
    dead = Comparison(Neighbour("dead", 50), alone, a_phase("dead neighbour, backlog 50", 5000.0))
    slow = Comparison(Neighbour("slow", 50), alone, a_phase("slow neighbour, backlog 50", 3000.0))

    lines = [dead.render(), slow.render(), *summary_lines([dead, slow])]

    assert lines[0].startswith("dead neighbour, backlog 50: p95 5000 ms vs alone 2000 ms ratio=2.50; B received 40/40")
    assert lines[1].startswith("slow neighbour, backlog 50: p95 3000 ms vs alone 2000 ms ratio=1.50; ")
    assert lines[-1] == "ratio=2.50"


def test_an_alone_figure_with_events_missing_is_reported_beside_its_ratio():
    alone = a_phase("alone", 2000.0, received=39)
    comparison = Comparison(Neighbour("dead", 50), alone, a_phase("dead neighbour, backlog 50", 3000.0))

    assert comparison.render().endswith(
        "; alone: B received 39/40, logged 40 succeeded (1 not received within 120 s: p95 is a lower bound)"
    )


def test_benchmarks_md_shows_each_phase_against_the_target_and_the_flatness():
    # Given the benchmark's output
    alone = a_phase("alone", 2000.0)
    comparisons = [
        Comparison(
            Neighbour("dead", 500),
            alone,
            a_phase("dead neighbour, backlog 500", 2800.0, backlog=500, backlog_queued=500),
        ),
        Comparison(
            Neighbour("dead", 50), alone, a_phase("dead neighbour, backlog 50", 2600.0, backlog=50, backlog_queued=50)
        ),
    ]
    output = [comparison.render() for comparison in comparisons] + summary_lines(comparisons)
    benchmark = Benchmark("bench_isolation.py", "isolation", "alone", 1.5, operator.le)

    # When the report's isolation section is rendered
    section = isolation_section([Run(benchmark, output, 1.4, 1.0)])

    # Then each phase is a row with its ratio against 1.5, and the flatness a row against 1.2
    rows = [line for line in section if line.startswith("| dead")]
    assert rows[0].startswith("| dead neighbour, backlog 500 | 2800 ms | 2000 ms | 1.40 | <= 1.5 | yes | B received")
    assert rows[1].startswith("| dead neighbour, backlog 50 | 2600 ms | 2000 ms | 1.30 | <= 1.5 | yes | B received")
    assert rows[2] == "| dead neighbour | backlog 500 / backlog 50 = 1.08 | <= 1.2 | yes |"


def test_benchmarks_md_has_no_isolation_section_without_its_output():
    benchmark = Benchmark("bench_isolation.py", "isolation", "alone", 1.5, operator.le)

    assert isolation_section([Run(benchmark, ["(exit 1) Traceback"], None, 1.0)]) == []
