"""Audit trail, quota and the all-or-nothing writes behind the management API."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import NOW, a_webhook
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ADMIN, OTHER_ADMIN, ManageApi
from tests.support.sealing import FakeSealer
from webhooks.adapters.audit_log import DynamoAuditTrail
from webhooks.adapters.operational_events import DynamoOperationalEvents
from webhooks.adapters.webhook_repository import DynamoWebhookRepository
from webhooks.domain.audit import AuditAction, AuditRecord
from webhooks.domain.errors import PreconditionFailed


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction", WEBHOOK_QUOTA_PER_ACCOUNT="2"))


def _scan(aws: MotoAws, table: str) -> list[Any]:
    """The test's own look at a table, on a client the handler's call recorder does not watch."""
    client = boto3.session.Session(region_name="us-east-1").client("dynamodb")
    return list(client.scan(TableName=aws.deployed.tables[table])["Items"])


def test_every_change_is_audited_with_who_what_before_and_after_and_never_a_secret(
    api: ManageApi, aws: MotoAws
) -> None:
    # Given a webhook created, changed, disabled, rotated, revealed and deleted
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    api("PATCH", path, body={"name": "Renamed", "url": "https://hooks.example.com/v2"})
    api("PATCH", path, body={"enabled": False})
    rotated = api("POST", f"{path}/secret/rotate", body={"grace_period_seconds": 60}).body
    api("GET", f"{path}/secret")
    # When its history is read
    history = api("GET", f"{path}/audit").body["items"]
    # Then it lists every action, newest first, by the token's subject
    assert [entry["action"] for entry in history] == [
        "secret_revealed",
        "secret_rotated",
        "disabled",
        "updated",
        "created",
    ]
    assert {entry["actor"] for entry in history} == {ADMIN["sub"]}
    assert history[3]["changes"] == {
        "name": {"before": "Billing sync", "after": "Renamed"},
        "url": {"before": "https://hooks.example.com/licenses", "after": "https://hooks.example.com/v2"},
    }
    assert history[2]["changes"] == {"enabled": {"before": True, "after": False}}
    assert history[4]["changes"]["events"] == {"before": None, "after": ["license.*"]}
    # And the history survives the webhook, still within the account
    assert api("DELETE", path).status == 204
    after_delete = api("GET", f"{path}/audit").body["items"]
    assert after_delete[0]["action"] == "deleted"
    assert after_delete[0]["changes"]["name"] == {"before": "Renamed", "after": None}
    # And no secret is stored anywhere in the audit table
    stored = str(_scan(aws, "AuditTable"))
    assert created["secret"] not in stored
    assert rotated["secret"] not in stored
    assert "whsec_" not in stored


def test_the_history_pages_with_a_cursor(api: ManageApi) -> None:
    path = f"/webhooks/{api.create()['webhook_id']}"
    for index in range(4):
        api("PATCH", path, body={"name": f"Name {index}"})
    first = api("GET", f"{path}/audit", query={"limit": "3"}).body
    second = api("GET", f"{path}/audit", query={"limit": "3", "cursor": first["next_cursor"]}).body
    ids = [entry["audit_id"] for entry in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert second["next_cursor"] is None
    foreign = api("GET", f"{path}/audit", caller=OTHER_ADMIN, query={"cursor": first["next_cursor"]})
    assert (foreign.status, foreign.problem_type) == (400, "invalid-cursor")


def test_the_quota_refuses_one_webhook_too_many_and_frees_a_place_on_delete(api: ManageApi, aws: MotoAws) -> None:
    # Given an account at its quota of two
    first = api.create()
    api.create()
    audit_records = len(_scan(aws, "AuditTable"))
    # When it registers a third
    refused = api("POST", "/webhooks", body={**_request(), "name": "third"})
    # Then it gets a 409 problem naming the quota, and nothing is stored or audited
    assert (refused.status, refused.problem_type, refused.body["quota"]) == (409, "quota-exceeded", 2)
    assert len(api("GET", "/webhooks").body["items"]) == 2
    assert len(_scan(aws, "AuditTable")) == audit_records
    # And another account is not affected, and a delete frees a place
    assert api("POST", "/webhooks", caller=OTHER_ADMIN, body=_request()).status == 201
    assert api("DELETE", f"/webhooks/{first['webhook_id']}").status == 204
    assert api("POST", "/webhooks", body=_request()).status == 201


def test_a_write_that_loses_a_race_leaves_no_audit_record(aws: MotoAws) -> None:
    # Given a stored webhook at version 1 (written through the repository, as the API does)
    client = aws.session.client("dynamodb")
    trail = DynamoAuditTrail(client, aws.deployed.tables["AuditTable"])
    events = DynamoOperationalEvents(client, aws.deployed.tables["OperationalEventsTable"])
    repository = DynamoWebhookRepository(client, aws.deployed.tables["WebhooksTable"], trail, FakeSealer(), events)
    webhook = a_webhook()
    repository.create(webhook, _record(webhook.webhook_id, AuditAction.CREATED), quota=5)
    # When a change based on an older version is written
    changed = webhook.model_copy(update={"name": "Late", "version": 2})
    with pytest.raises(PreconditionFailed):
        repository.replace(changed, 0, _record(webhook.webhook_id, AuditAction.UPDATED))
    with pytest.raises(PreconditionFailed):
        repository.delete(webhook.model_copy(update={"version": 7}), _record(webhook.webhook_id, AuditAction.DELETED))
    # Then neither the webhook nor the audit trail changed
    assert repository.get("acme", webhook.webhook_id) == webhook
    records, _ = trail.history("acme", webhook.webhook_id, None, 10)
    assert [record.action for record in records] == [AuditAction.CREATED]


def test_no_secret_reaches_the_logs(
    handler_for: Callable[..., LoadedHandler], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    # Our code and Powertools at DEBUG; botocore at the deployed level (its DEBUG dumps request bodies by design)
    caplog.set_level(logging.INFO)
    for name in ("webhooks", "aws_lambda_powertools"):
        caplog.set_level(logging.DEBUG, logger=name)
    api = ManageApi(handler_for("ManageFunction"))
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    rotated = api("POST", f"{path}/secret/rotate").body
    revealed = api("GET", f"{path}/secret").body
    assert [s["secret"] for s in revealed["secrets"]] == [rotated["secret"], created["secret"]]
    captured = capfd.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert logged  # the debug logs were captured, so their absence of secrets means something
    for secret in (created["secret"], rotated["secret"]):
        assert secret not in logged
        assert secret.removeprefix("whsec_") not in logged


def _request() -> dict[str, object]:
    return {"name": "n", "url": "https://hooks.example.com/x", "environment": "production", "events": ["*"]}


def _record(webhook_id: str, action: AuditAction) -> AuditRecord:
    return AuditRecord(
        account_id="acme", webhook_id=webhook_id, actor="admin@acme", action=action, recorded_at=NOW + timedelta()
    )


def test_an_admins_disabling_is_announced_as_webhook_disabled_in_the_same_write(api: ManageApi, aws: MotoAws) -> None:
    # Given a webhook
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    # When an admin renames it, then disables it, then enables it again
    api("PATCH", path, body={"name": "Renamed"})
    api("PATCH", path, body={"enabled": False})
    api("PATCH", path, body={"enabled": True})
    # Then one webhook.disabled was recorded for emit: the disabling, by that admin, with reason admin
    (item,) = _scan(aws, "OperationalEventsTable")
    assert (item["event"]["S"], item["about_webhook_id"]["S"]) == ("webhook.disabled", created["webhook_id"])
    data = json.loads(item["data"]["S"])
    assert (data["reason"], data["disabled_by"], data["webhook_name"]) == ("admin", ADMIN["sub"], "Renamed")
