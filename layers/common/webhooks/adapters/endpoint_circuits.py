"""Endpoints' circuit breakers in DynamoDB: one item per webhook, written only on a change, each write
conditional on the version it was read at, so concurrent deliver invocations never overwrite each other.

Key: account_id (hash) + webhook_id (range), as the webhooks table. An item expires (TTL) a week after
its last change; a circuit with no item is closed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from webhooks.adapters.dynamo_batches import Sleep, batch_get_items
from webhooks.adapters.dynamo_codec import from_item, to_item
from webhooks.adapters.keys import webhook_key
from webhooks.delivery.circuit import Circuit, CircuitState, Lease

# Long enough to outlast the longest open run the alarm cares about; a forgotten circuit reads as closed.
CIRCUIT_RETENTION = timedelta(days=7)


class LeaseItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lease_id: str
    count: int
    until: datetime


class CircuitItem(BaseModel):
    """The item as stored (mapped explicitly from the domain's Circuit and back). A Circuit field this item
    does not declare is refused, not dropped."""

    model_config = ConfigDict(extra="forbid")

    account_id: str
    webhook_id: str
    state: CircuitState
    consecutive_failures: int
    reopenings: int
    open_until: datetime | None = None
    opened_at: datetime | None = None
    probe_until: datetime | None = None
    slow_until: datetime | None = None
    fast_until: datetime | None = None
    leases: list[LeaseItem] = []
    rate_window: datetime | None = None
    rate_used: int = 0
    version: int
    expires_at: int

    @classmethod
    def of(cls, circuit: Circuit, written_at: datetime) -> CircuitItem:
        return cls(**asdict(circuit), expires_at=int((written_at + CIRCUIT_RETENTION).timestamp()))

    def circuit(self) -> Circuit:
        fields = self.model_dump(exclude={"expires_at", "leases"})
        return Circuit(**fields, leases=tuple(Lease(**lease.model_dump()) for lease in self.leases))


class DynamoEndpointCircuits:
    def __init__(self, client: Any, table: str, sleep: Sleep = time.sleep) -> None:
        self._client = client
        self._table = table
        self._sleep = sleep

    def read_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Circuit]:
        """Every key's circuit (consistent reads: a probe lease just won elsewhere must be seen)."""
        wanted = sorted(set(keys))
        stored = batch_get_items(self._client, self._table, [webhook_key(*key) for key in wanted], self._sleep)
        circuits = (CircuitItem.model_validate(from_item(item)).circuit() for item in stored)
        found = {(circuit.account_id, circuit.webhook_id): circuit for circuit in circuits}
        return {key: found.get(key) or Circuit(account_id=key[0], webhook_id=key[1]) for key in wanted}

    def save(self, circuit: Circuit) -> bool:
        """Write the circuit if the stored one is still the version it was read at; False if not."""
        item = CircuitItem.of(circuit, datetime.now(UTC))
        read_at = circuit.version - 1
        condition: dict[str, Any] = (
            {
                "ConditionExpression": "version = :read_at",
                "ExpressionAttributeValues": {":read_at": {"N": str(read_at)}},
            }
            if read_at
            else {"ConditionExpression": "attribute_not_exists(version)"}
        )
        try:
            self._client.put_item(
                TableName=self._table, Item=to_item(item.model_dump(mode="json", exclude_none=True)), **condition
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
