"""Issue 19: what the API accepts reads back, and a stored webhook that does not read back breaks only itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import a_webhook_request
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ManageApi
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.webhook_store import QUOTA_ITEM_ID


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


@pytest.mark.parametrize("field", ["connect_timeout_seconds", "read_timeout_seconds"])
def test_a_timeout_finer_than_a_millisecond_is_refused_and_nothing_is_stored(
    api: ManageApi, aws: MotoAws, field: str
) -> None:
    # Given an account with a webhook
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    # When a webhook is created, or changed, with a timeout of 0.4 ms (the store keeps whole milliseconds)
    create = api("POST", "/webhooks", body=a_webhook_request(**{field: 0.0004}))
    patch = api("PATCH", path, body={field: 0.0004})
    # Then both are refused as problems pointing at the field
    for answer in (create, patch):
        assert (answer.status, answer.problem_type) == (422, "invalid-input")
        assert [error["pointer"] for error in answer.body["errors"]] == [f"/{field}"]
    # And nothing changed: the account lists its one webhook, still at version 1
    listed = api("GET", "/webhooks")
    assert (listed.status, [item["version"] for item in listed.body["items"]]) == (200, [1])
    assert aws.session.client("dynamodb").scan(TableName=aws.deployed.tables["WebhooksTable"])["Count"] == 2  # + quota


def _damage(aws: MotoAws, webhook_id: str, **stored: Any) -> None:
    """Store attributes of a webhook as they were left by the defect (None removes one), behind the API's back."""
    client = boto3.session.Session(region_name="us-east-1").client("dynamodb")
    table = aws.deployed.tables["WebhooksTable"]
    key = {"account_id": {"S": "acme"}, "webhook_id": {"S": webhook_id}}
    changed = client.get_item(TableName=table, Key=key)["Item"] | to_item(stored)
    removed = {name for name, value in stored.items() if value is None}
    client.put_item(TableName=table, Item={name: value for name, value in changed.items() if name not in removed})


def _quota_count(aws: MotoAws) -> int:
    client = boto3.session.Session(region_name="us-east-1").client("dynamodb")
    key = {"account_id": {"S": "acme"}, "webhook_id": {"S": QUOTA_ITEM_ID}}
    item = client.get_item(TableName=aws.deployed.tables["WebhooksTable"], Key=key)["Item"]
    return int(item["webhook_count"]["N"])


def test_the_list_shows_a_damaged_webhook_apart_and_every_other_webhook_as_usual(api: ManageApi, aws: MotoAws) -> None:
    # Given three webhooks, the middle one (by id) stored with a 0 ms read timeout, as 0.0004 s was
    created = sorted((api.create(name=f"hook {index}") for index in range(3)), key=lambda body: body["webhook_id"])
    first, damaged, last = (body["webhook_id"] for body in created)
    _damage(aws, damaged, read_timeout_ms=0)
    # When the account's webhooks are listed, in one page and in pages of one
    whole = api("GET", "/webhooks")
    pages = [api("GET", "/webhooks", query={"limit": "1"})]
    while pages[-1].body["next_cursor"]:
        pages.append(api("GET", "/webhooks", query={"limit": "1", "cursor": pages[-1].body["next_cursor"]}))
    # Then the listing answers with the two healthy webhooks, and the damaged one apart, by id and field only
    assert whole.status == 200
    assert [item["webhook_id"] for item in whole.body["items"]] == [first, last]
    assert whole.body["damaged"] == [
        {
            "webhook_id": damaged,
            "damaged_fields": ["read_timeout_seconds"],
            "version": 1,
            "detail": f"webhook {damaged} is stored with values that do not read back (read_timeout_seconds): "
            "PATCH it with valid values for these fields, or DELETE it",
        }
    ]
    # And paging shows each webhook once, the damaged one on the page whose range holds it
    assert [[item["webhook_id"] for item in page.body["items"]] for page in pages] == [[first], [last]]
    assert [[item["webhook_id"] for item in page.body["damaged"]] for page in pages] == [[], [damaged]]
    # And no secret is in any of it
    for secret in (body["secret"] for body in created):
        assert secret not in json.dumps([whole.body, *[page.body for page in pages]])


