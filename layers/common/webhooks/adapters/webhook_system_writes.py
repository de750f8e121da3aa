"""Writes the platform itself makes to a webhook: disabling it on 410 Gone (audited) and the test-event
rate limit. Changes an admin makes through the API live with the management use cases.

Audit items are generic: webhook_ref, recorded_at (ISO time + a suffix, unique), audit_id, account_id,
webhook_id, actor, action, reason, changes {field: {before, after}}.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from webhooks.adapters.delivery_log import sortable_time, webhook_ref
from webhooks.adapters.dynamo_codec import to_item
from webhooks.domain.webhook import Webhook

DELIVER_ACTOR = "system:deliver"
_DISABLE = "SET enabled = :off, version = :next, updated_at = :at, updated_by = :by"


def audit_item(
    webhook: Webhook, *, actor: str, action: str, reason: str, changes: dict[str, dict[str, Any]], at: datetime
) -> dict[str, Any]:
    audit_id = uuid.uuid4().hex
    return to_item(
        {
            "webhook_ref": webhook_ref(webhook.account_id, webhook.webhook_id),
            "recorded_at": f"{sortable_time(at)}#{audit_id[:8]}",
            "audit_id": audit_id,
            "account_id": webhook.account_id,
            "webhook_id": webhook.webhook_id,
            "actor": actor,
            "action": action,
            "reason": reason,
            "changes": changes,
        }
    )


class DynamoWebhookSystemWrites:
    def __init__(self, client: Any, webhooks_table: str, audit_table: str) -> None:
        self._client = client
        self._webhooks = webhooks_table
        self._audit = audit_table

    def disable_gone(self, webhook: Webhook, at: datetime) -> bool:
        """Disable the webhook and audit it, in one transaction, if it is still the version that was
        delivered to and still enabled; False when an admin changed it meanwhile."""
        changes: dict[str, dict[str, Any]] = {
            "enabled": {"before": True, "after": False},
            "version": {"before": webhook.version, "after": webhook.version + 1},
        }
        reason = "the endpoint answered 410 Gone"
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._webhooks,
                            "Key": _key(webhook.account_id, webhook.webhook_id),
                            "UpdateExpression": _DISABLE,
                            "ConditionExpression": "version = :seen AND enabled = :on",
                            "ExpressionAttributeValues": {
                                ":off": {"BOOL": False},
                                ":on": {"BOOL": True},
                                ":seen": {"N": str(webhook.version)},
                                ":next": {"N": str(webhook.version + 1)},
                                ":at": {"S": at.isoformat()},
                                ":by": {"S": DELIVER_ACTOR},
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._audit,
                            "Item": audit_item(
                                webhook,
                                actor=DELIVER_ACTOR,
                                action="webhook.disabled",
                                reason=reason,
                                changes=changes,
                                at=at,
                            ),
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException:
            return False
        return True

    def reserve_test_slot(self, account_id: str, webhook_id: str, now: datetime, interval_seconds: int) -> float | None:
        """Record a test event unless one was sent within the interval; else the seconds to wait."""
        try:
            self._client.update_item(
                TableName=self._webhooks,
                Key=_key(account_id, webhook_id),
                UpdateExpression="SET last_test_at = :now",
                ConditionExpression="attribute_exists(webhook_id) AND "
                "(attribute_not_exists(last_test_at) OR last_test_at <= :threshold)",
                ExpressionAttributeValues={
                    ":now": {"S": sortable_time(now)},
                    ":threshold": {"S": sortable_time(now - timedelta(seconds=interval_seconds))},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as refused:
            last = refused.response.get("Item", {}).get("last_test_at", {}).get("S")
            if last is None:
                return float(interval_seconds)
            waited = (now - datetime.fromisoformat(last)).total_seconds()
            return max(1.0, interval_seconds - waited)
        return None


def _key(account_id: str, webhook_id: str) -> dict[str, Any]:
    return {"account_id": {"S": account_id}, "webhook_id": {"S": webhook_id}}
