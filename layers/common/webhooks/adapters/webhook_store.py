"""Webhooks in DynamoDB: the stored item and the reads every function shares.

Key: account_id (hash) + webhook_id (range), so one Query reads an account's webhooks and no key
of one account can reach another's. Secrets are stored sealed (see secret_sealer); an item written before
they were holds them as plain text, reads as it did, and is sealed at its next write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from webhooks.adapters.dynamo_batches import Sleep, batch_get_items, query_items
from webhooks.adapters.dynamo_codec import from_item
from webhooks.adapters.keys import webhook_key
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.signing_keys import SealedSecret, SignatureScheme
from webhooks.domain.webhook import SigningSecret, Webhook

# Items that are not webhooks (the per-account quota counter) have ids starting with "#". That sorts
# below every webhook id (uuid4 text), so a key condition `webhook_id >= "$"` skips them exactly.
QUOTA_ITEM_ID = "#quota"
FIRST_WEBHOOK_ID = "$"


class SecretOpener(Protocol):
    def open(self, account_id: str, webhook_id: str, sealed: str) -> str: ...


class SecretSealer(SecretOpener, Protocol):
    def seal(self, account_id: str, webhook_id: str, secret: str) -> str: ...


class StoredSecret(BaseModel):
    """One secret: sealed, with its public facts beside it; `value` only in an item written before sealing."""

    sealed: str | None = None
    scheme: SignatureScheme | None = None
    public_key: str | None = None
    value: str | None = None
    created_at: datetime
    expires_at: datetime | None = None

    @classmethod
    def of(cls, secret: SigningSecret, webhook: Webhook, sealer: SecretSealer) -> StoredSecret:
        """A secret read sealed keeps its sealed text (no KMS call); a new one, or one read as plain text, is sealed."""
        value = secret.value
        if isinstance(value, SealedSecret):
            sealed = value.sealed
        else:
            sealed = sealer.seal(webhook.account_id, webhook.webhook_id, value.get_secret_value())
        return cls(
            sealed=sealed,
            scheme=secret.scheme,
            public_key=secret.public_key,
            created_at=secret.created_at,
            expires_at=secret.expires_at,
        )


class WebhookItem(BaseModel):
    """The item as stored, mapped explicitly from the domain entity (`read_webhook` maps it back); its own
    model because the stored form differs: timeouts in whole milliseconds, secrets and times as stored text."""

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
    rate_limit_per_second: int | None = None
    # As JSON text: exactly the numbers the admin wrote (a DynamoDB map would turn them into decimals).
    filter: str | None = None
    version: int
    disabled_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str

    @classmethod
    def from_entity(cls, webhook: Webhook, sealer: SecretSealer) -> WebhookItem:
        return cls(
            account_id=webhook.account_id,
            webhook_id=webhook.webhook_id,
            name=webhook.name,
            url=webhook.url,
            environment=webhook.environment.value,
            events=sorted(webhook.events),
            description=webhook.description,
            enabled=webhook.enabled,
            secrets=[StoredSecret.of(secret, webhook, sealer) for secret in webhook.secrets],
            retry_policy=webhook.retry_policy.model_dump() if webhook.retry_policy else None,
            rate_limit_per_second=webhook.rate_limit_per_second,
            filter=None if webhook.filter is None else json.dumps(webhook.filter, separators=(",", ":")),
            connect_timeout_ms=round(webhook.connect_timeout_seconds * 1000),
            read_timeout_ms=round(webhook.read_timeout_seconds * 1000),
            version=webhook.version,
            disabled_at=webhook.disabled_at,
            created_at=webhook.created_at,
            updated_at=webhook.updated_at,
            created_by=webhook.created_by,
            updated_by=webhook.updated_by,
        )

    def to_document(self) -> dict[str, Any]:
        """The item as a plain document for dynamo_codec.to_item (datetimes as ISO text)."""
        return self.model_dump(mode="json")


class DynamoWebhookStore:
    """Reads of the webhooks table. Writes that must be audited live with the management use cases."""

    def __init__(self, client: Any, table_name: str, opener: SecretOpener, sleep: Sleep = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._opener = opener
        self._sleep = sleep

    def read(self, account_id: str, webhook_id: str) -> Webhook | DamagedWebhook | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=webhook_key(account_id, webhook_id),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return read_webhook(item, self._opener) if item else None

    def get(self, account_id: str, webhook_id: str) -> Webhook | None:
        """The webhook, for a use case that needs all of it: WebhookDamaged when it does not read back."""
        webhook = self.read(account_id, webhook_id)
        if isinstance(webhook, DamagedWebhook):
            raise webhook.error()
        return webhook

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Webhook | DamagedWebhook]:
        """The webhooks found among (account_id, webhook_id) keys, consistently read with BatchGetItem;
        unprocessed keys are retried with backoff, and raise KeysNotRead if some stay unread."""
        keys_in_order = [webhook_key(account, webhook) for account, webhook in sorted(set(keys))]
        webhooks = (
            read_webhook(item, self._opener)
            for item in batch_get_items(self._client, self._table, keys_in_order, self._sleep)
        )
        return {(webhook.account_id, webhook.webhook_id): webhook for webhook in webhooks}

    def list_for_account(self, account_id: str) -> list[Webhook | DamagedWebhook]:
        """Every webhook of one account: one Query (paged through), never a Scan."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "account_id = :account AND webhook_id >= :first",
            "ExpressionAttributeValues": {":account": {"S": account_id}, ":first": {"S": FIRST_WEBHOOK_ID}},
        }
        return [read_webhook(item, self._opener) for item in query_items(self._client, request)]


