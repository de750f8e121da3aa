"""Isolation: a healthy account's p95 write-to-receipt latency beside a dead or a slow neighbour, against the
same account's workload alone, in the same run, through the local stack.

Neighbours: one whose endpoint accepts and never answers, one whose endpoint answers 200 after 8 s, each with
its backlog (500, then 50) queued first; their webhooks have a customer's defaults (timeouts, no retries).
Each neighbour gets a fresh stack, so nothing one leaves on the queues (or in any state kept for its endpoint)
reaches the next. On it the healthy workload runs alone first, then (another account, the same workload)
beside the neighbour: each ratio is against the alone figure of its own stack, measured a minute before,
so a shared machine's load, which drifts over minutes, weighs on both sides alike.
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
class Comparison:
    """The healthy workload alone and beside one neighbour, on one stack."""

    neighbour: Neighbour
    alone: PhaseResult
    beside: PhaseResult

    @property
    def ratio(self) -> float:
        return self.beside.p95_ms / max(self.alone.p95_ms, 1.0)

    def render(self) -> str:
        line = (
            f"{self.beside.label}: p95 {self.beside.p95_ms:.0f} ms vs alone {self.alone.p95_ms:.0f} ms "
            f"ratio={self.ratio:.2f}; {self.beside.describe()}"
        )
        if not self.alone.delivered_once_each:
            line += f"; alone: {self.alone.describe()}"
        return line


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


def flatness(comparisons: Sequence[Comparison]) -> list[Flatness]:
    """Per kind of neighbour, its ratio at the largest backlog against its ratio at the smallest."""
    found = []
    for kind in KINDS:
        phases = sorted((c for c in comparisons if c.neighbour.kind == kind), key=lambda c: c.neighbour.backlog)
        if len(phases) >= 2 and phases[0].neighbour.backlog != phases[-1].neighbour.backlog:
            low, high = phases[0], phases[-1]
            value = high.ratio / max(low.ratio, 1e-9)
            found.append(Flatness(kind, high.neighbour.backlog, low.neighbour.backlog, value))
    return found


def summary_lines(comparisons: Sequence[Comparison]) -> list[str]:
    """After the comparisons' lines: flatness in the backlog, the target, and `ratio=` (the worst ratio) last."""
    lines = [found.render() for found in flatness(comparisons)]
    lines.append(f"target <= {TARGET:g} each, and each backlog-500 ratio within {FLAT_TARGET:g}x of the backlog-50 one")
    lines.append(f"ratio={max((comparison.ratio for comparison in comparisons), default=0.0):.2f}")
    return lines


def compare_on_fresh_stack(neighbour: Neighbour, workload: Workload, timeout_seconds: float) -> Comparison:
    name = f"{neighbour.kind}-{neighbour.backlog}"
    state = state_dir() / "isolation" / name
    print(f"{name}: starting a fresh stack (log: {state / 'stack.log'}) ...", file=sys.stderr, flush=True)
    with StackProcess(stack_environ(state), state / "stack.log") as stack:
        key = load_or_create_key(state)

        def token_for(account: str) -> str:
            return issue_token(key, account, Role.ADMIN)

        alone = run_phase(stack.info, token_for, None, workload, timeout_seconds=timeout_seconds)
        print(f"{name}: alone, p95 {alone.p95_ms:.0f} ms; now beside the neighbour ...", file=sys.stderr, flush=True)
        beside = run_phase(stack.info, token_for, neighbour, workload, timeout_seconds=timeout_seconds)
        return Comparison(neighbour, alone, beside)


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
        f"healthy account: {workload.records} records at {workload.per_second:g}/s, alone then beside the "
        f"neighbour on a fresh stack per neighbour; neighbours' webhooks with a customer's defaults (connect "
        f"{DEFAULT_CONNECT_TIMEOUT_SECONDS:g} s, read {DEFAULT_READ_TIMEOUT_SECONDS:g} s, no retries); the slow "
        f"one answers after {SLOW_ANSWER_SECONDS:g} s",
        flush=True,
    )
    comparisons = []
    for neighbour in neighbours:
        comparison = compare_on_fresh_stack(neighbour, workload, arguments.phase_timeout)
        print(comparison.render(), flush=True)
        comparisons.append(comparison)
    print("\n".join(summary_lines(comparisons)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
