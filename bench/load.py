"""`make load`: N license writes x 3 matching webhooks through the local stack, every POST counted.

A platform service writes N licenses (one `license.created` each) to the stack's emulator; three webhooks
of one account subscribe to that event, each pointing at its own path of a loopback receiver. The receiver
counts POSTs by `webhook-id` (the delivery id: one per event and webhook), so a lost delivery is a missing
id and a duplicated one an id seen twice. The delivery log is then counted on the emulator's DeliveriesTable.

Writes are paced (at most `--in-flight` deliveries written but not yet received) because moto's queues
slow down linearly with their depth: the figures are the system's, not a backlog's.
Latency is write to receipt per delivery: the writer notes each item's write time, the receiver its receipt.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.driver import BATCH_WRITE_LIMIT, LICENSE_CREATED, create_webhook, license_item, stack_environ, write_licenses
from local.jwt_keys import issue_token, load_or_create_key
from local.loopback_endpoint import LoopbackEndpoint
from local.stack_process import StackProcess
from local.state import StackInfo, state_dir
from webhooks.domain.principal import Role

WEBHOOKS_PER_ACCOUNT = 3
DEFAULT_IN_FLIGHT = 300
RESULT_FILE = "load.json"


@dataclass(frozen=True)
class Receipt:
    delivery_id: str  # the `webhook-id` header
    hook: str  # the receiver path, one per webhook
    item_id: str
    received_at: float


class LoadReceiver(LoopbackEndpoint):
    """A loopback endpoint that records every POST and answers 204 at once."""

    def __init__(self) -> None:
        super().__init__(name="load-receiver")
        self._lock = threading.Lock()
        self._receipts: list[Receipt] = []

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        payload = json.loads(body)
        receipt = Receipt(headers.get("webhook-id", ""), path, str(payload["payload"]["id"]), time.time())
        with self._lock:
            self._receipts.append(receipt)
        return 204

    @property
    def receipts(self) -> list[Receipt]:
        with self._lock:
            return list(self._receipts)

    def count(self) -> int:
        with self._lock:
            return len(self._receipts)


def cpu_shares(emulator: float, stack: float, driver: float) -> str:
    """Each process's CPU seconds and its share of their sum."""
    parts = {"emulator (moto, one process)": emulator, "stack (pollers, handlers, API)": stack}
    parts["driver and receiver"] = driver
    total = sum(parts.values()) or 1.0
    return ", ".join(f"{name} {seconds:.0f} s ({seconds / total:.0%})" for name, seconds in parts.items())


@dataclass(frozen=True)
class LoadReport:
    writes: int
    expected: int
    received: int
    lost: int
    duplicated: int
    records: int
    succeeded_records: int
    p50_ms: float
    p99_ms: float
    duration_seconds: float
    in_flight: int
    unexpected: int = 0
    # CPU seconds the run took in each process: where the time goes (0 where /proc cannot tell).
    cpu_emulator_seconds: float = 0.0
    cpu_stack_seconds: float = 0.0
    cpu_driver_seconds: float = 0.0

    def cpu_shares(self) -> str:
        return cpu_shares(self.cpu_emulator_seconds, self.cpu_stack_seconds, self.cpu_driver_seconds)

    @property
    def passed(self) -> bool:
        return (
            self.received == self.expected
            and self.lost == 0
            and self.duplicated == 0
            and self.unexpected == 0
            and self.records == self.succeeded_records == self.expected
        )

    def render(self) -> str:
        return "\n".join(
            [
                f"writes (N)           {self.writes}  x {WEBHOOKS_PER_ACCOUNT} webhooks",
                f"expected deliveries  {self.expected}",
                f"received POSTs       {self.received}",
                f"lost                 {self.lost}",
                f"duplicated           {self.duplicated}",
                f"unexpected           {self.unexpected}",
                f"delivery records     {self.records} ({self.succeeded_records} succeeded)",
                f"latency p50 / p99    {self.p50_ms:.0f} ms / {self.p99_ms:.0f} ms (write to receipt)",
                f"duration             {self.duration_seconds:.1f} s "
                f"({self.expected / max(self.duration_seconds, 1e-9):.0f} deliveries/s, in flight <= {self.in_flight})",
                f"CPU by process       {self.cpu_shares()}",
                "PASSED" if self.passed else "FAILED",
            ]
        )


