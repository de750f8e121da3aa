"""The platform's side of the domain tables in moto: writes, and the stream records they produce.

A separate boto3 session, so these calls are not recorded as calls of the function under test.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from local.pollers.streams import StreamReader
from local.sam_template import DeployedDataPlane
from tests.support.builders import a_stored_webhook
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.secret_sealer import KmsSecretSealer
from webhooks.adapters.webhook_store import WebhookItem
from webhooks.domain.webhook import Webhook

DOMAIN_TABLES = ("LicensesTable", "ActivationsTable", "ProductsTable", "ContractsTable")


class Platform:
    def __init__(self, deployed: DeployedDataPlane) -> None:
        session = boto3.Session(region_name=deployed.region)
        self.deployed = deployed
        self.dynamodb = session.client("dynamodb")
        self.kms = session.client("kms")
        self.sqs = session.client("sqs")
        # boto3 derives an account endpoint from the stream ARN that moto does not route; use the regional one.
        streams = session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        self.readers = {
            logical: StreamReader(
                streams, self.dynamodb.describe_table(TableName=deployed.tables[logical])["Table"]["LatestStreamArn"]
            )
            for logical in DOMAIN_TABLES
        }

    def put(self, logical_table: str, item: dict[str, Any]) -> None:
        self.dynamodb.put_item(TableName=self.deployed.tables[logical_table], Item=to_item(item))

    def update(self, logical_table: str, key: str, **changes: Any) -> None:
        names = {f"#f{index}": name for index, name in enumerate(changes)}
        values = to_item({f":v{index}": value for index, value in enumerate(changes.values())})
        self.dynamodb.update_item(
            TableName=self.deployed.tables[logical_table],
            Key={"id": {"S": key}},
            UpdateExpression="SET " + ", ".join(f"#f{index} = :v{index}" for index in range(len(changes))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def delete(self, logical_table: str, key: str) -> None:
        self.dynamodb.delete_item(TableName=self.deployed.tables[logical_table], Key={"id": {"S": key}})

    def register(self, *webhooks: Webhook) -> None:
        """Webhooks stored as before secrets were sealed (readable with no KMS call)."""
        self.store(*(a_stored_webhook(webhook) for webhook in webhooks))

    def register_sealed(self, *webhooks: Webhook) -> None:
        """Webhooks stored as manage stores them: their secrets sealed under the stack's KMS key."""
        sealer = KmsSecretSealer(self.kms, self.deployed.keys["SecretsKey"])
        self.store(*(to_item(WebhookItem.from_entity(webhook, sealer).to_document()) for webhook in webhooks))

    def store(self, *items: dict[str, Any]) -> None:
        """Webhook items as stored (see builders.a_stored_webhook, which can make a damaged one)."""
        for item in items:
            self.dynamodb.put_item(TableName=self.deployed.tables["WebhooksTable"], Item=item)

    def stream_event(self, *logical_tables: str) -> dict[str, Any]:
        """The new records of those tables' streams, as one Lambda stream event (per table, in order)."""
        return {"Records": [record for table in logical_tables for record in self.readers[table].read()]}

    def received(self, logical_queue: str = "DeliveryQueue") -> list[dict[str, Any]]:
        """Every message on the queue (received and deleted), bodies parsed."""
        return [body for _, body in self.received_by_group(logical_queue)]

    def received_by_group(self, logical_queue: str = "DeliveryQueue") -> list[tuple[str | None, dict[str, Any]]]:
        """Every message on the queue (received and deleted): its MessageGroupId and its parsed body."""
        import json

        url = self.deployed.queues[logical_queue]
        messages: list[tuple[str | None, dict[str, Any]]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageGroupId"]
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend((m.get("Attributes", {}).get("MessageGroupId"), json.loads(m["Body"])) for m in batch)
            self.sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
            )
