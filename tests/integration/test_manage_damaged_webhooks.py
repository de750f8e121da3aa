"""Issue 19: what the API accepts reads back, and a stored webhook that does not read back breaks only itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import a_webhook_request
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ManageApi


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
