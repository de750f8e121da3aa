"""One cost run: N license writes, each the event of one webhook, driven through the real emit and deliver
handlers against the emulator, with every AWS request metered (bench/cost_meter.py).

What Lambda's event source mappings do on our behalf is done here by a metered client of its own: the stream
reads (free: DynamoDB does not bill GetRecords made by a Lambda trigger) and, for the delivery queue,
ReceiveMessage (up to the mapping's batch size) and DeleteMessageBatch of what the handler did not report
failed.
"""

from __future__ import annotations

import contextlib
import io
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from bench.cost_meter import Meter, item_size, write_units
from local.loopback_endpoint import LoopbackEndpoint
from local.pollers.streams import StreamReader
from tests.support.builders import a_webhook
from tests.support.handlers import LambdaContext
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.secret_sealer import KmsSecretSealer
from webhooks.adapters.webhook_store import WebhookItem
from webhooks.catalogue import Environment
from webhooks.domain.webhook import RetryPolicy

WEBHOOKS = 10  # accounts, one webhook each; each event is one account's, so one delivery
STREAM_BATCH = 100  # the template's stream mappings' BatchSize
QUEUE_BATCH = 10  # the delivery queue mapping's BatchSize
# A retry 1 s later (the policy's least backoff), so a run waits seconds for its retries, not minutes.
RETRIES = RetryPolicy(max_attempts=3, initial_backoff_seconds=1, max_backoff_seconds=1)


