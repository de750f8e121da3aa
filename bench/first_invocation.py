"""The first invocation after a cold import, in a fresh process against the emulator: so that work moved off
the import path (models built on first use, clients made when first called) is still counted.

Emit gets one real stream record (a license written to the emulator); deliver one queue message for a
registered webhook whose endpoint answers 200 on loopback. The limit is the same fresh process making
`import boto3`, one client and one GetItem: the least any first invocation that reads a table costs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

from bench.emulator import CREDENTIALS, moto_server

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
# Timed in the child: the import, then the first call. The context is a plain object (importing the
# tests' builder would import our modules before the clock starts).
HANDLER_CHILD = """
import json, sys, time, uuid
event = json.load(open(sys.argv[1]))
for record in event["Records"]:  # a queue message gets a delivery id of its own: a claimed one sends nothing
    if "body" in record:
        record["body"] = json.dumps(json.loads(record["body"]) | {{"delivery_id": "msg_" + uuid.uuid4().hex}})
class Context:
    function_name = "first-invocation"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:first-invocation"
start = time.perf_counter()
import {module} as app
imported = time.perf_counter()
app.handler(event, Context())
print("timing", imported - start, time.perf_counter() - imported)
"""
LIMIT_CHILD = """
import json, sys, time
key = json.load(open(sys.argv[1]))
start = time.perf_counter()
import boto3
client = boto3.client("dynamodb")
imported = time.perf_counter()
client.get_item(**key)
print("timing", imported - start, time.perf_counter() - imported)
"""


@dataclass(frozen=True)
class Timing:
    import_ms: float
    first_call_ms: float


def _child(code: str, argument: Path, environment: dict[str, str]) -> Timing:
    paths = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code, str(argument)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=paths | CREDENTIALS | environment,
    )
    line = next(line for line in reversed(result.stdout.splitlines()) if line.startswith("timing "))
    imported, called = (float(value) * 1000 for value in line.split()[1:])
    return Timing(imported, called)


def median(code: str, argument: Path, environment: dict[str, str], rounds: int = RUNS) -> Timing:
    runs = [_child(code, argument, environment) for _ in range(rounds)]
    return Timing(
        statistics.median(run.import_ms for run in runs), statistics.median(run.first_call_ms for run in runs)
    )


@dataclass(frozen=True)
class FirstInvocations:
    timings: dict[str, tuple[Timing, Timing]]  # handler module -> (its timing, the limit's)
    posts: int  # what deliver's invocations POSTed to the receiver: one per round when they delivered


@contextmanager
def first_invocations(rounds: int = RUNS) -> Iterator[FirstInvocations]:
    """For emit and deliver: (handler, limit) timings, measured against one emulator and receiver."""
    import boto3

    from local.data_plane import deploy_data_plane
    from local.sam_template import function_environment, translated_template
    from tests.support.receivers import running_receiver

    with (
        moto_server() as endpoint,
        running_receiver() as receiver,
        tempfile.TemporaryDirectory() as folder,
        patch.dict(os.environ, CREDENTIALS | {"AWS_ENDPOINT_URL": endpoint}),  # the setup's clients, then undone
    ):
        session = boto3.Session(region_name="us-east-1")
        deployed = deploy_data_plane(session)
        template = translated_template()
        events = {
            "EmitFunction": _stream_event(session, deployed),
            "DeliverFunction": _queue_event(session, deployed, receiver.url("/ok")),
        }
        key = {
            "TableName": deployed.tables["WebhooksTable"],
            "Key": {"account_id": {"S": "acme"}, "webhook_id": {"S": "first"}},
        }
        limit_file = Path(folder) / "key.json"
        limit_file.write_text(json.dumps(key))
        results: dict[str, tuple[Timing, Timing]] = {}
        for function, module in (("EmitFunction", "functions.emit.app"), ("DeliverFunction", "functions.deliver.app")):
            environment = function_environment(template, function, deployed) | {"AWS_ENDPOINT_URL": endpoint}
            environment |= {"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"}
            event_file = Path(folder) / f"{function}.json"
            event_file.write_text(json.dumps(events[function]))
            limit = median(LIMIT_CHILD, limit_file, environment, rounds)
            handler = median(HANDLER_CHILD.format(module=module), event_file, environment, rounds)
            results[module] = (handler, limit)
        yield FirstInvocations(results, len(receiver.requests))


def _stream_event(session: Any, deployed: Any) -> dict[str, Any]:
    from botocore.config import Config

    from local.pollers.streams import StreamReader
    from webhooks.adapters.dynamo_codec import to_item

    dynamodb = session.client("dynamodb")
    table = deployed.tables["LicensesTable"]
    item = {"id": "lic-first", "account_id": "acme", "environment": "development", "status": "active", "seats": 5}
    dynamodb.put_item(TableName=table, Item=to_item(item))
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    return {"Records": StreamReader(streams, arn).read()}


def _queue_event(session: Any, deployed: Any, url: str) -> dict[str, Any]:
    from tests.support.builders import a_delivery_message, a_webhook
    from tests.support.events import sqs_event
    from webhooks.adapters.dynamo_codec import to_item
    from webhooks.adapters.secret_sealer import KmsSecretSealer
    from webhooks.adapters.webhook_store import WebhookItem
    from webhooks.catalogue import Environment

    webhook = a_webhook(webhook_id="first", url=url, environment=Environment.DEVELOPMENT)
    sealer = KmsSecretSealer(session.client("kms"), deployed.keys["SecretsKey"])
    item = to_item(WebhookItem.from_entity(webhook, sealer).to_document())
    session.client("dynamodb").put_item(TableName=deployed.tables["WebhooksTable"], Item=item)
    message = a_delivery_message(delivery_id="msg_first", webhook_id="first", environment=Environment.DEVELOPMENT)
    return sqs_event(message.model_dump_json(), queue_arn=deployed.arn("DeliveryQueue"))
