"""Secrets at rest under KMS (moto): manage seals them, deliver opens them with one KMS call per data key and
cache period, emit never calls KMS, a sealed secret opens only for its own webhook, and no secret is in the table.
Items written before sealing still read and deliver, and are sealed by their next write or by the tool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.integration.conftest import MotoAws
from tests.support.builders import SECRET, a_delivery_message, a_license, a_stored_webhook, a_webhook
from tests.support.events import sqs_event
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ManageApi
from tests.support.receivers import Receiver
from tests.support.streams import Platform
from tools.seal_stored_secrets import StoredSecretSealing
from webhooks.adapters.secret_sealer import KmsSecretSealer
from webhooks.catalogue import Environment

ACME = "acme"


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


def _kms() -> Any:
    return boto3.Session(region_name="us-east-1").client("kms")


def _sealer(aws: MotoAws, **options: Any) -> KmsSecretSealer:
    return KmsSecretSealer(_kms(), aws.deployed.keys["SecretsKey"], **options)


def _item(aws: MotoAws, webhook_id: str, account_id: str = ACME) -> dict[str, Any]:
    item: dict[str, Any] = (
        boto3.Session(region_name="us-east-1")
        .client("dynamodb")
        .get_item(
            TableName=aws.deployed.tables["WebhooksTable"],
            Key={"account_id": {"S": account_id}, "webhook_id": {"S": webhook_id}},
        )["Item"]
    )
    return item


def _opened(aws: MotoAws, item: dict[str, Any]) -> list[str]:
    opener = KmsSecretSealer(_kms(), None)
    account, webhook = item["account_id"]["S"], item["webhook_id"]["S"]
    return [opener.open(account, webhook, entry["M"]["sealed"]["S"]) for entry in item["secrets"]["L"]]


def test_a_created_webhook_holds_its_secret_sealed_and_the_reveal_still_shows_it(api: ManageApi, aws: MotoAws) -> None:
    # When an admin creates a webhook
    created = api.create()
    item = _item(aws, created["webhook_id"])
    # Then no attribute holds its secret, in any part, and the stored secret is sealed with its scheme beside it
    secret = created["secret"]
    assert secret.removeprefix("whsec_") not in str(item)
    (entry,) = item["secrets"]["L"]
    assert set(entry["M"]) == {"sealed", "scheme", "created_at"}
    assert entry["M"]["scheme"] == {"S": "v1"}
    # And it opens with KMS to the secret shown once, which the reveal shows again
    assert _opened(aws, item) == [secret]
    assert [entry["secret"] for entry in api("GET", f"/webhooks/{created['webhook_id']}/secret").body["secrets"]] == [
        secret
    ]


def test_a_sealed_secret_opens_only_for_the_webhook_it_was_sealed_for(aws: MotoAws) -> None:
    # Given a secret sealed for acme's webhook wh-1
    sealed = _sealer(aws).seal(ACME, "wh-1", SECRET)
    # Then it opens for that webhook, and KMS refuses it for another account's or another webhook's item
    assert KmsSecretSealer(_kms(), None).open(ACME, "wh-1", sealed) == SECRET
    for account, webhook in [("globex", "wh-1"), (ACME, "wh-2")]:
        with pytest.raises(ClientError, match="InvalidCiphertextException"):
            KmsSecretSealer(_kms(), None).open(account, webhook, sealed)
    # And no part of the secret is in the sealed text
    assert SECRET.removeprefix("whsec_") not in sealed


def test_a_container_opens_each_data_key_with_kms_once_per_cache_period(aws: MotoAws) -> None:
    # Given a sealed secret and an opener whose KMS calls are counted
    sealed = _sealer(aws).seal(ACME, "wh-1", SECRET)
    kms, now = _kms(), [0.0]
    decrypts: list[str] = []
    kms.meta.events.register("before-call.kms.Decrypt", lambda **_: decrypts.append("decrypt"))
    opener = KmsSecretSealer(kms, None, cache_seconds=300, clock=lambda: now[0])
    # When it is opened 50 times (a batch signing many messages), then once more after the cache period
    opened = {opener.open(ACME, "wh-1", sealed) for _ in range(50)}
    first_period = len(decrypts)
    now[0] = 301.0
    opener.open(ACME, "wh-1", sealed)
    # Then KMS was called once in each period
    assert opened == {SECRET}
    assert (first_period, len(decrypts)) == (1, 2)


def test_deliver_signs_with_a_sealed_secret_and_emit_routes_without_calling_kms(
    aws: MotoAws, receiver: Receiver, handler_for: Callable[..., LoadedHandler]
) -> None:
    # Given a webhook stored as manage stores it (its secret sealed)
    webhook = a_webhook(url=receiver.url("/ok"), environment=Environment.DEVELOPMENT)
    platform = Platform(aws.deployed)
    platform.register_sealed(webhook)
    deliver = handler_for("DeliverFunction", ALLOW_LOOPBACK_DELIVERY="true", ALLOW_HTTP_FOR_DEVELOPMENT="true")
    emit = handler_for("EmitFunction")
    # When emit routes a license write to it, and deliver sends a message for it
    platform.put("LicensesTable", a_license())
    assert emit(platform.stream_event("LicensesTable")) == {"batchItemFailures": []}
    message = a_delivery_message(webhook_id=webhook.webhook_id, environment=Environment.DEVELOPMENT)
    assert deliver(sqs_event(message.model_dump_json())) == {"batchItemFailures": []}
    # Then the delivery verifies with the secret, deliver opened it with KMS, and emit made no KMS call
    (request,) = receiver.requests
    StandardWebhook(SECRET).verify(request.body, request.headers)
    assert any(call.action == "kms:Decrypt" for call in deliver.performed)
    assert not [call for call in emit.performed if call.action.startswith("kms:")]


def test_an_item_written_before_sealing_still_reads_and_its_next_write_seals_it(api: ManageApi, aws: MotoAws) -> None:
    # Given a webhook stored before secrets were sealed (its secret in plain text)
    webhook = a_webhook()
    boto3.Session(region_name="us-east-1").client("dynamodb").put_item(
        TableName=aws.deployed.tables["WebhooksTable"], Item=a_stored_webhook(webhook)
    )
    path = f"/webhooks/{webhook.webhook_id}"
    # When an admin reads its secret, then changes its description
    revealed = api("GET", f"{path}/secret").body["secrets"]
    patched = api("PATCH", path, body={"description": "sealed at this write"})
    # Then the secret read as before, and the write stored it sealed, the same secret
    assert [entry["secret"] for entry in revealed] == [SECRET]
    assert patched.status == 200
    item = _item(aws, webhook.webhook_id)
    assert all("value" not in entry["M"] for entry in item["secrets"]["L"])
    assert _opened(aws, item) == [SECRET]


def test_the_tool_seals_every_item_holding_a_plain_secret_and_leaves_the_others(aws: MotoAws) -> None:
    # Given two webhooks stored before sealing, one sealed, and one stored before sealing that does not read back
    plain = [a_webhook(webhook_id=f"wh-plain-{index}") for index in range(2)]
    sealed = a_webhook(webhook_id="wh-sealed")
    platform = Platform(aws.deployed)
    platform.store(*(a_stored_webhook(webhook) for webhook in plain))
    platform.register_sealed(sealed)
    platform.store(a_stored_webhook(a_webhook(webhook_id="wh-damaged"), read_timeout_ms=0))
    sealed_before = _item(aws, "wh-sealed")
    tool = StoredSecretSealing(platform.dynamodb, aws.deployed.tables["WebhooksTable"], _sealer(aws))
    # When the tool runs, then runs again
    first, second = tool.run(), tool.run()
    # Then it sealed the two plain ones (same secret, same version), left the sealed and the damaged one alone,
    # and its second run changed nothing
    assert (first.scanned, first.sealed, first.already_sealed, first.damaged) == (4, 2, 1, 1)
    assert (second.sealed, second.already_sealed, second.damaged) == (0, 3, 1)
    for webhook in plain:
        item = _item(aws, webhook.webhook_id)
        assert "value" not in str(item["secrets"])
        assert (_opened(aws, item), item["version"]) == ([SECRET], {"N": "1"})
    assert _item(aws, "wh-sealed") == sealed_before
    assert "value" in str(_item(aws, "wh-damaged")["secrets"])
