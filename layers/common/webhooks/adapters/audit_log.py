"""The audit trail in DynamoDB: one item per record, keyed webhook_ref (account#webhook) + recorded_at.

`recorded_at` is the ISO time plus `#` and a short unique suffix, so two records of the same
millisecond never collide and a query returns them in time order. Whoever writes an audit record
(manage in its transactions, deliver when it disables a webhook) builds the item with audit_to_item.
"""

from __future__ import annotations

from typing import Any

from webhooks.adapters.dynamo_codec import from_item, to_item
from webhooks.adapters.keys import webhook_ref
from webhooks.delivery.message import format_timestamp
from webhooks.domain.audit import AuditRecord


def audit_sort_key(record: AuditRecord) -> str:
    return f"{format_timestamp(record.recorded_at)}#{record.audit_id[:8]}"


def audit_to_item(record: AuditRecord) -> dict[str, Any]:
    document = record.model_dump(mode="json") | {
        "webhook_ref": webhook_ref(record.account_id, record.webhook_id),
        "recorded_at": audit_sort_key(record),
    }
    return to_item(document)


def item_to_audit(item: dict[str, Any]) -> AuditRecord:
    document = from_item(item)
    document["recorded_at"] = document["recorded_at"].split("#", 1)[0]
    document.pop("webhook_ref", None)
    return AuditRecord.model_validate(document)


class DynamoAuditTrail:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put_request(self, record: AuditRecord) -> dict[str, Any]:
        """The transaction item that writes `record` (never overwriting another)."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": audit_to_item(record),
                "ConditionExpression": "attribute_not_exists(recorded_at)",
            }
        }

    def history(
        self, account_id: str, webhook_id: str, after: str | None, limit: int
    ) -> tuple[list[AuditRecord], str | None]:
        ref = webhook_ref(account_id, webhook_id)
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "webhook_ref = :ref",
            "ExpressionAttributeValues": {":ref": {"S": ref}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after:
            request["ExclusiveStartKey"] = {"webhook_ref": {"S": ref}, "recorded_at": {"S": after}}
        response = self._client.query(**request)
        position = response.get("LastEvaluatedKey", {}).get("recorded_at", {}).get("S")
        return [item_to_audit(item) for item in response["Items"]], position
