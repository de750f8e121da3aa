"""The management API through the manage handler against the template's tables in moto."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import a_webhook_request
from tests.support.events import http_api_event
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ADMIN, OTHER_ADMIN, READER, ManageApi


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


def test_creating_a_webhook_returns_its_secret_once(api: ManageApi) -> None:
    # When an admin registers a webhook
    answer = api("POST", "/webhooks", body=a_webhook_request(description="sync"))
    # Then it is created with a Location, an ETag and a Standard Webhooks secret (24+ random bytes)
    assert answer.status == 201
    webhook_id = answer.body["webhook_id"]
    assert answer.headers["Location"] == f"/webhooks/{webhook_id}"
    assert answer.headers["ETag"] == '"1"'
    assert answer.headers["Cache-Control"] == "no-store"
    secret = answer.body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert (answer.body["enabled"], answer.body["version"], answer.body["created_by"]) == (True, 1, ADMIN["sub"])
    # And neither a read nor a list shows the secret again
    read = api("GET", f"/webhooks/{webhook_id}")
    listed = api("GET", "/webhooks")
    assert read.status == 200
    assert read.headers["ETag"] == '"1"'
    assert "secret" not in read.body
    assert [item["webhook_id"] for item in listed.body["items"]] == [webhook_id]
    assert secret not in str(read.body) + str(listed.body)


def test_invalid_input_is_a_problem_with_field_errors_and_stores_nothing(api: ManageApi, aws: MotoAws) -> None:
    unknown_field = api("POST", "/webhooks", body=a_webhook_request(colour="blue"))
    unsafe_url = api("POST", "/webhooks", body=a_webhook_request(url="https://169.254.169.254/latest"))
    bad_event = api("POST", "/webhooks", body=a_webhook_request(events=["license.nope"]))
    malformed = api("POST", "/webhooks", raw_body="{not json")
    assert (unknown_field.status, unknown_field.problem_type) == (422, "invalid-input")
    assert unknown_field.body["errors"] == [
        {"field": "colour", "pointer": "/colour", "message": "Extra inputs are not permitted"}
    ]
    assert (unsafe_url.status, unsafe_url.body["errors"][0]["pointer"]) == (422, "/url")
    assert (bad_event.status, bad_event.body["errors"][0]["pointer"]) == (422, "/events")
    assert (malformed.status, malformed.problem_type) == (400, "malformed-json")
    for answer in (unknown_field, unsafe_url, bad_event, malformed):
        assert set(answer.body) >= {"type", "title", "status", "detail", "instance"}
    assert api("GET", "/webhooks").body["items"] == []
    assert aws.session.client("dynamodb").scan(TableName=aws.deployed.tables["AuditTable"])["Count"] == 0  # last call


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "multipart/form-data", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"],
)
def test_a_body_that_is_not_json_is_415_and_stores_nothing(api: ManageApi, content_type: str) -> None:
    # Given a body sent as another media type (found by the API fuzzer: a multipart type without a boundary was a 500)
    # When it is posted
    answer = api("POST", "/webhooks", body=a_webhook_request(), headers={"content-type": content_type})
    # Then it is refused as a problem, and nothing is stored
    assert (answer.status, answer.problem_type) == (415, "unsupported-media-type")
    assert api("GET", "/webhooks").body["items"] == []


def test_a_body_that_is_not_utf8_is_a_malformed_body_problem(handler_for: Callable[..., LoadedHandler]) -> None:
    # Given a JSON-typed body that is not UTF-8 (API Gateway hands it over base64-encoded; found by the fuzzer)
    manage = handler_for("ManageFunction")
    event = http_api_event("POST", "/webhooks", claims=ADMIN)
    event |= {"body": base64.b64encode(b"\xba\xff{").decode(), "isBase64Encoded": True}
    # When it is posted
    response = manage(event)
    # Then it is a 400 problem, not an error
    assert (response["statusCode"], response["headers"]["Content-Type"]) == (400, "application/problem+json")
    assert json.loads(response["body"])["type"].endswith(":malformed-json")


def test_a_reader_learns_that_it_may_not_write_before_the_media_type(api: ManageApi) -> None:
    answer = api("POST", "/webhooks", caller=READER, body=a_webhook_request(), headers={"content-type": "text/plain"})

    assert (answer.status, answer.problem_type) == (403, "forbidden")


def test_a_patch_changes_only_the_fields_given_and_raises_the_version(api: ManageApi) -> None:
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    answer = api("PATCH", path, body={"name": "Renamed", "events": ["contract.*"], "retry_policy": {"max_attempts": 3}})
    assert answer.status == 200
    assert answer.headers["ETag"] == '"2"'
    assert (answer.body["name"], answer.body["events"], answer.body["url"]) == (
        "Renamed",
        ["contract.*"],
        created["url"],
    )
    assert answer.body["retry_policy"]["max_attempts"] == 3
    disabled = api("PATCH", path, body={"enabled": False}, headers={"if-match": '"2"'})
    assert (disabled.status, disabled.body["enabled"], disabled.body["version"]) == (200, False, 3)


def test_a_patch_that_breaks_a_rule_changes_nothing(api: ManageApi) -> None:
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    to_http = api("PATCH", path, body={"url": "http://hooks.example.com/x"})
    to_null = api("PATCH", path, body={"name": None})
    to_local = api("PATCH", path, body={"url": "https://[::ffff:10.0.0.1]/x"})
    assert [to_http.status, to_null.status, to_local.status] == [422, 422, 422]
    assert to_null.body["errors"][0]["pointer"] == "/name"
    assert api("GET", path).body["version"] == 1


def test_if_match_guards_concurrent_changes(api: ManageApi) -> None:
    # Given two admins who both read version 1
    path = f"/webhooks/{api.create()['webhook_id']}"
    # When both send a PATCH based on version 1
    first = api("PATCH", path, body={"name": "First"}, headers={"if-match": '"1"'})
    second = api("PATCH", path, body={"name": "Second"}, headers={"if-match": '"1"'})
    # Then one wins and the other gets 412 with the current version
    assert first.status == 200
    assert (second.status, second.problem_type, second.body["current_version"]) == (412, "precondition-failed", 2)
    assert api("DELETE", path, headers={"if-match": '"1"'}).status == 412
    assert api("DELETE", path, headers={"if-match": 'W/"nonsense"'}).status == 412
    assert api("GET", path).body["name"] == "First"


def test_delete_answers_204_then_the_webhook_is_gone(api: ManageApi) -> None:
    path = f"/webhooks/{api.create()['webhook_id']}"
    assert api("DELETE", path, headers={"if-match": '"1"'}).status == 204
    assert api("GET", path).status == 404
    assert api("DELETE", path).status == 404


def test_rotation_keeps_the_old_secret_signing_for_the_grace_period(api: ManageApi) -> None:
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    # When the secret is rotated with a one-hour grace period
    rotated = api("POST", f"{path}/secret/rotate", body={"grace_period_seconds": 3600})
    # Then a new secret is returned once, and both sign until the grace period ends
    assert rotated.status == 200
    assert rotated.body["secret"] not in (created["secret"], None)
    revealed = api("GET", f"{path}/secret")
    assert [s["secret"] for s in revealed.body["secrets"]] == [rotated.body["secret"], created["secret"]]
    assert revealed.body["secrets"][1]["expires_at"] == rotated.body["previous_secret_expires_at"]
    assert api("GET", path).body["previous_secret_expires_at"] == rotated.body["previous_secret_expires_at"]
    # And a rotation without a grace period retires the current secret at once (the older one keeps its hour)
    immediate = api("POST", f"{path}/secret/rotate", body={"grace_period_seconds": 0})
    after = api("GET", f"{path}/secret").body["secrets"]
    assert [s["secret"] for s in after] == [immediate.body["secret"], created["secret"]]


def _stored_webhook(aws: MotoAws, webhook_id: str) -> dict[str, Any]:
    key = {"account_id": {"S": ADMIN["account_id"]}, "webhook_id": {"S": webhook_id}}
    item = aws.session.client("dynamodb").get_item(TableName=aws.deployed.tables["WebhooksTable"], Key=key)["Item"]
    return dict(item)


def test_a_rotation_that_would_leave_too_many_secrets_signing_is_refused_and_changes_nothing(
    api: ManageApi, aws: MotoAws
) -> None:
    # Given a webhook rotated three times within a day (each old secret signs on for 24 hours)
    created = api.create()
    path = f"/webhooks/{created['webhook_id']}"
    rotations = [api("POST", f"{path}/secret/rotate") for _ in range(3)]
    assert [rotation.status for rotation in rotations] == [200, 200, 200]
    before = _stored_webhook(aws, created["webhook_id"])
    audited = api("GET", f"{path}/audit").body["items"]

    # When it is rotated a fourth time with a grace period
    refused = api("POST", f"{path}/secret/rotate", body={"grace_period_seconds": 3600})

    # Then that is refused (409 problem+json) naming how many previous secrets sign and when the first stops
    assert (refused.status, refused.problem_type) == (409, "rotation-limit-reached")
    # (the first grace period to end is the created secret's, recorded by the first rotation)
    first_ends = audited[-2]["changes"]["previous_secret_expires_at"]["after"]
    assert (refused.body["previous_secrets_in_grace"], refused.body["next_grace_period_ends_at"]) == (3, first_ends)
    assert "whsec_" not in json.dumps(refused.body)
    # And nothing stored changed: the webhook item, and its audit history
    assert _stored_webhook(aws, created["webhook_id"]) == before
    assert api("GET", f"{path}/audit").body["items"] == audited

    # When it is rotated with no grace period instead (a leaked secret)
    urgent = api("POST", f"{path}/secret/rotate", body={"grace_period_seconds": 0})

    # Then that goes through, and the item still holds the current secret and three previous ones only
    assert urgent.status == 200
    signing = [s["secret"] for s in api("GET", f"{path}/secret").body["secrets"]]
    first, second, _ = (rotation.body["secret"] for rotation in rotations)
    assert signing == [urgent.body["secret"], second, first, created["secret"]]
    assert len(_stored_webhook(aws, created["webhook_id"])["secrets"]["L"]) == 4


def test_a_grace_period_over_seven_days_is_refused(api: ManageApi) -> None:
    path = f"/webhooks/{api.create()['webhook_id']}/secret/rotate"
    answer = api("POST", path, body={"grace_period_seconds": 8 * 86_400})
    assert (answer.status, answer.body["errors"][0]["pointer"]) == (422, "/grace_period_seconds")


def test_the_catalogue_lists_every_event(api: ManageApi) -> None:
    answer = api("GET", "/events", caller=READER)
    assert answer.status == 200
    assert {"name": "license.suspended", "entity": "license"}.items() <= next(
        item for item in answer.body["items"] if item["name"] == "license.suspended"
    ).items()


def test_an_unknown_route_is_a_404_problem(api: ManageApi) -> None:
    answer = api("GET", "/nowhere")
    assert (answer.status, answer.problem_type) == (404, "not-found")


def test_a_second_account_never_sees_the_first_accounts_webhook(api: ManageApi) -> None:
    path = f"/webhooks/{api.create()['webhook_id']}"
    attempts = [
        api("GET", path, caller=OTHER_ADMIN),
        api("PATCH", path, caller=OTHER_ADMIN, body={"name": "mine"}),
        api("DELETE", path, caller=OTHER_ADMIN),
        api("POST", f"{path}/secret/rotate", caller=OTHER_ADMIN),
        api("GET", f"{path}/secret", caller=OTHER_ADMIN),
        api("GET", f"{path}/audit", caller=OTHER_ADMIN),
    ]
    assert [answer.status for answer in attempts] == [404] * 6
    assert all(answer.problem_type == "not-found" for answer in attempts)
    assert api("GET", "/webhooks", caller=OTHER_ADMIN).body["items"] == []
    assert api("GET", path).body["version"] == 1


def test_a_reader_can_read_but_not_write_or_reveal(api: ManageApi) -> None:
    path = f"/webhooks/{api.create()['webhook_id']}"
    writes = [
        api("POST", "/webhooks", caller=READER, body=a_webhook_request()),
        api("POST", "/webhooks", caller=READER, body={"invalid": True}),
        api("PATCH", path, caller=READER, body={"enabled": False}),
        api("DELETE", path, caller=READER),
        api("POST", f"{path}/secret/rotate", caller=READER),
        api("GET", f"{path}/secret", caller=READER),
    ]
    assert [(answer.status, answer.problem_type) for answer in writes] == [(403, "forbidden")] * 6
    reads = [
        api("GET", "/webhooks", caller=READER),
        api("GET", path, caller=READER),
        api("GET", f"{path}/audit", caller=READER),
    ]
    assert [answer.status for answer in reads] == [200, 200, 200]
    assert api("GET", path).body["version"] == 1


@pytest.mark.parametrize(
    "caller",
    [None, {"sub": "alice"}, {"account_id": "acme", "scope": "webhooks:write"}],
)
def test_a_request_without_subject_or_account_is_a_401_on_every_route(
    api: ManageApi, caller: dict[str, str] | None
) -> None:
    path = "/webhooks/any"
    answers = [
        api("POST", "/webhooks", caller=caller, body=a_webhook_request()),
        api("GET", "/webhooks", caller=caller),
        api("GET", path, caller=caller),
        api("PATCH", path, caller=caller, body={"name": "x"}),
        api("DELETE", path, caller=caller),
        api("POST", f"{path}/secret/rotate", caller=caller),
        api("GET", f"{path}/secret", caller=caller),
        api("GET", f"{path}/audit", caller=caller),
    ]
    assert {(answer.status, answer.problem_type) for answer in answers} == {(401, "unauthenticated")}


def test_a_token_without_a_webhooks_scope_is_a_403(api: ManageApi) -> None:
    answer = api("GET", "/webhooks", caller={"sub": "alice", "account_id": "acme", "scope": "licenses:read"})
    assert (answer.status, answer.problem_type) == (403, "forbidden")