def read_webhook(item: dict[str, Any], opener: SecretOpener) -> Webhook | DamagedWebhook:
    """The webhook a stored item holds, or the item as a DamagedWebhook when it does not read back. Its
    sealed secrets are opened by `opener` when first used, not here."""
    fields = _entity_fields(from_item(item), opener)
    try:
        return Webhook.model_validate(fields)
    except ValidationError as error:  # its text quotes the input, secrets included: keep only the places
        found = {".".join(map(str, problem["loc"])) for problem in error.errors()}
        places = sorted(place for place in found if not any(other.startswith(f"{place}.") for other in found))
        damaged = {place.split(".", 1)[0] for place in places}
        return DamagedWebhook(
            account_id=item["account_id"]["S"],
            webhook_id=item["webhook_id"]["S"],
            fields=tuple(places),
            readable={name: value for name, value in fields.items() if name not in damaged},
        )


def _entity_fields(document: dict[str, Any], opener: SecretOpener) -> dict[str, Any]:
    """A stored document by the entity's field names (WebhookItem.from_entity the other way). A missing
    attribute reads as None, so the entity names it as wrong rather than filling in a default."""
    fields = {name: document.get(name) for name in Webhook.model_fields}
    if isinstance(secrets := document.get("secrets"), list):
        opening = partial(opener.open, str(document.get("account_id")), str(document.get("webhook_id")))
        fields["secrets"] = [_secret_fields(secret, opening) for secret in secrets]
    fields["connect_timeout_seconds"] = _seconds(document.get("connect_timeout_ms"))
    fields["read_timeout_seconds"] = _seconds(document.get("read_timeout_ms"))
    fields["filter"] = _json(document.get("filter"))
    return fields


def _secret_fields(stored: Any, opening: Callable[[str], str]) -> Any:
    """A stored secret by SigningSecret's fields: a sealed one as a SealedSecret, a plain one (or one that does
    not read) as it is, so the entity names what is wrong."""
    if not isinstance(stored, dict) or not isinstance(sealed := stored.get("sealed"), str):
        return stored
    try:
        scheme = SignatureScheme(str(stored.get("scheme")))
    except ValueError:
        return stored
    value = SealedSecret(sealed, opening, scheme, stored.get("public_key"))
    return {"value": value, "created_at": stored.get("created_at"), "expires_at": stored.get("expires_at")}


def _json(text: Any) -> Any:
    """Stored JSON text as its value; text that is not JSON stays as it is, so the entity names the field damaged."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _seconds(milliseconds: Any) -> float | None:
    whole = isinstance(milliseconds, int) and not isinstance(milliseconds, bool)
    return milliseconds / 1000 if whole else None
