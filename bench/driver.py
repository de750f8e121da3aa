"""How the benchmarks drive a local stack from outside, as a platform service and a customer would: a stack
on free ports, webhooks created through the API, license writes on the emulator, the pollers' counters."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

from local.demo import api_request
from local.stack_process import free_port
from local.state import StackInfo

ENVIRONMENT = "development"
LICENSE_CREATED = "license.created"
LICENSE_STREAM_MAPPING = "EmitFunctionLicenses"
BATCH_WRITE_LIMIT = 25


def stack_environ(state: Path) -> dict[str, str]:
    """The environment of a stack with its own state folder, listening on two distinct free ports."""
    api_port = free_port()
    aws_port = free_port()
    while aws_port == api_port:
        aws_port = free_port()
    return dict(os.environ) | {
        "LOCAL_STATE_DIR": str(state),
        "LOCAL_API_PORT": str(api_port),
        "LOCAL_AWS_PORT": str(aws_port),
    }


def create_webhook(info: StackInfo, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST /webhooks for the token's account; the created webhook (its secret included)."""
    status, webhook = api_request(info.api_url, "POST", "/webhooks", token, {"environment": ENVIRONMENT} | body)
    if status != 201:
        raise RuntimeError(f"POST /webhooks answered {status}: {webhook}")
    created: dict[str, Any] = webhook
    return created


def license_item(item_id: str, account: str) -> dict[str, Any]:
    """A license (DynamoDB JSON) whose write is one `license.created` event of the account."""
    return {
        "id": {"S": item_id},
        "account_id": {"S": account},
        "environment": {"S": ENVIRONMENT},
        "status": {"S": "active"},
        "seats": {"N": "5"},
    }


def write_licenses(info: StackInfo, items: list[dict[str, Any]], dynamodb: Any = None) -> None:
    """Batch writes of up to 25 items, each batch until DynamoDB has processed all of it."""
    dynamodb = dynamodb or info.client("dynamodb")
    table = info.tables["licenses"]
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_LIMIT]]
        while requests:
            unprocessed = dynamodb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
            requests = unprocessed.get(table, [])


def poller_counters(info: StackInfo, mapping: str) -> dict[str, Any]:
    """One poller's counters from `GET /_local/status` (the local stack's own route, no token)."""
    with urllib.request.urlopen(f"{info.api_url}/_local/status", timeout=30) as response:  # noqa: S310 - loopback
        status = json.loads(response.read())
    counters: dict[str, Any] = next(poller for poller in status["pollers"] if poller["mapping"] == mapping)
    return counters
