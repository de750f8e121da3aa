"""What a delivery costs on AWS: 1,000 deliveries through the real emit and deliver handlers against the
emulator, every AWS request counted by service and operation, DynamoDB units from item sizes, and what
Lambda's event source mappings do on our behalf; then dollars per million deliveries at list prices.

Three cases: 1 KB payloads, 10 KB payloads (retries off), and 1 KB under a retry policy with 20 % of first
attempts failing. The floor: per delivery one log write (its last record, body included, written once),
the batched queue calls (emit's SendMessageBatch, the mapping's ReceiveMessage and DeleteMessageBatch per
10) and one webhook read per batch. `ratio=` (printed last) is the worst case's DynamoDB write units per
delivery over the floor's; target <= 1.5.

`python bench/bench_cost.py --deliveries 20` is the small, untimed run CI makes (tests/integration).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers/common")]

TARGET = 1.5
DELIVERIES = 1000
CASES = [  # name, payload bytes, share of first attempts failing, retry policy
    ("1kb", 1024, 0.0, False),
    ("10kb", 10 * 1024, 0.0, False),
    ("1kb-retries-20pct", 1024, 0.2, True),
]
# AWS list prices, us-east-1, from the price pages as of 2025-11 (this machine cannot reach aws.amazon.com:
# check them before quoting). Each in dollars.
PRICES_AS_OF = "2025-11"
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_ARM_GB_SECOND = 0.0000133334
SQS_REQUEST = 0.40 / 1e6  # standard queue, per 64 KB chunk, after the free tier
DYNAMODB_WRITE_UNIT = 0.625 / 1e6  # on-demand write request unit
DYNAMODB_READ_UNIT = 0.125 / 1e6  # on-demand read request unit
DYNAMODB_GB_MONTH = 0.25
KMS_REQUEST = 0.03 / 10_000
LOGS_INGESTED_GB = 0.50  # CloudWatch Logs; EMF metrics are log lines too
GB = 1024**3


def cost_stack(endpoint: str) -> Any:
    import boto3

    from bench.cost_meter import Meter
    from bench.cost_run import ByteSink, CostStack
    from bench.emulator import use_emulator
    from local.data_plane import deploy_data_plane
    from local.sam_template import function_environment, translated_template

    use_emulator(endpoint)
    setup = boto3.Session(region_name="us-east-1")
    deployed = deploy_data_plane(setup)
    template = translated_template()
    for function in ("EmitFunction", "DeliverFunction"):
        os.environ.update(function_environment(template, function, deployed))
    os.environ.update({"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"})
    functions, mappings = Meter(), Meter()
    boto3.setup_default_session(region_name="us-east-1")  # the handlers' clients come from it
    functions.attach(boto3.DEFAULT_SESSION, peek=setup.client("dynamodb"))
    mapping_session = boto3.Session(region_name="us-east-1")
    mappings.attach(mapping_session, peek=setup.client("dynamodb"))
    printed = ByteSink()
    with contextlib.redirect_stdout(printed):  # the handlers' Loggers write where stdout is at their import
        emit = importlib.import_module("functions.emit.app").handler
        deliver = importlib.import_module("functions.deliver.app").handler
    stack = CostStack(setup, deployed, emit, deliver, functions, mappings, mapping_session.client("sqs"), printed)
    return stack, template


def memory_gb(template: dict[str, Any], function: str) -> float:
    properties = template["Resources"][function]["Properties"]
    return float(properties.get("MemorySize", 128)) / 1024


def dollars(result: Any, template: dict[str, Any], retention_days: int) -> dict[str, float]:
    """Each line of the bill for one million deliveries."""
    scale = 1e6 / result.deliveries
    requests = result.functions.billed_requests + result.mappings.billed_requests
    memory = {"emit": memory_gb(template, "EmitFunction"), "deliver": memory_gb(template, "DeliverFunction")}
    gb_seconds = sum(seconds * memory[function] for function, seconds in result.seconds.items())
    sqs = sum(count for name, count in requests.items() if name.startswith("sqs."))
    kms = sum(count for name, count in requests.items() if name.startswith("kms."))
    # An item is stored with 100 bytes of overhead, and kept for the log's retention (a month is 30 days).
    stored_gb = (result.log_item_bytes + 100 * result.posts) / GB * retention_days / 30
    return {
        "Lambda requests": sum(result.invocations.values()) * LAMBDA_REQUEST * scale,
        "Lambda arm64 GB-s": gb_seconds * LAMBDA_ARM_GB_SECOND * scale,
        "SQS requests": sqs * SQS_REQUEST * scale,
        "DynamoDB writes": sum(result.functions.write_units.values()) * DYNAMODB_WRITE_UNIT * scale,
        "DynamoDB reads": sum(result.functions.read_units.values()) * DYNAMODB_READ_UNIT * scale,
        "DynamoDB storage (log retention)": stored_gb * DYNAMODB_GB_MONTH * scale,
        "KMS requests": kms * KMS_REQUEST * scale,
        "CloudWatch log bytes": sum(result.log_bytes.values()) / GB * LOGS_INGESTED_GB * scale,
    }


def report(result: Any) -> float:
    """Prints the case's counts per delivery; returns its write-unit ratio over the floor."""
    from bench.cost_meter import per

    n = result.deliveries
    writes = sum(result.functions.write_units.values())
    print(f"== {result.name}: {n} deliveries, {result.posts} POSTs, invocations {dict(result.invocations)}")
    for name, count in sorted(per(result.functions.requests.items(), n).items()):
        print(f"  function request {name}: {count} per delivery")
    for name, count in sorted(per(result.mappings.requests.items(), n).items()):
        print(f"  mapping request {name}: {count} per delivery")
    for table, units in sorted(per(result.functions.write_units.items(), n).items()):
        print(f"  write units {table}: {units} per delivery")
    for table, units in sorted(per(result.functions.read_units.items(), n).items()):
        print(f"  read units {table}: {units} per delivery")
    print(f"  handlers printed {sum(result.log_bytes.values()) / n:.0f} bytes per delivery (logs and EMF metrics)")
    ratio = float(writes / result.floor_write_units)
    print(f"  write units {writes / n:.2f} per delivery vs floor {result.floor_write_units / n:.2f}: {ratio:.2f}")
    return ratio


def main() -> None:
    from bench.emulator import moto_server

    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=DELIVERIES)
    deliveries = parser.parse_args().deliveries
    with moto_server() as endpoint:
        stack, template = cost_stack(endpoint)
        retention = int(os.environ.get("DELIVERY_LOG_RETENTION_DAYS", "30"))
        results = [stack.run(name, deliveries, size, failing, retries) for name, size, failing, retries in CASES]
    ratios = [report(result) for result in results]
    bills = [dollars(result, template, retention) for result in results]
    print(
        f"| dollars per million deliveries (us-east-1 list prices of {PRICES_AS_OF}) | "
        + " | ".join(r.name for r in results)
        + " |"
    )
    print("|---|" + "---|" * len(results))
    for line in bills[0]:
        print(f"| {line} | " + " | ".join(f"{bill[line]:.2f}" for bill in bills) + " |")
    print("| **total** | " + " | ".join(f"**{sum(bill.values()):.2f}**" for bill in bills) + " |")
    print(f"target: ratio <= {TARGET} (worst case's write units per delivery / the floor's)")
    print(f"ratio={max(ratios):.2f}")


if __name__ == "__main__":
    main()
