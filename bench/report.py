"""`make bench`: run every benchmark (bench/bench_*.py, each printing `ratio=` last) and write BENCHMARKS.md.

Each ratio is printed next to the limit it was measured against in the same run and its target;
the end-to-end figures come from the last `make load` (.local/load.json).
"""

from __future__ import annotations

import json
import operator
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.load import cpu_shares
from local.state import state_dir

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "BENCHMARKS.md"
RATIO = re.compile(r"^ratio=([0-9.]+)\s*$")
COLD_IMPORT = re.compile(
    r"^(functions\.\w+\.app): (\d+) ms vs boto3\+client (\d+) ms ratio=([0-9.]+) \(target <= ([0-9.]+)\)"
)
STACK_FLOOR = re.compile(r"^stack floor \((.+)\): (\d+) ms vs boto3\+client (\d+) ms ratio=([0-9.]+)")
ISOLATION_PHASE = re.compile(
    r"^((?:dead|slow) neighbour, backlog \d+): p95 (\d+) ms vs alone (\d+) ms ratio=([0-9.]+); (.*)$"
)
ISOLATION_FLAT = re.compile(
    r"^((?:dead|slow) neighbour): backlog (\d+) / backlog (\d+) = ([0-9.]+) \(target <= ([0-9.]+)\)$"
)
Compare = Callable[[float, float], bool]


@dataclass(frozen=True)
class Benchmark:
    script: str
    measures: str
    limit: str
    target: float
    meets: Compare  # (ratio, target) -> met?

    @property
    def target_text(self) -> str:
        return f"{'>=' if self.meets is operator.ge else '<='} {self.target:g}"


BENCHMARKS = [
    Benchmark(
        "bench_emit.py",
        "emit fan-out, 100 events x 10 webhooks",
        "raw SendMessageBatch loop, same messages, same emulator",
        0.8,
        operator.ge,
    ),
    Benchmark(
        "bench_deliver_throughput.py",
        "deliver throughput",
        "raw keep-alive POST + one put_item per POST, same receiver and emulator",
        0.7,
        operator.ge,
    ),
    Benchmark(
        "bench_deliver_slow_endpoints.py",
        "batch of 10 endpoints that each wait 300 ms",
        "one 300 ms request",
        1.5,
        operator.le,
    ),
    Benchmark(
        "bench_isolation.py",
        "isolation: a healthy account's p95 write-to-receipt beside a dead or a slow neighbour "
        "(backlog 500 and 50), worst",
        "the same account alone, same run, through the local stack",
        1.5,
        operator.le,
    ),
    Benchmark(
        "bench_cost.py",
        "DynamoDB write units per delivery, worst of three cases (1 KB, 10 KB, 1 KB with 20 % retried)",
        "the floor: one log write per delivery (its last record, written once)",
        1.5,
        operator.le,
    ),
    Benchmark(
        "bench_cold_import.py",
        "cold import, worst handler / its own target",
        "`import boto3` + one client, fresh process (per handler below)",
        1.0,
        operator.le,
    ),
]


@dataclass(frozen=True)
class Run:
    benchmark: Benchmark
    output: list[str]
    ratio: float | None
    seconds: float


