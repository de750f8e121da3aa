"""The cost benchmark's small, untimed run (`make bench` runs 1,000 deliveries): its counts add up."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DELIVERIES = 10


def test_a_small_cost_run_meters_every_case_against_its_floor() -> None:
    # When the benchmark drives ten deliveries per case through the handlers
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_cost.py"), "--deliveries", str(DELIVERIES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()

    # Then each case made its POSTs: one per delivery, and a retry for each failed first attempt
    posts = {
        found[1]: int(found[2]) for line in lines if (found := re.match(r"== (\S+): \d+ deliveries, (\d+) POSTs", line))
    }
    assert set(posts) == {"1kb", "10kb", "1kb-retries-20pct"}
    assert posts["1kb"] == posts["10kb"] == DELIVERIES
    assert posts["1kb-retries-20pct"] > DELIVERIES
    # And each case's write units are at least its floor's, the larger payload's floor the larger
    floors = [
        float(found[2])
        for line in lines
        if (found := re.search(r"units ([\d.]+) per delivery vs floor ([\d.]+)", line))
    ]
    ratios = [float(found[1]) for line in lines if (found := re.search(r"floor [\d.]+: ([\d.]+)$", line))]
    assert len(floors) == 3
    assert floors[1] > floors[0]
    assert all(ratio >= 1 for ratio in ratios)
    # And the queue mapping's receive and delete are counted apart from the functions' own requests
    assert any("mapping request sqs.ReceiveMessage" in line for line in lines)
    assert any("function request sqs.SendMessageBatch" in line for line in lines)
    # And the bill has its total row, and the ratio (the worst case's) comes last
    assert any(line.startswith("| **total** |") for line in lines)
    assert lines[-1] == f"ratio={max(ratios):.2f}"