def test_a_damaged_webhook_reads_as_a_problem_that_says_how_to_repair_it(api: ManageApi, aws: MotoAws) -> None:
    # Given a webhook stored with a 0 ms connect timeout
    webhook_id = api.create()["webhook_id"]
    _damage(aws, webhook_id, connect_timeout_ms=0)
    path = f"/webhooks/{webhook_id}"
    # When it is read, its secret revealed, or its delivery log read
    read, reveal, log = api("GET", path), api("GET", f"{path}/secret"), api("GET", f"{path}/deliveries")
    # Then a read is a 409 naming the field and the version to repair it at; so is a reveal
    for answer in (read, reveal):
        assert (answer.status, answer.problem_type) == (409, "webhook-damaged")
        assert (answer.body["damaged_fields"], answer.body["current_version"]) == (["connect_timeout_seconds"], 1)
        assert "PATCH" in answer.body["detail"]
    # And its delivery log still reads, where its failed deliveries show why they failed
    assert (log.status, log.body["items"]) == (200, [])


def test_a_patch_that_sets_every_damaged_field_repairs_the_webhook_and_is_audited(api: ManageApi, aws: MotoAws) -> None:
    # Given a webhook stored with a 0 ms read timeout
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    _damage(aws, created["webhook_id"], read_timeout_ms=0)
    # When a PATCH leaves the damaged field out, then one sets it (at the version the problem named)
    incomplete = api("PATCH", path, body={"name": "Renamed"})
    repaired = api("PATCH", path, body={"name": "Renamed", "read_timeout_seconds": 2.5}, headers={"if-match": '"1"'})
    # Then the first is refused as still damaged and changes nothing; the second repairs it
    assert (incomplete.status, incomplete.problem_type) == (409, "webhook-damaged")
    assert repaired.status == 200
    assert (repaired.body["read_timeout_seconds"], repaired.body["name"], repaired.body["version"]) == (
        2.5,
        "Renamed",
        2,
    )
    assert repaired.body["url"] == created["url"]
    # And it reads, lists and signs as before: same secret, nothing damaged left
    assert api("GET", path).status == 200
    assert api("GET", "/webhooks").body["damaged"] == []
    assert [secret["secret"] for secret in api("GET", f"{path}/secret").body["secrets"]] == [created["secret"]]
    # And the repair is in its history: the damaged field had no readable value
    (update,) = [entry for entry in api("GET", f"{path}/audit").body["items"] if entry["action"] == "updated"]
    assert update["changes"] == {
        "name": {"before": "Billing sync", "after": "Renamed"},
        "read_timeout_seconds": {"before": None, "after": 2.5},
    }


@pytest.mark.parametrize("stored", [{"read_timeout_ms": 0}, {"version": None, "secrets": []}])
def test_a_damaged_webhook_can_be_deleted_and_frees_its_quota_place(
    api: ManageApi, aws: MotoAws, stored: dict[str, Any]
) -> None:
    # Given two webhooks, one stored with values that do not read back (even its version, or its secrets)
    keep, damaged = api.create()["webhook_id"], api.create()["webhook_id"]
    _damage(aws, damaged, **stored)
    assert _quota_count(aws) == 2
    # When the damaged one is deleted
    deleted = api("DELETE", f"/webhooks/{damaged}")
    # Then it is gone, its quota place is free, the deletion is audited, and the other webhook is untouched
    assert deleted.status == 204
    assert api("GET", f"/webhooks/{damaged}").status == 404
    assert _quota_count(aws) == 1
    assert [entry["action"] for entry in api("GET", f"/webhooks/{damaged}/audit").body["items"]] == [
        "deleted",
        "created",
    ]
    listed = api("GET", "/webhooks").body
    assert ([item["webhook_id"] for item in listed["items"]], listed["damaged"]) == ([keep], [])
