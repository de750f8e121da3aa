"""The management write side: each change of a webhook and its audit record in one DynamoDB transaction
(with the operational events it announces, such as an admin's disabling: webhook.disabled).

Versions guard every write (optimistic concurrency). The per-account quota is a counter item in the
webhooks table (webhook_id "#quota") updated in the same transaction as the put or delete, with the
condition `count < quota` on create, so concurrent creates cannot overshoot the quota.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from webhooks.adapters.audit_log import DynamoAuditTrail
from webhooks.adapters.dynamo_batches import query_items
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.keys import webhook_key
from webhooks.adapters.operational_events import DynamoOperationalEvents
from webhooks.adapters.webhook_store import (
    FIRST_WEBHOOK_ID,
    QUOTA_ITEM_ID,
    DynamoWebhookStore,
    SecretSealer,
    WebhookItem,
    read_webhook,
)
from webhooks.domain.audit import AuditRecord
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.errors import Conflict, PreconditionFailed, QuotaExceeded
from webhooks.domain.operational_events import OperationalEvent
from webhooks.domain.webhook import Webhook

_PAGE_SIZE = 100


def _still_at(version: int | None) -> dict[str, Any]:
    """The condition that the item is still at `version`; for a damaged item whose version does not read
    back, that it still exists (so the quota counter in the same transaction stays true)."""
    if version is None:
        return {"ConditionExpression": "attribute_exists(webhook_id)"}
    return {
        "ConditionExpression": "version = :expected",
        "ExpressionAttributeValues": {":expected": {"N": str(version)}},
    }


class DynamoWebhookRepository:
    def __init__(
        self,
        client: Any,
        webhooks_table: str,
        audit_trail: DynamoAuditTrail,
        sealer: SecretSealer,
        operational_events: DynamoOperationalEvents,
    ) -> None:
        self._client = client
        self._operational_events = operational_events
        self._table = webhooks_table
        self._sealer = sealer
        self._store = DynamoWebhookStore(client, webhooks_table, sealer)
        self._audit_trail = audit_trail

    def get(self, account_id: str, webhook_id: str) -> Webhook | DamagedWebhook | None:
        if webhook_id < FIRST_WEBHOOK_ID:
            return None  # the quota counter and other bookkeeping items are not webhooks
        return self._store.read(account_id, webhook_id)

    def iterate(self, account_id: str, after: str | None) -> Iterator[Webhook | DamagedWebhook]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "account_id = :account AND webhook_id >= :first",
            "ExpressionAttributeValues": {":account": {"S": account_id}, ":first": {"S": FIRST_WEBHOOK_ID}},
            "Limit": _PAGE_SIZE,
        }
        if after:
            request["ExclusiveStartKey"] = webhook_key(account_id, after)
        for item in query_items(self._client, request):
            yield read_webhook(item, self._sealer)

    def create(self, webhook: Webhook, audit: AuditRecord, quota: int) -> None:
        count = {
            "Update": {
                "TableName": self._table,
                "Key": webhook_key(webhook.account_id, QUOTA_ITEM_ID),
                "UpdateExpression": "ADD webhook_count :one",
                "ConditionExpression": "attribute_not_exists(webhook_count) OR webhook_count < :quota",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":quota": {"N": str(quota)}},
            }
        }
        put = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(WebhookItem.from_entity(webhook, self._sealer).to_document()),
                "ConditionExpression": "attribute_not_exists(webhook_id)",
            }
        }
        failed = self._transact([count, put, self._audit_trail.put_request(audit)])
        if failed == 0:
            raise QuotaExceeded(
                f"the account already has {quota} webhooks, the most this deployment allows", quota=quota
            )
        if failed is not None:
            raise Conflict("a webhook with this id already exists; retry")

    def replace(
        self,
        webhook: Webhook,
        expected_version: int,
        audit: AuditRecord,
        announced: Sequence[OperationalEvent] = (),
    ) -> None:
        put = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(WebhookItem.from_entity(webhook, self._sealer).to_document()),
                **_still_at(expected_version),
            }
        }
        events = [self._operational_events.put_request(event) for event in announced]
        self._guarded([put, self._audit_trail.put_request(audit), *events], expected_version)

    def delete(self, webhook: Webhook | DamagedWebhook, audit: AuditRecord) -> None:
        delete = {
            "Delete": {
                "TableName": self._table,
                "Key": webhook_key(webhook.account_id, webhook.webhook_id),
                **_still_at(webhook.version),
            }
        }
        count = {
            "Update": {
                "TableName": self._table,
                "Key": webhook_key(webhook.account_id, QUOTA_ITEM_ID),
                "UpdateExpression": "ADD webhook_count :minus_one",
                "ExpressionAttributeValues": {":minus_one": {"N": "-1"}},
            }
        }
        self._guarded([delete, count, self._audit_trail.put_request(audit)], webhook.version)

    def record(self, webhook: Webhook, audit: AuditRecord) -> None:
        check = {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": webhook_key(webhook.account_id, webhook.webhook_id),
                **_still_at(webhook.version),
            }
        }
        self._guarded([check, self._audit_trail.put_request(audit)], webhook.version)

    def _guarded(self, items: list[dict[str, Any]], expected_version: int | None) -> None:
        """Run a transaction whose first item is conditional on the webhook's version (see _still_at)."""
        failed = self._transact(items)
        if failed == 0:
            was = f"at version {expected_version}" if expected_version is not None else "there"
            raise PreconditionFailed(f"the webhook is no longer {was}")
        if failed is not None:
            raise Conflict("the change could not be recorded; retry")

    def _transact(self, items: list[dict[str, Any]]) -> int | None:
        """None when the transaction committed, else the index of the first item whose condition failed
        (-1 when it failed for another reason, such as a concurrent transaction on the same items)."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            codes = [reason.get("Code") for reason in reasons]
            return codes.index("ConditionalCheckFailed") if "ConditionalCheckFailed" in codes else -1
        return None
