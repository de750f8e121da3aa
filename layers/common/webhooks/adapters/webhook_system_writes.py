"""Writes the platform itself makes to a webhook: disabling it (on 410 Gone, or after its endpoint stayed
down too long), audited and announced as webhook.disabled, and the test-event rate limit. Changes an
admin makes through the API live with the management use cases.

Audit records have the shape manage writes (webhooks.domain.audit), so GET /webhooks/{id}/audit shows them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from webhooks.adapters.audit_log import audit_to_item
from webhooks.adapters.delivery_item import sortable_time
from webhooks.adapters.keys import webhook_key
from webhooks.adapters.operational_events import DynamoOperationalEvents
from webhooks.domain.audit import AuditAction, AuditRecord, FieldChange
from webhooks.domain.operational_events import DisableReason, webhook_disabled
from webhooks.domain.webhook import Webhook

DELIVER_ACTOR = "system:deliver"
_DISABLE = "SET enabled = :off, disabled_at = :at, version = :next, updated_at = :at, updated_by = :by"


class DynamoWebhookSystemWrites:
    def __init__(self, client: Any, webhooks_table: str, audit_table: str, operational_events_table: str) -> None:
        self._client = client
        self._webhooks = webhooks_table
        self._audit = audit_table
        self._operational_events = DynamoOperationalEvents(client, operational_events_table)

    def disable(self, webhook: Webhook, at: datetime, reason: DisableReason, detail: str) -> bool:
        """Disable the webhook, audit it and record webhook.disabled, in one transaction, if it is still the
        version that was delivered to and still enabled; False when an admin changed it meanwhile."""
        audit = AuditRecord(
            account_id=webhook.account_id,
            webhook_id=webhook.webhook_id,
            actor=DELIVER_ACTOR,
            action=AuditAction.DISABLED,
            recorded_at=at,
            changes={"enabled": FieldChange(before=True, after=False)},
            version=webhook.version + 1,
            reason=detail,
        )
        announced = webhook_disabled(webhook, reason=reason, detail=detail, disabled_by=DELIVER_ACTOR, at=at)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._webhooks,
                            "Key": webhook_key(webhook.account_id, webhook.webhook_id),
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
                            "Item": audit_to_item(audit),
                        }
                    },
                    self._operational_events.put_request(announced),
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
                Key=webhook_key(account_id, webhook_id),
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
