"""An admin sees each webhook's endpoint as deliver sees it: healthy, failing, or its circuit open until
a time, in the webhook's view and in the list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import a_webhook_request
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ManageApi
from webhooks.adapters.endpoint_circuits import DynamoEndpointCircuits
from webhooks.delivery.circuit import Circuit, CircuitState


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


@pytest.fixture
def circuits(aws: MotoAws) -> DynamoEndpointCircuits:
    """Deliver's side: the circuits as deliver writes them."""
    return DynamoEndpointCircuits(aws.session.client("dynamodb"), aws.deployed.tables["EndpointCircuitsTable"])


def test_an_open_circuit_shows_in_the_view_and_the_list_and_a_new_webhook_is_healthy(
    api: ManageApi, circuits: DynamoEndpointCircuits
) -> None:
    # Given two webhooks, and deliver having opened the circuit of one of them
    created = api("POST", "/webhooks", body=a_webhook_request(name="down"))
    down = created.body["webhook_id"]
    up = api("POST", "/webhooks", body=a_webhook_request(name="up")).body["webhook_id"]
    open_until = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    down_since = open_until - timedelta(hours=1)
    opened = Circuit(
        account_id="acme",  # ADMIN's account
        webhook_id=down,
        state=CircuitState.OPEN,
        consecutive_failures=7,
        reopenings=2,
        open_until=open_until,
        opened_at=down_since,
        version=1,
    )
    assert circuits.save(opened)
    # When the admin reads it and lists the account's webhooks
    read = api("GET", f"/webhooks/{down}")
    listed = {item["webhook_id"]: item["endpoint"] for item in api("GET", "/webhooks").body["items"]}
    # Then both say its circuit is open, until when, and since when the endpoint is down
    shown = {
        "state": "circuit_open",
        "consecutive_failures": 7,
        "open_until": open_until.isoformat().replace("+00:00", "Z"),
        "down_since": down_since.isoformat().replace("+00:00", "Z"),
        "slow_lane_until": None,
    }
    assert _circuit(read.body["endpoint"]) == shown
    assert _circuit(listed[down]) == shown
    # And the other webhook, like a webhook just created, is healthy
    healthy = {
        "state": "healthy",
        "consecutive_failures": 0,
        "open_until": None,
        "down_since": None,
        "slow_lane_until": None,
    }
    assert _circuit(listed[up]) == healthy
    assert _circuit(created.body["endpoint"]) == healthy
    assert (created.body["endpoint"]["attempts_24h"], created.body["endpoint"]["success_rate_24h"]) == (0, None)


def _circuit(endpoint: dict[str, Any]) -> dict[str, Any]:
    """The view's circuit fields (the rest is the last day's counters, tested with the stats)."""
    names = ("state", "consecutive_failures", "open_until", "down_since", "slow_lane_until")
    return {name: endpoint[name] for name in names}


@pytest.mark.parametrize("refused", [0, 1001, 2.5, "5", True])
def test_a_rate_limit_is_a_whole_number_of_posts_a_second_from_1_to_1000(api: ManageApi, refused: object) -> None:
    answer = api("POST", "/webhooks", body=a_webhook_request(rate_limit_per_second=refused))
    assert (answer.status, answer.body["errors"][0]["pointer"]) == (422, "/rate_limit_per_second")
    assert api("GET", "/webhooks").body["items"] == []


def test_a_rate_limit_is_set_shown_changed_and_cleared(api: ManageApi) -> None:
    # Given a webhook created with a limit of 5 a second
    created = api("POST", "/webhooks", body=a_webhook_request(rate_limit_per_second=5))
    webhook_id = created.body["webhook_id"]
    assert created.body["rate_limit_per_second"] == 5
    # When it is changed to 20, and then cleared with null
    changed = api("PATCH", f"/webhooks/{webhook_id}", body={"rate_limit_per_second": 20})
    cleared = api("PATCH", f"/webhooks/{webhook_id}", body={"rate_limit_per_second": None})
    # Then each answer and a read show it, and the history records each change
    assert (changed.body["rate_limit_per_second"], cleared.body["rate_limit_per_second"]) == (20, None)
    assert api("GET", f"/webhooks/{webhook_id}").body["rate_limit_per_second"] is None
    history = api("GET", f"/webhooks/{webhook_id}/audit").body["items"]
    changes = [entry["changes"].get("rate_limit_per_second") for entry in history if entry["action"] == "updated"]
    assert changes == [{"before": 20, "after": None}, {"before": 5, "after": 20}]
