"""Domain-table writes that produce every one of the 19 events, as a platform service would.

Each write names the events it must produce, so the demo knows what to expect and a test can check the
list against the stream records the writes really cause. Updates replace the whole item with put_item
(an update_item that creates an item gives two INSERTs on moto; AWS gives one).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from boto3.dynamodb.types import TypeSerializer


@dataclass(frozen=True)
class Write:
    table: str  # stack.json's logical table name
    action: Literal["put", "delete"]
    item: dict[str, Any]  # the whole item for put, the key for delete
    expects: tuple[str, ...]


def demo_writes(account_id: str, environment: str, run: str | None = None) -> list[Write]:
    run = run or uuid.uuid4().hex[:8]
    scope = {"account_id": account_id, "environment": environment}

    def item(prefix: str, **fields: Any) -> dict[str, Any]:
        return {"id": f"{prefix}-{run}", **scope, **fields}

    license_ = item("lic", product_id=f"prd-{run}", status="inactive", assignee="", seats=5)
    activation = item("act", license_id=license_["id"], device="laptop-1", status="succeeded")
    failed_activation = item("act-failed", license_id=license_["id"], device="laptop-2", status="failed")
    product = item("prd", name="Designer Pro", tier="standard")
    contract = item("con", customer="Example Corp", status="active", seats=50)
    writes = [
        Write("licenses", "put", license_, ("license.created",)),
        Write("licenses", "put", license_ | {"assignee": "alice@example.com"}, ("license.updated", "license.assigned")),
    ]
    for status, event in [
        ("active", "license.activated"),
        ("inactive", "license.deactivated"),
        ("suspended", "license.suspended"),
        ("expired", "license.expired"),
        ("revoked", "license.revoked"),
    ]:
        writes.append(
            Write(
                "licenses",
                "put",
                license_ | {"assignee": "alice@example.com", "status": status},
                ("license.updated", event),
            )
        )
    return [
        *writes,
        Write("licenses", "delete", {"id": license_["id"]}, ("license.deleted",)),
        Write("activations", "put", activation, ("activation.created",)),
        Write("activations", "put", failed_activation, ("activation.failed",)),
        Write("activations", "put", activation | {"status": "failed"}, ("activation.failed",)),
        Write("activations", "delete", {"id": activation["id"]}, ("activation.deleted",)),
        Write("products", "put", product, ("product.created",)),
        Write("products", "put", product | {"tier": "premium"}, ("product.updated",)),
        Write("products", "delete", {"id": product["id"]}, ("product.deleted",)),
        Write("contracts", "put", contract, ("contract.created",)),
        Write("contracts", "put", contract | {"seats": 80}, ("contract.updated",)),
        Write(
            "contracts",
            "put",
            contract | {"seats": 80, "status": "suspended"},
            ("contract.updated", "contract.suspended"),
        ),
        Write("contracts", "delete", {"id": contract["id"]}, ("contract.deleted",)),
    ]


def expected_events(writes: list[Write]) -> Counter[str]:
    return Counter(event for write in writes for event in write.expects)


def apply_writes(writes: list[Write], dynamodb: Any, tables: dict[str, str]) -> None:
    """Write in order with a boto3 DynamoDB client (the stream keeps that order per item)."""
    serializer = TypeSerializer()
    for write in writes:
        document = {name: serializer.serialize(value) for name, value in write.item.items()}
        if write.action == "put":
            dynamodb.put_item(TableName=tables[write.table], Item=document)
        else:
            dynamodb.delete_item(TableName=tables[write.table], Key=document)
