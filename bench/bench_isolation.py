"""Isolation: a healthy account's p95 write-to-receipt latency beside a dead or a slow neighbour, against the
same account alone, in the same run, through the local stack.

Phases: the healthy account alone; then beside a neighbour whose endpoint accepts and never answers, and
one whose endpoint answers 200 after 8 s, each with its backlog (500, then 50) queued first. The
neighbours' webhooks have a customer's defaults (timeouts, no retries). Each phase runs on a fresh stack,
so nothing a neighbour leaves on the queues (or in any state kept for its endpoint) reaches the next one.
Target: each ratio (p95 beside / p95 alone) <= 1.5, and each backlog-500 ratio within 1.2x of the
backlog-50 one, which shows the cost is flat in the backlog. Prints each ratio, then `ratio=` (the worst).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from bench.driver import stack_environ
from bench.isolation import Neighbour, NeighbourKind, PhaseResult, Workload, run_phase
from bench.neighbours import SLOW_ANSWER_SECONDS
from local.jwt_keys import issue_token, load_or_create_key
from local.stack_process import StackProcess
from local.state import state_dir
from webhooks.domain.principal import Role
from webhooks.domain.webhook import DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_READ_TIMEOUT_SECONDS

TARGET = 1.5
FLAT_TARGET = 1.2
BACKLOGS = (500, 50)
KINDS: tuple[NeighbourKind, ...] = ("dead", "slow")


@dataclass(frozen=True)
class Flatness:
    kind: str
    larger: int
    smaller: int
    value: float  # the ratio at the larger backlog / the ratio at the smaller one

    def render(self) -> str:
        return (
            f"{self.kind} neighbour: backlog {self.larger} / backlog {self.smaller} = {self.value:.2f} "
            f"(target <= {FLAT_TARGET:g})"
        )


def ratio(beside: PhaseResult, alone: PhaseResult) -> float:
    return beside.p95_ms / max(alone.p95_ms, 1.0)


def flatness(alone: PhaseResult, beside: Sequence[tuple[Neighbour, PhaseResult]]) -> list[Flatness]:
    """Per kind of neighbour, its ratio at the largest backlog against its ratio at the smallest."""
    found = []
    for kind in KINDS:
        phases = sorted((n.backlog, result) for n, result in beside if n.kind == kind)
        if len(phases) >= 2 and phases[0][0] != phases[-1][0]:
            (smaller, low), (larger, high) = phases[0], phases[-1]
            found.append(Flatness(kind, larger, smaller, ratio(high, alone) / max(ratio(low, alone), 1e-9)))
    return found


def alone_line(alone: PhaseResult) -> str:
    return f"alone: p95 {alone.p95_ms:.0f} ms; {alone.describe()}"


def beside_line(result: PhaseResult, alone: PhaseResult) -> str:
    return (
        f"{result.label}: p95 {result.p95_ms:.0f} ms vs alone {alone.p95_ms:.0f} ms "
        f"ratio={ratio(result, alone):.2f}; {result.describe()}"
    )


def summary_lines(alone: PhaseResult, beside: Sequence[tuple[Neighbour, PhaseResult]]) -> list[str]:
    """After the phases' lines: flatness in the backlog, the target, and `ratio=` (the worst ratio) last."""
    lines = [found.render() for found in flatness(alone, beside)]
    lines.append(f"target <= {TARGET:g} each, and each backlog-500 ratio within {FLAT_TARGET:g}x of the backlog-50 one")
    lines.append(f"ratio={max((ratio(result, alone) for _, result in beside), default=0.0):.2f}")
    return lines


def phase_on_fresh_stack(
    name: str, neighbour: Neighbour | None, workload: Workload, timeout_seconds: float
) -> PhaseResult:
    state = state_dir() / "isolation" / name
    print(f"{name}: starting a fresh stack (log: {state / 'stack.log'}) ...", file=sys.stderr, flush=True)
    with StackProcess(stack_environ(state), state / "stack.log") as stack:
        key = load_or_create_key(state)
        return run_phase(
            stack.info,
            lambda account: issue_token(key, account, Role.ADMIN),
            neighbour,
            workload,
            timeout_seconds=timeout_seconds,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlogs", default=",".join(map(str, BACKLOGS)), help="neighbour backlogs, e.g. 500,50")
    parser.add_argument("--records", type=int, default=Workload.records, help="the healthy account's writes")
    parser.add_argument("--per-second", type=float, default=Workload.per_second, help="their rate")
    parser.add_argument("--phase-timeout", type=float, default=120.0, help="seconds after the last write")
    arguments = parser.parse_args(argv)
    workload = Workload(arguments.records, arguments.per_second)
    neighbours = [Neighbour(kind, int(n)) for n in arguments.backlogs.split(",") for kind in KINDS]
    print(
        f"healthy account: {workload.records} records at {workload.per_second:g}/s; neighbours' webhooks with "
        f"a customer's defaults (connect {DEFAULT_CONNECT_TIMEOUT_SECONDS:g} s, read {DEFAULT_READ_TIMEOUT_SECONDS:g}"
        f" s, no retries); the slow one answers after {SLOW_ANSWER_SECONDS:g} s; a fresh stack per phase",
        flush=True,
    )
    alone = phase_on_fresh_stack("alone", None, workload, arguments.phase_timeout)
    print(alone_line(alone), flush=True)
    beside = []
    for neighbour in neighbours:
        name = f"{neighbour.kind}-{neighbour.backlog}"
        result = phase_on_fresh_stack(name, neighbour, workload, arguments.phase_timeout)
        print(beside_line(result, alone), flush=True)
        beside.append((neighbour, result))
    print("\n".join(summary_lines(alone, beside)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
