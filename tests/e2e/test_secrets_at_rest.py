"""Secrets at rest on the running local stack, black box: the webhooks table, read as anyone with read access
to it would, holds no secret of any kind, while every delivery still verifies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.receiver import Receiver
from tests.e2e.conftest import Tenant, eventually

pytestmark = pytest.mark.e2e

SECRET_PREFIXES = ("whsec_", "whsk_")


def _texts(value: Any) -> Iterator[str]:
    """Every string and binary value in a DynamoDB attribute value, at any depth."""
    if isinstance(value, dict):
        for kind, inner in value.items():
            if kind in ("S", "N"):
                yield str(inner)
            elif kind == "B":
                yield bytes(inner).decode("latin-1")
            else:
                yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)


def test_a_scan_of_the_webhooks_table_finds_no_secret_while_every_delivery_verifies(
    tenant: Tenant, new_receiver: Callable[[], Receiver]
) -> None:
    # Given a v1 webhook rotated with a grace period (two HMAC secrets sign) and a v1a webhook (an Ed25519 key)
    hmac_receiver, ed25519_receiver = new_receiver(), new_receiver()
    hmac_id = tenant.subscribe(hmac_receiver)
    status, rotated = tenant.call("POST", f"/webhooks/{hmac_id}/secret/rotate", {"grace_period_seconds": 3600})
    assert status == 200, rotated
    hmac_receiver.add_secret(rotated["secret"])
    tenant.subscribe(ed25519_receiver, signature_scheme="v1a")
    _, revealed = tenant.call("GET", f"/webhooks/{hmac_id}/secret")
    hmac_secrets = [entry["secret"] for entry in revealed["secrets"]]
    assert len(hmac_secrets) == 2

    # When a license is written, and each webhook gets its event
    tenant.write(tenant.a_license())
    assert eventually(lambda: len(hmac_receiver.deliveries) == len(ed25519_receiver.deliveries) == 1)

    # Then each delivery verifies: the HMAC one with both secrets, the Ed25519 one with the public key
    assert hmac_receiver.deliveries[0].verified_by == (0, 1)
    assert ed25519_receiver.deliveries[0].verified_by == (0,)
    # And a scan of the whole table finds no secret prefix, and no part of either HMAC secret, in any attribute
    dynamodb, table = tenant.stack.info.client("dynamodb"), tenant.stack.info.tables["webhooks"]
    items = [item for page in dynamodb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]
    texts = [text for item in items for text in _texts(item)]
    assert len([item for item in items if item["account_id"]["S"] == tenant.account_id]) >= 2
    assert not [text for text in texts if any(prefix in text for prefix in SECRET_PREFIXES)]
    assert not [text for text in texts for secret in hmac_secrets if secret.removeprefix("whsec_")[:16] in text]