@dataclass
class LoadRun:
    """One load run against a running stack: its account, webhooks, writes and what arrived."""

    info: StackInfo
    token: str
    receiver: LoadReceiver
    account: str
    in_flight: int = DEFAULT_IN_FLIGHT
    written_at: dict[str, float] = field(default_factory=dict)

    def create_webhooks(self) -> dict[str, str]:
        """Three webhooks for the event, each at its own receiver path; returns path -> webhook id."""
        hooks = {}
        for index in range(WEBHOOKS_PER_ACCOUNT):
            path = f"/hook-{index}"
            body = {"name": f"load {index}", "url": self.receiver.url(path), "events": [LICENSE_CREATED]}
            hooks[path] = create_webhook(self.info, self.token, body)["webhook_id"]
        return hooks

    def write(self, n: int, idle_timeout_seconds: float) -> None:
        """Write N licenses in batches, never more than `in_flight` deliveries ahead of the receiver."""
        dynamodb = self.info.client("dynamodb")
        run = uuid.uuid4().hex[:8]
        for start in range(0, n, BATCH_WRITE_LIMIT):
            ids = [f"lic-{run}-{index}" for index in range(start, min(n, start + BATCH_WRITE_LIMIT))]
            self._wait_for_room(len(ids) * WEBHOOKS_PER_ACCOUNT, idle_timeout_seconds)
            written = time.time()
            write_licenses(self.info, [license_item(item_id, self.account) for item_id in ids], dynamodb)
            self.written_at.update(dict.fromkeys(ids, written))

    def _wait_for_room(self, deliveries: int, idle_timeout_seconds: float) -> None:
        expected = len(self.written_at) * WEBHOOKS_PER_ACCOUNT
        self.wait_until(lambda received: expected + deliveries - received <= self.in_flight, idle_timeout_seconds)

    def wait_until(self, done: Any, idle_timeout_seconds: float) -> bool:
        """Poll the receiver until `done(received)`, giving up only when nothing arrives for the idle timeout."""
        last_count, last_progress = -1, time.monotonic()
        while True:
            count = self.receiver.count()
            if done(count):
                return True
            if count != last_count:
                last_count, last_progress = count, time.monotonic()
            elif time.monotonic() - last_progress > idle_timeout_seconds:
                return False
            time.sleep(0.02)

    def delivery_records(self) -> Counter[str]:
        """The account's delivery-log items on the emulator, by status."""
        pages = (
            self.info.client("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=self.info.tables["deliveries"],
                FilterExpression="account_id = :account",
                ExpressionAttributeValues={":account": {"S": self.account}},
                ProjectionExpression="#status",
                ExpressionAttributeNames={"#status": "status"},
            )
        )
        return Counter(item["status"]["S"] for page in pages for item in page["Items"])

    def report(self, n: int, started: float, finished: float, hooks: dict[str, str]) -> LoadReport:
        receipts = [receipt for receipt in self.receiver.receipts if receipt.item_id in self.written_at]
        counts = Counter(receipt.delivery_id for receipt in receipts)
        expected = n * WEBHOOKS_PER_ACCOUNT
        per_item = Counter((receipt.item_id, receipt.hook) for receipt in receipts)
        latencies = sorted((r.received_at - self.written_at[r.item_id]) * 1000 for r in receipts) or [0.0]
        records = self.delivery_records()
        return LoadReport(
            writes=n,
            expected=expected,
            received=len(receipts),
            lost=expected - len(per_item),
            duplicated=sum(count - 1 for count in counts.values()),
            unexpected=sum(1 for receipt in receipts if receipt.hook not in hooks),
            records=records.total(),
            succeeded_records=records["succeeded"],
            p50_ms=statistics.median(latencies),
            p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            duration_seconds=finished - started,
            in_flight=self.in_flight,
        )


def run_load(
    info: StackInfo,
    token: str,
    account: str,
    n: int,
    *,
    in_flight: int = DEFAULT_IN_FLIGHT,
    idle_timeout_seconds: float = 60.0,
    settle_seconds: float = 2.0,
) -> LoadReport:
    """Drive N writes through a running stack and count what arrived (the account must be fresh)."""
    with LoadReceiver() as receiver:
        run = LoadRun(info, token, receiver, account, in_flight)
        hooks = run.create_webhooks()
        started = time.time()
        run.write(n, idle_timeout_seconds)
        run.wait_until(lambda received: received >= n * WEBHOOKS_PER_ACCOUNT, idle_timeout_seconds)
        finished = time.time()
        time.sleep(settle_seconds)  # a duplicate would arrive right after the originals
        return run.report(n, started, finished, hooks)


def _cpu(stack_pid: int) -> tuple[float, float, float]:
    """CPU seconds so far of the emulator (the stack's child process), the stack process and this one."""

    def seconds(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    try:
        children = Path(f"/proc/{stack_pid}/task/{stack_pid}/children").read_text().split()
    except OSError:
        children = []
    return sum(seconds(int(child)) for child in children), seconds(stack_pid), time.process_time()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=int(os.environ.get("N", "10000")), help="license writes")
    parser.add_argument("--in-flight", type=int, default=DEFAULT_IN_FLIGHT, help="deliveries ahead of the receiver")
    arguments = parser.parse_args(argv)
    state = state_dir() / "load"
    environ = stack_environ(state)
    print(f"Starting the local stack (log: {state / 'stack.log'}) ...", flush=True)
    with StackProcess(environ, state / "stack.log") as stack:
        token = issue_token(load_or_create_key(state), "load", Role.ADMIN)
        print(f"Writing {arguments.n} licenses x {WEBHOOKS_PER_ACCOUNT} webhooks ...", flush=True)
        before = _cpu(stack.info.pid)
        report = run_load(stack.info, token, "load", arguments.n, in_flight=arguments.in_flight)
        after = _cpu(stack.info.pid)
    emulator, stack_cpu, driver = (end - start for start, end in zip(before, after, strict=True))
    report = replace(report, cpu_emulator_seconds=emulator, cpu_stack_seconds=stack_cpu, cpu_driver_seconds=driver)
    print(report.render())
    result = Path(state_dir()) / RESULT_FILE
    result.write_text(json.dumps(asdict(report) | {"passed": report.passed}, indent=2) + "\n", encoding="utf-8")
    print(f"(figures saved to {result} for make bench's report)")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
