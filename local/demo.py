"""`make demo`: the whole system on one machine, watched end to end.

Starts the local stack, a receiver that verifies signatures with `standardwebhooks`, creates a webhook
for every event through the API, writes domain records that produce all 19 events, and prints what
arrived. Exits 0 only when every expected delivery arrived exactly once, verified.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from typing import Any

from local.demo_records import apply_writes, demo_writes, expected_events
from local.jwt_keys import issue_token, load_or_create_key
from local.receiver import ReceivedDelivery, Receiver
from local.stack_process import StackFailed, StackProcess
from local.state import StackInfo, state_dir
from webhooks.catalogue import DOMAIN_EVENTS
from webhooks.delivery.record import DeliveryStatus
from webhooks.domain.principal import Role

ACCOUNT = "acme"
ENVIRONMENT = "development"
WAIT_SECONDS = 60.0
SETTLE_SECONDS = 10.0


@dataclass(frozen=True)
class EventRow:
    event: str
    expected: int
    received: int
    verified: int
    log_statuses: Counter[str]


def event_rows(
    expected: Counter[str], deliveries: list[ReceivedDelivery], log_status: dict[str, str]
) -> list[EventRow]:
    """One row per catalogue event: expected and received deliveries, verified ones, delivery-log statuses."""
    rows = []
    for event in DOMAIN_EVENTS:
        received = [delivery for delivery in deliveries if delivery.event == event.name]
        rows.append(
            EventRow(
                event=event.name,
                expected=expected[event.name],
                received=len(received),
                verified=sum(delivery.verified for delivery in received),
                log_statuses=Counter(log_status.get(delivery.webhook_id, "missing") for delivery in received),
            )
        )
    return rows


def duplicate_deliveries(deliveries: list[ReceivedDelivery]) -> list[str]:
    counts = Counter(delivery.webhook_id for delivery in deliveries)
    return sorted(webhook_id for webhook_id, count in counts.items() if count > 1)


def demo_passed(rows: list[EventRow], deliveries: list[ReceivedDelivery]) -> bool:
    """Every catalogue event expected and received as often as expected, each verified, none twice, nothing else."""
    known = {row.event for row in rows}
    return (
        len(rows) == len(DOMAIN_EVENTS)
        and all(row.expected >= 1 and row.received == row.expected == row.verified for row in rows)
        and not duplicate_deliveries(deliveries)
        and all(delivery.event in known for delivery in deliveries)
    )


def render_table(rows: list[EventRow]) -> str:
    def statuses(row: EventRow) -> str:
        return ", ".join(f"{status} x{count}" for status, count in sorted(row.log_statuses.items())) or "-"

    header = f"{'event':<22} {'expected':>8} {'received':>8} {'verified':>8}  delivery log"
    lines = [header, "-" * len(header)]
    for row in rows:
        mark = "ok" if row.expected >= 1 and row.received == row.expected == row.verified else "MISSING"
        lines.append(f"{row.event:<22} {row.expected:>8} {row.received:>8} {row.verified:>8}  {statuses(row)}  {mark}")
    return "\n".join(lines)


def api_request(api_url: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 - the local stack's loopback URL
        f"{api_url}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    try:
        return status, json.loads(payload) if payload else None
    except ValueError:
        return status, payload.decode(errors="replace")


def delivery_log_statuses(info: StackInfo, token: str, webhook_id: str) -> dict[str, str]:
    """Latest status per delivery id: from GET /webhooks/{id}/deliveries if it serves them, else the table."""
    status, page = api_request(info.api_url, "GET", f"/webhooks/{webhook_id}/deliveries?limit=100", token)
    items = page.get("items") if status == 200 and isinstance(page, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) and "delivery_id" in item for item in items):
        items = _delivery_items_from_table(info, webhook_id)
    latest: dict[str, tuple[int, str]] = {}
    for item in items:
        attempt = int(item.get("attempt", 1))
        if attempt >= latest.get(item["delivery_id"], (0, ""))[0]:
            latest[item["delivery_id"]] = (attempt, str(item.get("status", "unknown")))
    return {delivery_id: status for delivery_id, (_, status) in latest.items()}


def settled_log_statuses(info: StackInfo, token: str, webhook_id: str) -> dict[str, str]:
    """The log's statuses once no attempt is pending: an answer is logged just after the receiver has it."""
    deadline = time.monotonic() + SETTLE_SECONDS
    statuses = delivery_log_statuses(info, token, webhook_id)
    while DeliveryStatus.PENDING in statuses.values() and time.monotonic() < deadline:
        time.sleep(0.2)
        statuses = delivery_log_statuses(info, token, webhook_id)
    return statuses


def _delivery_items_from_table(info: StackInfo, webhook_id: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    pages = (
        info.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=info.tables["deliveries"],
            IndexName="by-webhook",
            KeyConditionExpression="webhook_ref = :ref",
            ExpressionAttributeValues={":ref": {"S": f"{ACCOUNT}#{webhook_id}"}},
        )
    )
    return [
        {name: deserializer.deserialize(value) for name, value in item.items()}
        for page in pages
        for item in page["Items"]
    ]


def run_demo(info: StackInfo, receiver: Receiver) -> bool:
    token = issue_token(load_or_create_key(state_dir()), ACCOUNT, Role.ADMIN)
    subscription = {"name": "demo receiver", "url": receiver.endpoint, "environment": ENVIRONMENT, "events": ["*"]}
    status, webhook = api_request(info.api_url, "POST", "/webhooks", token, subscription)
    if status != 201 or not isinstance(webhook, dict) or "secret" not in webhook:
        print(f"error: POST /webhooks answered {status}: {webhook if status >= 400 else '(no secret)'}")
        return False
    receiver.add_secret(webhook["secret"])
    print(f"Webhook {webhook['webhook_id']} created for {receiver.endpoint} ({ACCOUNT}, {ENVIRONMENT}, all events)")
    writes = demo_writes(ACCOUNT, ENVIRONMENT)
    expected = expected_events(writes)
    started = time.monotonic()
    apply_writes(writes, info.client("dynamodb"), info.tables)
    print(f"Wrote {len(writes)} domain records; waiting for {expected.total()} deliveries of {len(expected)} events")
    complete = receiver.wait_until(lambda got: Counter(d.event for d in got) >= expected, WAIT_SECONDS)
    elapsed = time.monotonic() - started
    time.sleep(1.0)  # a duplicate would arrive right after the originals
    deliveries = receiver.deliveries
    rows = event_rows(expected, deliveries, settled_log_statuses(info, token, webhook["webhook_id"]))
    print()
    print(render_table(rows))
    print()
    passed = complete and demo_passed(rows, deliveries)
    if passed:
        print(
            f"All {len(deliveries)} deliveries of {len(rows)} events arrived once each, verified, in {elapsed:.1f} s."
        )
    else:
        duplicates = duplicate_deliveries(deliveries)
        print(f"FAILED: {len(deliveries)} of {expected.total()} deliveries; duplicates: {len(duplicates)}")
    return passed


def main() -> int:
    state = state_dir()
    print("Starting the local stack (make run) ...", flush=True)
    stack = StackProcess(os.environ, state / "demo-stack.log")
    try:
        info = stack.start()
    except StackFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        print(f"Local stack up: API {info.api_url}, AWS emulator {info.aws_endpoint}; log {stack.log_path}")
        with Receiver() as receiver:
            passed = run_demo(info, receiver)
    finally:
        stopped = stack.stop()
    if not passed:
        print(f"The stack's log: {stack.log_path}", file=sys.stderr)
    return 0 if passed and stopped == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
