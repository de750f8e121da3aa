"""What `GET /_local/status` reports of the webhooks table: stored webhooks that do not read back.

On AWS the DamagedWebhooks metric and its alarm say so; locally nobody reads CloudWatch, so the status
endpoint lists them. A Scan is fine here: the local table is small, and the functions never Scan.
"""

from __future__ import annotations

from typing import Any

from webhooks.adapters.secret_sealer import SECRETS_STAY_SEALED
from webhooks.adapters.webhook_store import FIRST_WEBHOOK_ID, read_webhook
from webhooks.domain.damage import DamagedWebhook


def damaged_webhooks(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Each damaged webhook's account, id and field names (never values), in key order."""
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="webhook_id >= :first",  # not the quota counters
        ExpressionAttributeValues={":first": {"S": FIRST_WEBHOOK_ID}},
    )
    damaged = [
        webhook
        for page in pages
        for webhook in (read_webhook(item, SECRETS_STAY_SEALED) for item in page["Items"])
        if isinstance(webhook, DamagedWebhook)
    ]
    return [
        {"account_id": webhook.account_id, "webhook_id": webhook.webhook_id, "fields": list(webhook.fields)}
        for webhook in sorted(damaged, key=lambda webhook: (webhook.account_id, webhook.webhook_id))
    ]
