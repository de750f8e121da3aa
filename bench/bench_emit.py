"""Emit fan-out throughput against a raw SendMessageBatch loop, same messages, same emulator, one run.

A moto server on a free loopback port holds the template's data plane. 100 real stream records
(licenses created in the emulator) go to the emit handler, which fans each out to 10 matching
webhooks, each with a payload filter that every one of these events matches (so the filter is
evaluated for every message and the count stays at 1,000 messages). The limit is a plain loop of
SendMessageBatch calls (10 per call) sending the same 1,000 bodies to the same queue. The queue is
purged before every timed run (moto slows down with queue depth). Target: ratio >= 0.8, where
ratio = emit throughput / raw throughput. Handler logs are at WARNING so the terminal stays quiet.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers/common")]

EVENTS = 100
WEBHOOKS = 10
# Four clauses a reseller would write; every license the bench creates matches them.
FILTER = {
    "event": {"$startsWith": "license."},
    "payload": {"product_id": {"$in": ["prod_1", "prod_2"]}, "seats": {"$gte": 0}, "status": {"$nin": ["revoked"]}},
}
ROUNDS = 3
TARGET = 0.8


class _Context:
    """What the handler's decorators read off Lambda's context object."""

    function_name = "webhooks-emit-bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:webhooks-emit-bench"
    aws_request_id = "bench"


def _records(session: Any, deployed: Any) -> list[dict[str, Any]]:
    from botocore.config import Config

    from local.pollers.streams import StreamReader
    from webhooks.adapters.dynamo_codec import to_item

    dynamodb = session.client("dynamodb")
    table = deployed.tables["LicensesTable"]
    for number in range(EVENTS):
        item = {"id": f"lic_{number:03}", "account_id": "acme", "environment": "production", "seats": number}
        dynamodb.put_item(TableName=table, Item=to_item(item | {"status": "inactive", "product_id": "prod_1"}))
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    return StreamReader(streams, arn).read()


def _register_webhooks(session: Any, deployed: Any) -> None:
    from datetime import UTC, datetime

    from pydantic import SecretStr

    from webhooks.adapters.dynamo_codec import to_item
    from webhooks.adapters.secret_sealer import KmsSecretSealer
    from webhooks.adapters.webhook_store import WebhookItem
    from webhooks.catalogue import Environment
    from webhooks.domain.webhook import SigningSecret, Webhook

    now = datetime.now(UTC)
    sealer = KmsSecretSealer(session.client("kms"), deployed.keys["SecretsKey"])
    for number in range(WEBHOOKS):
        webhook = Webhook(
            webhook_id=f"wh-{number:02}",
            account_id="acme",
            name=f"bench {number}",
            url=f"https://hooks.example.com/{number}",
            environment=Environment.PRODUCTION,
            events=frozenset({"license.*"}),
            filter=FILTER,
            secrets=(SigningSecret(value=SecretStr("whsec_" + "A" * 32), created_at=now),),
            created_at=now,
            updated_at=now,
            created_by="bench",
            updated_by="bench",
        )
        item = to_item(WebhookItem.from_entity(webhook, sealer).to_document())
        session.client("dynamodb").put_item(TableName=deployed.tables["WebhooksTable"], Item=item)


def _raw_loop(sqs: Any, queue_url: str, bodies: Sequence[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies[start : start + 10])]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        assert not response.get("Failed"), response["Failed"]


def _queue_depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def main() -> None:
    from bench.emulator import moto_server, use_emulator

    # The emulator lets the bench purge the queue between runs (AWS allows one purge a minute).
    with moto_server(os.environ | {"MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"}) as endpoint:
        use_emulator(endpoint)
        import boto3

        from local.data_plane import deploy_data_plane
        from local.sam_template import function_environment, translated_template

        session = boto3.Session(region_name="us-east-1")
        deployed = deploy_data_plane(session)
        _register_webhooks(session, deployed)
        event = {"Records": _records(session, deployed)}
        os.environ.update(function_environment(translated_template(), "EmitFunction", deployed))
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        emit = importlib.import_module("functions.emit.app")

        sqs = session.client("sqs")
        queue_url = deployed.queues["DeliveryQueue"]
        bodies = _bodies_emit_sends(event)
        assert len(bodies) == EVENTS * WEBHOOKS, len(bodies)

        emit_seconds: list[float] = []
        raw_seconds: list[float] = []
        for _ in range(ROUNDS):
            sqs.purge_queue(QueueUrl=queue_url)
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                emit.handler(event, _Context())
            emit_seconds.append(time.perf_counter() - start)
            assert _queue_depth(sqs, queue_url) == len(bodies)
            sqs.purge_queue(QueueUrl=queue_url)
            start = time.perf_counter()
            _raw_loop(sqs, queue_url, bodies)
            raw_seconds.append(time.perf_counter() - start)
            assert _queue_depth(sqs, queue_url) == len(bodies)

    emit_time, raw_time = statistics.median(emit_seconds), statistics.median(raw_seconds)
    messages = len(bodies)
    print(f"emit: {EVENTS} events x {WEBHOOKS} webhooks = {messages} messages in {emit_time * 1000:.0f} ms")
    print(f"emit throughput: {messages / emit_time:.0f} msgs/s (median of {ROUNDS})")
    print(f"raw SendMessageBatch loop throughput: {messages / raw_time:.0f} msgs/s (median of {ROUNDS})")
    print(f"target: ratio >= {TARGET}")
    print(f"ratio={raw_time / emit_time:.2f}")


class _CapturingSender:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    def send_batch(self, messages: Sequence[Any]) -> list[int]:
        self.messages.extend(messages)
        return []


def _bodies_emit_sends(event: dict[str, Any]) -> list[str]:
    """The bodies emit enqueues for the event: the same use case and settings, a capturing sender."""
    import boto3

    from webhooks.adapters.delivery_log_writer import DynamoDeliveryLogWriter
    from webhooks.adapters.secret_sealer import SECRETS_STAY_SEALED
    from webhooks.adapters.stream_records import read_records
    from webhooks.adapters.webhook_store import DynamoWebhookStore
    from webhooks.config import EmitSettings
    from webhooks.domain.emission import Emitter, Governance

    settings = EmitSettings.from_environ()
    dynamodb = boto3.client("dynamodb")
    sender = _CapturingSender()
    Emitter(
        webhooks=DynamoWebhookStore(dynamodb, settings.webhooks_table, SECRETS_STAY_SEALED),
        sender=sender,
        delivery_log=DynamoDeliveryLogWriter(dynamodb, settings.deliveries_table),
        table_entities=settings.table_entities,
        governance=Governance(settings.permitted_environments, settings.permitted_events),
        delivery_log_retention_days=settings.delivery_log_retention_days,
    ).emit(read_records(event["Records"]))
    return [message.model_dump_json() for message in sender.messages]


if __name__ == "__main__":
    main()
