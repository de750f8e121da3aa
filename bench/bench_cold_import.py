"""Cold import of each handler module in a fresh process, against `import boto3` plus one client.

Median of 5 fresh processes each; the limit (boto3 + one client) is measured in the same run.
Targets: emit and deliver <= 1.3, manage <= 1.6. Then the first invocation of emit and deliver after their
import (bench/first_invocation.py), so that nothing is only moved from the import to the first call. Prints
`ratio=` last:
the worst handler's ratio divided by its own target (<= 1.0 means every handler meets its target).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers/common")]  # run as a script, like the other benchmarks

from bench.emulator import CREDENTIALS  # noqa: E402 - after the path it is found on

RUNS = 5
# Handler module, the template function it belongs to, and its target.
TARGETS = {
    "functions.emit.app": ("EmitFunction", 1.3),
    "functions.deliver.app": ("DeliverFunction", 1.3),
    "functions.manage.app": ("ManageFunction", 1.6),
}
BASELINE = "import boto3\nboto3.client('dynamodb')"
# What every handler needs at import on top of the limit, and nothing of ours: pydantic with one model,
# Powertools' Logger and Metrics. Printed for reference: how much of the target the stack itself takes.
STACK_FLOOR = BASELINE + (
    "\nfrom pydantic import BaseModel\nclass Settings(BaseModel):\n    table: str\nSettings(table='t')"
    "\nfrom aws_lambda_powertools import Logger, Metrics\nLogger()\nMetrics(namespace='bench')"
)


def _seconds(code: str, variables: dict[str, str]) -> float:
    timed = f"import time\nstart = time.perf_counter()\n{code}\nprint(time.perf_counter() - start)"
    paths = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}"}
    environment = paths | CREDENTIALS | variables
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", timed], capture_output=True, text=True, check=True, cwd=ROOT, env=environment
    )
    return float(result.stdout.strip().splitlines()[-1])


def median_seconds(code: str, variables: dict[str, str]) -> float:
    return statistics.median(_seconds(code, variables) for _ in range(RUNS))


def main() -> None:
    from local.sam_template import offline_environment

    variables = offline_environment("DeliverFunction")
    limit = median_seconds(BASELINE, variables)
    floor = median_seconds(STACK_FLOOR, variables)
    print(
        f"stack floor (boto3 + client, pydantic + one model, Powertools Logger + Metrics): {floor * 1000:.0f} ms "
        f"vs boto3+client {limit * 1000:.0f} ms ratio={floor / limit:.2f}"
    )
    worst = 0.0
    for module, (function, target) in TARGETS.items():
        # The handler gets the environment the template gives its function; the limit the same.
        variables = offline_environment(function)
        # Interleave limit and handler so machine noise hits both alike.
        limit = median_seconds(BASELINE, variables)
        handler = median_seconds(f"import {module}", variables)
        ratio = handler / limit
        worst = max(worst, ratio / target)
        print(
            f"{module}: {handler * 1000:.0f} ms vs boto3+client {limit * 1000:.0f} ms "
            f"ratio={ratio:.2f} (target <= {target})"
        )
    from bench.first_invocation import first_invocations

    with first_invocations() as measured:
        for module, (handler_timing, limit_timing) in measured.timings.items():
            print(
                f"first invocation of {module} after its import: {handler_timing.first_call_ms:.0f} ms vs "
                f"one GetItem after boto3+client {limit_timing.first_call_ms:.0f} ms; against the emulator, "
                f"import {handler_timing.import_ms:.0f} ms"
            )
    print(f"ratio={worst:.2f}")


if __name__ == "__main__":
    main()