def run(benchmark: Benchmark) -> Run:
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own interpreter and scripts
        [sys.executable, str(ROOT / "bench" / benchmark.script)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    ratios = [float(found.group(1)) for line in lines[-1:] if (found := RATIO.match(line))]
    if result.returncode != 0:
        lines += [f"(exit {result.returncode}) {line}" for line in result.stderr.splitlines()[-5:]]
    return Run(benchmark, lines, ratios[0] if ratios else None, time.monotonic() - started)


def render(runs: list[Run], load: dict[str, object] | None) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M')} ({platform.machine()}, "
        f"Python {platform.python_version()}). Every ratio is against a limit measured in the same run on the",
        "same machine: absolute times on shared machines are noise, ratios are the figures.",
        "",
        "| benchmark | limit (same run) | target | ratio | met |",
        "|---|---|---|---|---|",
    ]
    for item in runs:
        bench = item.benchmark
        ratio = "failed" if item.ratio is None else f"{item.ratio:.2f}"
        met = "-" if item.ratio is None else ("yes" if bench.meets(item.ratio, bench.target) else "**no**")
        lines.append(f"| {bench.measures} | {bench.limit} | {bench.target_text} | {ratio} | {met} |")
    cold = [found for item in runs for line in item.output if (found := COLD_IMPORT.match(line))]
    if cold:
        lines += ["", "## Cold import of each handler (fresh process, median of 5)", ""]
        lines += [
            "| handler | import | `import boto3` + one client | ratio | target | met |",
            "|---|---|---|---|---|---|",
        ]
        for found in cold:
            module, handler_ms, limit_ms, ratio, target = found.groups()
            met = "yes" if float(ratio) <= float(target) else "**no**"
            lines.append(f"| `{module}` | {handler_ms} ms | {limit_ms} ms | {ratio} | <= {target} | {met} |")
    first_calls = [line for item in runs for line in item.output if line.startswith("first invocation of ")]
    if first_calls:
        lines += [
            "",
            "The first invocation after the import, in the same kind of fresh process (against the emulator):",
            "",
        ]
        lines += [f"- {line}" for line in first_calls]
    floors = [found for item in runs for line in item.output if (found := STACK_FLOOR.match(line))]
    for found in floors:
        imports, floor_ms, limit_ms, ratio = found.groups()
        lines += [
            "",
            f"For reference, a process importing only {imports} measures {floor_ms} ms against {limit_ms} ms: "
            f"ratio {ratio}, before any code of ours.",
        ]
    lines += isolation_section(runs)
    lines += cost_section(runs)
    lines += ["", "## End to end through the local stack (`make load`)", ""]
    if load is None:
        lines.append("No load run yet: `make load` (N = 10,000 by default) writes the figures this section shows.")
    else:
        lines += [
            "| N writes | webhooks | expected | received | lost | duplicated | records | p50 | p99 | duration |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| {load['writes']} | 3 | {load['expected']} | {load['received']} | {load['lost']} | "
            f"{load['duplicated']} | {load['records']} | {float(str(load['p50_ms'])):.0f} ms | "
            f"{float(str(load['p99_ms'])):.0f} ms | {float(str(load['duration_seconds'])):.0f} s |",
            "",
            "Latency is write to receipt (the writer's time per item, the receiver's time per POST); writes are",
            f"paced to at most {load['in_flight']} deliveries in flight, since moto's queues slow down with depth.",
        ]
        if load.get("cpu_emulator_seconds"):
            emulator, stack, driver = (
                float(str(load[f"cpu_{part}_seconds"])) for part in ("emulator", "stack", "driver")
            )
            busy = emulator / float(str(load["duration_seconds"]))
            lines += [
                "",
                f"Where the time went (CPU seconds during the run, {platform.machine()}): "
                f"{cpu_shares(emulator, stack, driver)}. The emulator was busy {busy:.2f} of the run's wall time "
                "(one Python process: 1.0 is all it can do)" + (", the bottleneck." if busy > 0.85 else "."),
            ]
    lines += ["", "## Raw output", ""]
    for item in runs:
        lines += [f"### {item.benchmark.script} ({item.seconds:.0f} s)", "", "```", *item.output, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def isolation_section(runs: list[Run]) -> list[str]:
    """The isolation benchmark's phases (each against the same account alone) and its flatness in the backlog."""
    target = next(bench.target for bench in BENCHMARKS if bench.script == "bench_isolation.py")
    output = [line for item in runs if item.benchmark.script == "bench_isolation.py" for line in item.output]
    phases = [found for line in output if (found := ISOLATION_PHASE.match(line))]
    if not phases:
        return []
    lines = [
        "",
        "## Isolation through the local stack (a healthy account's p95 write to receipt)",
        "",
        "Each neighbour on a fresh stack: the healthy account's workload alone, then beside the neighbour.",
        "",
        "| healthy account beside | its p95 | alone, same stack | ratio | target | met | what arrived |",
        "|---|---|---|---|---|---|---|",
    ]
    for found in phases:
        label, beside_ms, alone_ms, ratio, arrived = found.groups()
        met = "yes" if float(ratio) <= target else "**no**"
        lines.append(f"| {label} | {beside_ms} ms | {alone_ms} ms | {ratio} | <= {target:g} | {met} | {arrived} |")
    flat = [found for line in output if (found := ISOLATION_FLAT.match(line))]
    if flat:
        lines += ["", "| neighbour | ratio at the larger backlog / the smaller's | target | met |", "|---|---|---|---|"]
        for found in flat:
            kind, larger, smaller, value, flat_target = found.groups()
            met = "yes" if float(value) <= float(flat_target) else "**no**"
            lines.append(f"| {kind} | backlog {larger} / backlog {smaller} = {value} | <= {flat_target} | {met} |")
    return lines


def cost_section(runs: list[Run]) -> list[str]:
    """bench_cost.py's bill per million deliveries (the table it prints) and its counts per delivery."""
    output = [line for item in runs if item.benchmark.script == "bench_cost.py" for line in item.output]
    table = [line for line in output if line.startswith("|")]
    if not table:
        return []
    return [
        "",
        "## What a delivery costs on AWS (`bench/bench_cost.py`)",
        "",
        "Dollars per million deliveries: the requests and DynamoDB units counted in the run (per case under Raw",
        "output), at the list prices written in the script. Lambda GB-s are the handlers' measured time here,",
        "against the emulator, at the template's memory size: an upper bound, AWS's own calls answer faster.",
        "",
        *table,
    ]


def every_benchmark() -> list[Benchmark]:
    """The known benchmarks, then any other bench/bench_*.py (its ratio reported without a target)."""
    known = {benchmark.script for benchmark in BENCHMARKS}
    others = sorted(path.name for path in (ROOT / "bench").glob("bench_*.py") if path.name not in known)
    return BENCHMARKS + [Benchmark(script, script, "see its output", float("nan"), operator.le) for script in others]


def main() -> int:
    runs = []
    for benchmark in every_benchmark():
        print(f"== {benchmark.script}", flush=True)
        result = run(benchmark)
        print("\n".join(result.output), flush=True)
        runs.append(result)
    load_file = state_dir() / "load.json"
    load = json.loads(load_file.read_text(encoding="utf-8")) if load_file.exists() else None
    REPORT.write_text(render(runs, load), encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0 if all(item.ratio is not None for item in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