class ByteSink(io.TextIOBase):
    """Where the handlers print (Powertools' Logger binds its stream when created; EMF metrics print):
    counted, not shown."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text.encode())
        return len(text)


class FailingFirstAttempts(LoopbackEndpoint):
    """Answers 500 to the first POST of a share of the deliveries, spread evenly in the order they first
    arrive (a fifth: the 5th, 10th, ...), and 200 to every other POST."""

    def __init__(self, failing_share: float) -> None:
        super().__init__(name="cost-receiver")
        self._share = failing_share
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self.posts = 0

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:  # noqa: ARG002 - the endpoint's signature
        delivery = headers.get("webhook-id", "")
        with self._lock:  # the server answers on a thread per connection
            self.posts += 1
            if delivery in self._seen:
                return 200
            self._seen.add(delivery)
            count = len(self._seen)
            chosen = math.floor(count * self._share) > math.floor((count - 1) * self._share)
        return 500 if chosen else 200


@dataclass
class CaseResult:
    name: str
    deliveries: int
    functions: Meter
    mappings: Meter
    floor_write_units: int
    log_item_bytes: int  # the delivery log's items at the end, as stored
    invocations: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # handler time by function
    log_bytes: dict[str, int] = field(default_factory=dict)  # what the handlers print (logs, EMF metrics)
    posts: int = 0


@dataclass
class CostStack:
    """The emulator's data plane, the handlers imported against it, and the meters on their session."""

    setup: boto3.Session  # unmetered: the platform's own writes, the bench's reads
    deployed: Any
    emit: Any
    deliver: Any
    functions: Meter
    mappings: Meter
    mapping_sqs: Any
    printed: ByteSink

    def run(self, name: str, deliveries: int, payload_bytes: int, failing_share: float, retries: bool) -> CaseResult:
        self.functions.reset()
        self.mappings.reset()
        result = CaseResult(name, deliveries, self.functions, self.mappings, 0, 0)
        with FailingFirstAttempts(failing_share) as receiver:
            accounts = [f"{name}-{index}" for index in range(WEBHOOKS)]
            for account in accounts:
                self._add_webhook(account, receiver.url("/hook"), RETRIES if retries else None)
            records = self._writes(accounts, deliveries, payload_bytes)
            for start in range(0, len(records), STREAM_BATCH):
                self._invoke(result, "emit", self.emit, {"Records": records[start : start + STREAM_BATCH]})
            self._drain(result)
            result.posts = receiver.posts
        result.functions, result.mappings = self.functions.snapshot(), self.mappings.snapshot()
        result.floor_write_units, result.log_item_bytes = self._log_sizes(accounts)
        return result

    def _add_webhook(self, account: str, url: str, retry_policy: RetryPolicy | None) -> None:
        webhook = a_webhook(
            webhook_id=f"wh-{account}",
            account_id=account,
            url=url,
            environment=Environment.DEVELOPMENT,
            events=frozenset({"license.created"}),
            retry_policy=retry_policy,
        )
        sealer = KmsSecretSealer(self.setup.client("kms"), self.deployed.keys["SecretsKey"])
        item = to_item(WebhookItem.from_entity(webhook, sealer).to_document())
        self.setup.client("dynamodb").put_item(TableName=self.deployed.tables["WebhooksTable"], Item=item)

    def _writes(self, accounts: list[str], count: int, payload_bytes: int) -> list[dict[str, Any]]:
        """The platform writes the licenses (unmetered); emit's mapping reads their stream records."""
        dynamodb = self.setup.client("dynamodb")
        table = self.deployed.tables["LicensesTable"]
        arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        streams = self.setup.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        reader = StreamReader(streams, arn)
        reader.read()  # earlier cases' records are behind this case
        padding = "x" * max(0, payload_bytes - 200)  # the license's other fields are about 200 bytes of JSON
        for number in range(count):
            item: dict[str, Any] = {
                "id": f"lic-{accounts[0]}-{number:05}",
                "account_id": accounts[number % len(accounts)],
            }
            item |= {"environment": "development", "status": "active", "seats": 5, "notes": padding}
            dynamodb.put_item(TableName=table, Item=to_item(item))
        records: list[dict[str, Any]] = []
        while len(records) < count:
            records += reader.read()
        return records

    def _invoke(self, result: CaseResult, function: str, handler: Any, event: dict[str, Any]) -> Any:
        printed_before = self.printed.written
        started = time.perf_counter()
        with contextlib.redirect_stdout(self.printed):
            answer = handler(event, LambdaContext(f"{function.capitalize()}Function"))
        result.seconds[function] = result.seconds.get(function, 0.0) + time.perf_counter() - started
        result.invocations[function] = result.invocations.get(function, 0) + 1
        printed = self.printed.written - printed_before
        result.log_bytes[function] = result.log_bytes.get(function, 0) + printed
        return answer

    def _drain(self, result: CaseResult) -> None:
        """The queue mapping: receive a batch, invoke deliver, delete what it did not report failed; until
        nothing is waiting, in flight or delayed (retries come back delayed)."""
        queue_url = self.deployed.queues["DeliveryQueue"]
        arn = self.deployed.arn("DeliveryQueue")
        while not self._queue_empty(queue_url):
            received = self.mapping_sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=QUEUE_BATCH, WaitTimeSeconds=1, AttributeNames=["All"]
            ).get("Messages", [])
            if not received:
                continue
            event = {"Records": [_sqs_record(message, arn) for message in received]}
            answer = self._invoke(result, "deliver", self.deliver, event) or {}
            failed = {failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])}
            done = [m for m in received if m["MessageId"] not in failed]
            if done:
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
                self.mapping_sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)

    def _queue_empty(self, queue_url: str) -> bool:
        sqs: Any = self.setup.client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        waiting = (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
        return all(attributes.get(name, "0") == "0" for name in waiting)

    def _log_sizes(self, accounts: list[str]) -> tuple[int, int]:
        """The floor's log writes (each delivery's last record written once, body included) and the bytes the
        case's log items hold."""
        scanner = self.setup.client("dynamodb").get_paginator("scan")
        last: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))  # delivery -> (attempt, size)
        stored = 0
        wanted = set(accounts)
        for page in scanner.paginate(TableName=self.deployed.tables["DeliveriesTable"]):
            for item in page["Items"]:
                if item.get("account_id", {}).get("S") not in wanted:
                    continue
                size, attempt = item_size(item), int(item["attempt"]["N"])
                stored += size
                delivery = item["delivery_id"]["S"]
                last[delivery] = max(last[delivery], (attempt, size))
        return sum(write_units(size) for _, size in last.values()), stored


def _sqs_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def batches(deliveries: int, size: int) -> int:
    return math.ceil(deliveries / size)
