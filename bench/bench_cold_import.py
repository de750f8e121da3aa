"""Cold import of each handler module in a fresh process, against `import boto3` plus one client.

Median of 5 fresh processes each; the limit (boto3 + one client) is measured in the same run.
Targets (DESIGN.md section 8): emit and deliver <= 1.3, manage <= 1.6. Prints `ratio=` last:
the worst handler's ratio divided by its own target (<= 1.0 means every handler meets its target).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
TARGETS = {"functions.emit.app": 1.3, "functions.deliver.app": 1.3, "functions.manage.app": 1.6}
BASELINE = "import boto3\nboto3.client('dynamodb')"
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "DEPLOYMENT_ENVIRONMENT": "dev",
    "TRACING_ENABLED": "false",
    "WEBHOOKS_TABLE": "webhooks",
    "DELIVERIES_TABLE": "deliveries",
    "AUDIT_TABLE": "audit",
    "DELIVERY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/delivery",
    "PERMITTED_ENVIRONMENTS": "production,staging,development",
    "PERMITTED_EVENTS": "*",
    "DELIVERY_LOG_RETENTION_DAYS": "30",
    "WEBHOOK_QUOTA_PER_ACCOUNT": "100",
    "ALLOW_HTTP_FOR_DEVELOPMENT": "false",
    "TABLE_ENTITIES": json.dumps({"licenses": "license"}),
    "DELIVERY_CONCURRENCY": "10",
}


def _seconds(code: str) -> float:
    timed = f"import time\nstart = time.perf_counter()\n{code}\nprint(time.perf_counter() - start)"
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}"} | ENVIRONMENT
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", timed], capture_output=True, text=True, check=True, cwd=ROOT, env=environment
    )
    return float(result.stdout.strip().splitlines()[-1])


def median_seconds(code: str) -> float:
    return statistics.median(_seconds(code) for _ in range(RUNS))


def main() -> None:
    worst = 0.0
    for module, target in TARGETS.items():
        # Interleave limit and handler so machine noise hits both alike.
        limit = median_seconds(BASELINE)
        handler = median_seconds(f"import {module}")
        ratio = handler / limit
        worst = max(worst, ratio / target)
        print(
            f"{module}: {handler * 1000:.0f} ms vs boto3+client {limit * 1000:.0f} ms "
            f"ratio={ratio:.2f} (target <= {target})"
        )
    print(f"ratio={worst:.2f}")


if __name__ == "__main__":
    main()
