"""Seals the secrets of webhooks stored before secrets were encrypted at rest.

Such an item holds each secret in plain text; every function still reads it, and manage seals it at the
item's next write. This seals the rest now: it scans the webhooks table, and rewrites each item that holds a
plain secret with its secrets sealed under the KMS key (the same item otherwise, at the same version, written
only if its version is still the one read). An item that no longer reads back (damaged) is left as it is and
counted: repair it through the API, whose write seals it. Running it again changes nothing. Runbook:
docs/operations.md.

    python -m tools.seal_stored_secrets --table webhooks-prod --key-id <the stack's SecretsKey id or ARN>
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.secret_sealer import KmsSecretSealer
from webhooks.adapters.webhook_store import FIRST_WEBHOOK_ID, WebhookItem, read_webhook
from webhooks.domain.webhook import Webhook


@dataclass
class SealReport:
    scanned: int = 0
    sealed: int = 0
    already_sealed: int = 0
    damaged: int = 0  # left as they are: they do not read back
    changed_meanwhile: int = 0  # written by manage between our read and write (that write sealed them)

    def summary(self) -> str:
        return (
            f"scanned {self.scanned} webhooks: sealed {self.sealed}, already sealed {self.already_sealed}; "
            f"left as they are: {self.damaged} that do not read back (repair them through the API), "
            f"{self.changed_meanwhile} changed while this ran (their own write sealed them)"
        )


def _holds_plain_secret(item: dict[str, Any]) -> bool:
    secrets = item.get("secrets", {}).get("L", [])
    return any("value" in secret.get("M", {}) for secret in secrets)


class StoredSecretSealing:
    def __init__(self, dynamodb: Any, table: str, sealer: KmsSecretSealer) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._sealer = sealer

    def run(self) -> SealReport:
        report = SealReport()
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="webhook_id >= :first",  # not the per-account quota counters
            ExpressionAttributeValues={":first": {"S": FIRST_WEBHOOK_ID}},
            ConsistentRead=True,
        )
        for item in (item for page in pages for item in page["Items"]):
            report.scanned += 1
            if not _holds_plain_secret(item):
                report.already_sealed += 1
                continue
            webhook = read_webhook(item, self._sealer)
            if not isinstance(webhook, Webhook):
                report.damaged += 1
                continue
            if self._rewrite(webhook):
                report.sealed += 1
            else:
                report.changed_meanwhile += 1
        return report

    def _rewrite(self, webhook: Webhook) -> bool:
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=to_item(WebhookItem.from_entity(webhook, self._sealer).to_document()),
                ConditionExpression="version = :version",
                ExpressionAttributeValues={":version": {"N": str(webhook.version)}},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True, help="the webhooks table, e.g. webhooks-prod")
    parser.add_argument("--key-id", required=True, help="the stack's SecretsKey (id or ARN)")
    arguments = parser.parse_args(argv)
    import boto3

    sealer = KmsSecretSealer(boto3.client("kms"), arguments.key_id)
    report = StoredSecretSealing(boto3.client("dynamodb"), arguments.table, sealer).run()
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
