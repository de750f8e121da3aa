"""Webhooks in DynamoDB: the stored item and the reads every function shares.

Key: account_id (hash) + webhook_id (range), so one Query reads an account's webhooks and no key
of one account can reach another's.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from itertools import batched
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from webhooks.adapters.dynamo_batches import BATCH_GET_KEYS, ROUNDS, Sleep, wait_before_round
from webhooks.adapters.dynamo_codec import from_item
from webhooks.adapters.keys import webhook_key
from webhooks.catalogue import Environment
from webhooks.domain.webhook import RetryPolicy, SigningSecret, Webhook

# Items that are not webhooks (the per-account quota counter) have ids starting with "#". That sorts
# below every webhook id (uuid4 text), so a key condition `webhook_id >= "$"` skips them exactly.
QUOTA_ITEM_ID = "#quota"
FIRST_WEBHOOK_ID = "$"


class WebhooksNotRead(RuntimeError):
    """DynamoDB left some keys of a batch read unprocessed (throttled) after the retries."""


class CorruptWebhookItem(RuntimeError):
    """A stored webhook that does not read back; says where, never what (the item holds secrets)."""


class StoredSecret(BaseModel):
    value: str
    created_at: datetime
    expires_at: datetime | None = None


class WebhookItem(BaseModel):
    """The item as stored; mapped explicitly to and from the domain entity."""

    model_config = ConfigDict(extra="ignore")

    account_id: str
    webhook_id: str
    name: str
    url: str
    environment: str
    events: list[str]
    description: str | None = None
    enabled: bool
    secrets: list[StoredSecret]
    retry_policy: dict[str, int] | None = None
    connect_timeout_ms: int
    read_timeout_ms: int
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str

    @classmethod
    def from_entity(cls, webhook: Webhook) -> WebhookItem:
        return cls(
            account_id=webhook.account_id,
            webhook_id=webhook.webhook_id,
            name=webhook.name,
            url=webhook.url,
            environment=webhook.environment.value,
            events=sorted(webhook.events),
            description=webhook.description,
            enabled=webhook.enabled,
            secrets=[
                StoredSecret(value=s.value.get_secret_value(), created_at=s.created_at, expires_at=s.expires_at)
                for s in webhook.secrets
            ],
            retry_policy=webhook.retry_policy.model_dump() if webhook.retry_policy else None,
            connect_timeout_ms=round(webhook.connect_timeout_seconds * 1000),
            read_timeout_ms=round(webhook.read_timeout_seconds * 1000),
            version=webhook.version,
            created_at=webhook.created_at,
            updated_at=webhook.updated_at,
            created_by=webhook.created_by,
            updated_by=webhook.updated_by,
        )

    def to_entity(self) -> Webhook:
        return Webhook(
            webhook_id=self.webhook_id,
            account_id=self.account_id,
            name=self.name,
            url=self.url,
            environment=Environment(self.environment),
            events=frozenset(self.events),
            description=self.description,
            enabled=self.enabled,
            secrets=tuple(
                SigningSecret(value=SecretStr(s.value), created_at=s.created_at, expires_at=s.expires_at)
                for s in self.secrets
            ),
            retry_policy=RetryPolicy(**self.retry_policy) if self.retry_policy else None,
            connect_timeout_seconds=self.connect_timeout_ms / 1000,
            read_timeout_seconds=self.read_timeout_ms / 1000,
            version=self.version,
            created_at=self.created_at,
            updated_at=self.updated_at,
            created_by=self.created_by,
            updated_by=self.updated_by,
        )

    def to_document(self) -> dict[str, Any]:
        """The item as a plain document for dynamo_codec.to_item (datetimes as ISO text)."""
        return self.model_dump(mode="json")


class DynamoWebhookStore:
    """Reads of the webhooks table. Writes that must be audited live with the management use cases."""

    def __init__(self, client: Any, table_name: str, sleep: Sleep = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep

    def get(self, account_id: str, webhook_id: str) -> Webhook | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=webhook_key(account_id, webhook_id),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return webhook_from_item(item) if item else None

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Webhook]:
        """The webhooks found among (account_id, webhook_id) keys, consistently read with BatchGetItem;
        unprocessed keys are retried with backoff, and raise WebhooksNotRead if some stay unread."""
        found: dict[tuple[str, str], Webhook] = {}
        for chunk in batched(sorted(set(keys)), BATCH_GET_KEYS):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [webhook_key(account, webhook) for account, webhook in chunk],
                    "ConsistentRead": True,
                }
            }
            for round_number in range(ROUNDS):
                if round_number:
                    wait_before_round(round_number, self._sleep)
                response = self._client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self._table, []):
                    webhook = webhook_from_item(item)
                    found[(webhook.account_id, webhook.webhook_id)] = webhook
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                raise WebhooksNotRead(f"{len(request[self._table]['Keys'])} webhooks unread after {ROUNDS} rounds")
        return found

    def list_for_account(self, account_id: str) -> list[Webhook]:
        """Every webhook of one account: one Query (paged through), never a Scan."""
        webhooks: list[Webhook] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "account_id = :account AND webhook_id >= :first",
            "ExpressionAttributeValues": {":account": {"S": account_id}, ":first": {"S": FIRST_WEBHOOK_ID}},
        }
        while True:
            response = self._client.query(**request)
            webhooks.extend(webhook_from_item(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return webhooks
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def webhook_from_item(item: dict[str, Any]) -> Webhook:
    """The webhook a stored item holds; CorruptWebhookItem (never pydantic's text) when it does not read back."""
    try:
        return WebhookItem.model_validate(from_item(item)).to_entity()
    except ValidationError as error:  # its text quotes the input, secrets included: keep only the places
        places = ", ".join(".".join(map(str, problem["loc"])) for problem in error.errors())
        key = f"{item.get('account_id', {}).get('S')}/{item.get('webhook_id', {}).get('S')}"
        raise CorruptWebhookItem(f"webhook {key} does not read back: {places}") from None
