"""A webhook's payload filter through the manage handler on moto: create, patch, view, audit, refusals that name
the bad clause, and POST /webhooks/filter-test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import a_webhook_request
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import READER, ManageApi

TWO_PRODUCTS = {"payload": {"product_id": {"$in": ["prod_a", "prod_b"]}, "seats": {"$gte": 2.5}}}


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


def _stored_items(aws: MotoAws) -> list[dict[str, Any]]:
    return aws.session.client("dynamodb").scan(TableName=aws.deployed.tables["WebhooksTable"])["Items"]


def test_a_filter_is_created_read_back_exactly_changed_cleared_and_audited(api: ManageApi) -> None:
    # Given a webhook created with a filter
    created = api.create(filter=TWO_PRODUCTS)
    path = f"/webhooks/{created['webhook_id']}"
    # Then the view, the read and the list carry it, numbers as written
    assert created["filter"] == TWO_PRODUCTS
    assert api("GET", path).body["filter"] == TWO_PRODUCTS
    assert api("GET", "/webhooks").body["items"][0]["filter"] == TWO_PRODUCTS
    # When it is changed, then cleared with null
    narrower = {"payload": {"status": {"$in": ["suspended", "revoked"]}}}
    changed = api("PATCH", path, body={"filter": narrower})
    cleared = api("PATCH", path, body={"filter": None})
    # Then each answer shows the new filter, and the history records both changes
    assert (changed.status, changed.body["filter"]) == (200, narrower)
    assert (cleared.status, cleared.body["filter"]) == (200, None)
    history = api("GET", f"{path}/audit").body["items"]
    assert history[0]["changes"] == {"filter": {"before": narrower, "after": None}}
    assert history[1]["changes"] == {"filter": {"before": TWO_PRODUCTS, "after": narrower}}
    assert history[2]["changes"]["filter"] == {"before": None, "after": TWO_PRODUCTS}


@pytest.mark.parametrize(
    ("bad_filter", "field", "says"),
    [
        ({"payload": {"seats": {"$gte": True}}}, "filter.payload.seats.$gte", "number or a string"),
        (
            {"payload": {"$or": [{"status": "a"}, {"status": {"$regex": "x"}}]}},
            "filter.payload.$or.1.status.$regex",
            "not an operator",
        ),
        ({"payload/x": {"$in": 3}}, "filter.payload/x.$in", "array of values"),
        ("license.*", "filter", "Input should be a valid dictionary"),
    ],
)
def test_a_bad_filter_is_a_422_naming_the_bad_part_and_stores_nothing(
    api: ManageApi, aws: MotoAws, bad_filter: Any, field: str, says: str
) -> None:
    # When an admin creates a webhook with a filter that cannot be used
    answer = api("POST", "/webhooks", body=a_webhook_request(filter=bad_filter))
    # Then the problem names the bad part as a field and a JSON pointer, and nothing is stored
    assert (answer.status, answer.problem_type) == (422, "invalid-input")
    (error,) = answer.body["errors"]
    assert error["field"] == field
    assert error["pointer"] == "/" + "/".join(part.replace("/", "~1") for part in field.split("."))
    assert says in error["message"]
    assert [item for item in _stored_items(aws) if not item["webhook_id"]["S"].startswith("#")] == []


def test_a_bad_filter_in_a_patch_changes_nothing(api: ManageApi) -> None:
    created = api.create(filter=TWO_PRODUCTS)
    path = f"/webhooks/{created['webhook_id']}"
    answer = api("PATCH", path, body={"filter": {"payload": {"$and": []}}})
    assert (answer.status, answer.body["errors"][0]["field"]) == (422, "filter.payload.$and")
    read = api("GET", path)
    assert (read.body["filter"], read.body["version"]) == (TWO_PRODUCTS, 1)


def test_filter_test_on_a_body_names_the_first_clause_that_failed(api: ManageApi) -> None:
    # Given a body of a license of prod_a with two seats
    body = {"event": "license.created", "payload": {"product_id": "prod_a", "seats": 2}}
    # When the two-product filter is tried on it
    answer = api("POST", "/webhooks/filter-test", body={"filter": TWO_PRODUCTS, "body": body})
    # Then it does not match, and the seats clause is named with the 2 it found
    assert answer.status == 200
    assert answer.body == {
        "matches": False,
        "failed_clause": {"location": "payload.seats.$gte", "clause": {"$gte": 2.5}, "present": True, "found": 2},
        "body": body,
    }


def test_filter_test_on_an_event_uses_the_catalogues_example(api: ManageApi) -> None:
    answer = api(
        "POST",
        "/webhooks/filter-test",
        body={"filter": {"payload": {"status": "active"}}, "event": "license.activated"},
    )
    missing = api(
        "POST", "/webhooks/filter-test", body={"filter": {"payload": {"region": "eu"}}, "event": "product.created"}
    )
    assert (answer.status, answer.body["matches"], answer.body["failed_clause"]) == (200, True, None)
    assert answer.body["body"]["event"] == "license.activated"
    assert missing.body["failed_clause"] == {
        "location": "payload.region",
        "clause": "eu",
        "present": False,
        "found": None,
    }


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"filter": {"event": "x"}}, ""),
        ({"filter": {"event": "x"}, "event": "license.created", "body": {}}, ""),
        ({"filter": {"event": "x"}, "event": "license.nope"}, "event"),
        ({"filter": {"event": {"$gt": None}}, "event": "license.created"}, "filter.event.$gt"),
    ],
)
def test_filter_test_refuses_what_it_cannot_try(api: ManageApi, request_body: dict[str, Any], field: str) -> None:
    answer = api("POST", "/webhooks/filter-test", body=request_body)
    assert (answer.status, answer.problem_type) == (422, "invalid-input")
    assert answer.body["errors"][0]["field"] == field


def test_filter_test_is_for_admins(api: ManageApi) -> None:
    answer = api("POST", "/webhooks/filter-test", caller=READER, body={"filter": {}, "event": "license.created"})
    assert (answer.status, answer.problem_type) == (403, "forbidden")
