"""Ed25519 (`v1a`) webhooks through the manage handler on moto: the private key never leaves, the public key is
shown, and switching scheme is a rotation; deliver signs with the key, verified with the public key."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.integration.conftest import MotoAws
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import READER, ManageApi
from webhooks.adapters.secret_sealer import KmsSecretSealer


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


def _stored_secrets(aws: MotoAws, webhook_id: str) -> list[str]:
    """The item's secrets, each opened with KMS (the item holds them sealed only)."""
    item = aws.session.client("dynamodb").get_item(
        TableName=aws.deployed.tables["WebhooksTable"],
        Key={"account_id": {"S": "acme"}, "webhook_id": {"S": webhook_id}},
    )["Item"]
    opener = KmsSecretSealer(aws.session.client("kms"), None)
    assert all("value" not in entry["M"] for entry in item["secrets"]["L"])
    return [opener.open("acme", webhook_id, entry["M"]["sealed"]["S"]) for entry in item["secrets"]["L"]]


def test_a_v1a_webhook_shows_its_public_key_and_never_its_private_key(api: ManageApi, aws: MotoAws) -> None:
    # When an admin creates a v1a webhook
    created = api.create(signature_scheme="v1a")
    webhook_id = created["webhook_id"]
    # Then no secret is returned, and the view carries the whpk_ public key of the stored private key
    assert (created["signature_scheme"], created["secret"]) == ("v1a", None)
    public = created["public_key"]
    assert public.startswith("whpk_")
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public.removeprefix("whpk_")))  # a real 32-byte key
    (private,) = _stored_secrets(aws, webhook_id)
    assert private.startswith("whsk_")
    # And neither the reads, nor the reveal, nor the public-keys route (which a reader may call) show it
    answers = [
        api("GET", f"/webhooks/{webhook_id}"),
        api("GET", "/webhooks"),
        api("GET", f"/webhooks/{webhook_id}/secret"),
        api("GET", f"/webhooks/{webhook_id}/public-keys", caller=READER),
    ]
    assert [answer.status for answer in answers] == [200] * 4
    assert all(private not in str(answer.body) for answer in answers)
    revealed = answers[2].body["secrets"]
    assert [(entry["signature_scheme"], entry["secret"], entry["public_key"]) for entry in revealed] == [
        ("v1a", None, public)
    ]
    assert [key["public_key"] for key in answers[3].body["keys"]] == [public]


def test_switching_to_v1a_by_rotation_keeps_the_v1_secret_signing_and_lists_the_new_key(api: ManageApi) -> None:
    # Given a v1 webhook
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    assert (created["signature_scheme"], created["public_key"]) == ("v1", None)
    # When it is rotated to v1a with an hour of grace
    rotated = api("POST", f"{path}/secret/rotate", body={"grace_period_seconds": 3600, "signature_scheme": "v1a"})
    # Then no secret is shown, the new public key is, and the old v1 secret still signs (revealed as such)
    assert rotated.status == 200
    assert (rotated.body["signature_scheme"], rotated.body["secret"]) == ("v1a", None)
    schemes = [entry["signature_scheme"] for entry in api("GET", f"{path}/secret").body["secrets"]]
    assert schemes == ["v1a", "v1"]
    keys = api("GET", f"{path}/public-keys").body["keys"]
    assert [key["public_key"] for key in keys] == [rotated.body["public_key"]]
    # And the history records the switch
    (rotation,) = [entry for entry in api("GET", f"{path}/audit").body["items"] if entry["action"] == "secret_rotated"]
    assert rotation["changes"]["signature_scheme"] == {"before": "v1", "after": "v1a"}


def test_a_patch_back_to_v1_is_a_rotation_whose_new_secret_is_shown_once(api: ManageApi) -> None:
    # Given a v1a webhook
    created = api.create(signature_scheme="v1a")
    path = f"/webhooks/{created['webhook_id']}"
    # When a PATCH switches it to v1
    switched = api("PATCH", path, body={"signature_scheme": "v1"})
    # Then the answer carries the new whsec_ secret once, and the v1a key signs on for the grace period
    assert switched.status == 200
    assert switched.body["signature_scheme"] == "v1"
    assert switched.body["secret"].startswith("whsec_")
    assert switched.headers["Cache-Control"] == "no-store"
    assert switched.body["previous_secret_expires_at"] is not None
    assert [key["public_key"] for key in api("GET", f"{path}/public-keys").body["keys"]] == [created["public_key"]]
    # And a PATCH naming the scheme it already has changes nothing and shows no secret
    again = api("PATCH", path, body={"signature_scheme": "v1"})
    assert (again.body["version"], again.body["secret"]) == (switched.body["version"], None)


def test_an_unknown_scheme_is_refused(api: ManageApi) -> None:
    answer = api(
        "POST",
        "/webhooks",
        body={
            "name": "n",
            "url": "https://hooks.example.com/h",
            "environment": "staging",
            "events": ["*"],
            "signature_scheme": "v2",
        },
    )
    assert (answer.status, answer.body["errors"][0]["field"]) == (422, "signature_scheme")
