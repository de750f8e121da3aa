"""What the management API takes from a request, strictly: who may write is checked before the body is
read, a body the parser cannot take is a 400 problem (never a 500), the media type is JSON itself, and an
If-Match names one version strongly."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from tests.support.builders import a_webhook_request
from tests.support.events import http_api_event
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import READER, ManageApi

# 4 KB of JSON nested 2,000 deep: more than the json module's recursion allows.
TOO_DEEP = "[" * 2000 + "]" * 2000


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


def test_a_body_nested_too_deeply_is_a_malformed_json_problem_and_logs_no_error(
    api: ManageApi, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a webhook (found by review: the RecursionError of such a body was a 500 with an ERROR traceback)
    webhook = api.create()
    capsys.readouterr()
    # When an admin sends a body nested 2,000 deep to create, change or rotate
    answers = [
        api("POST", "/webhooks", raw_body=TOO_DEEP),
        api("PATCH", f"/webhooks/{webhook['webhook_id']}", raw_body='{"name": ' + TOO_DEEP + "}"),
        api("POST", f"/webhooks/{webhook['webhook_id']}/secret/rotate", raw_body=TOO_DEEP),
    ]
    # Then each is a 400 problem, nothing is logged as an error, and the webhook is as it was
    assert [(answer.status, answer.problem_type) for answer in answers] == [(400, "malformed-json")] * 3
    assert answers[0].body["detail"] == "the body nests too deeply"
    assert '"level":"ERROR"' not in capsys.readouterr().out
    assert api("GET", f"/webhooks/{webhook['webhook_id']}").body["version"] == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/webhooks"),
        ("PATCH", "/webhooks/some-id"),
        ("POST", "/webhooks/some-id/secret/rotate"),
        ("POST", "/webhooks/some-id/deliveries/recover"),
    ],
)
def test_a_reader_is_refused_before_its_body_is_read(api: ManageApi, method: str, path: str) -> None:
    # Given a reader's token and a body no parser should have to take
    # When it is sent to a route that changes something
    answer = api(method, path, caller=READER, raw_body=TOO_DEEP)
    # Then the reader learns that it may not write, not what is wrong with the body
    assert (answer.status, answer.problem_type) == (403, "forbidden")


def test_a_reader_is_refused_before_a_body_that_is_not_utf8_is_decoded(
    handler_for: Callable[..., LoadedHandler],
) -> None:
    # Given a reader's JSON-typed body that is not UTF-8 (API Gateway hands it over base64-encoded)
    manage = handler_for("ManageFunction")
    event = http_api_event("POST", "/webhooks", claims=READER)
    event["body"], event["isBase64Encoded"] = base64.b64encode(b"\xba{").decode(), True
    # When it is posted
    response = manage(event)
    # Then the answer is the reader's 403, as for any other body
    assert response["statusCode"] == 403


@pytest.mark.parametrize("content_type", ["application/jsonp", "application/json-patch+json", "application/jsonx"])
def test_a_media_type_that_only_starts_like_json_is_415(api: ManageApi, content_type: str) -> None:
    # Given a type whose name begins with application/json (found by review: application/jsonp was taken as JSON)
    # When a webhook is posted with it
    answer = api("POST", "/webhooks", body=a_webhook_request(), headers={"content-type": content_type})
    # Then it is refused as a problem, and nothing is stored
    assert (answer.status, answer.problem_type) == (415, "unsupported-media-type")
    assert api("GET", "/webhooks").body["items"] == []


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "Application/Json ;a=1"]
)
def test_application_json_in_any_case_and_with_parameters_is_json(api: ManageApi, content_type: str) -> None:
    answer = api("POST", "/webhooks", body=a_webhook_request(), headers={"content-type": content_type})

    assert answer.status == 201


@pytest.mark.parametrize("if_match", ['W/"1"', '"1', "1", '1"', '"1", "2"', '"\u0661"'])
def test_an_if_match_that_is_not_one_strong_version_tag_matches_nothing(api: ManageApi, if_match: str) -> None:
    # Given a webhook at version 1 (found by review: a weak W/"1" and an unclosed "1 were taken as version 1)
    path = f"/webhooks/{api.create()['webhook_id']}"
    # When it is changed or deleted with an If-Match that is weak, unclosed, bare or a list
    changed = api("PATCH", path, body={"name": "Changed"}, headers={"if-match": if_match})
    deleted = api("DELETE", path, headers={"if-match": if_match})
    # Then both fail their precondition (If-Match compares strongly), and the webhook is as it was
    assert [(answer.status, answer.problem_type) for answer in (changed, deleted)] == [(412, "precondition-failed")] * 2
    assert api("GET", path).body["version"] == 1


def test_if_match_with_the_strong_tag_or_a_star_applies_the_change(api: ManageApi) -> None:
    path = f"/webhooks/{api.create()['webhook_id']}"

    assert api("PATCH", path, body={"name": "Changed"}, headers={"if-match": ' "1" '}).body["version"] == 2
    assert api("PATCH", path, body={"name": "Again"}, headers={"if-match": "*"}).body["version"] == 3


def test_a_control_character_in_free_text_is_a_field_problem_and_changes_nothing(api: ManageApi) -> None:
    # Given a webhook (found by review: a NUL inside a name was accepted and stored)
    webhook = api.create()
    path = f"/webhooks/{webhook['webhook_id']}"
    # When a new webhook names itself with a NUL, and a change gives the description an escape sequence
    created = api("POST", "/webhooks", body=a_webhook_request(name="Billing\x00sync"))
    changed = api("PATCH", path, body={"description": "\x1b[2Jcleared"})
    # Then each is a 422 pointing at its field, and only the first webhook exists, as it was
    assert [(answer.status, answer.body["errors"][0]["pointer"]) for answer in (created, changed)] == [
        (422, "/name"),
        (422, "/description"),
    ]
    assert [(item["webhook_id"], item["version"]) for item in api("GET", "/webhooks").body["items"]] == [
        (webhook["webhook_id"], 1)
    ]


def test_values_of_another_json_type_are_field_problems_not_coerced(api: ManageApi) -> None:
    # Given a webhook (found by review: "enabled": "yes" was coerced to true)
    webhook = api.create()
    path = f"/webhooks/{webhook['webhook_id']}"
    # When a change says "yes" for a boolean, a new webhook "3" for a number, and a rotation "60" for an integer
    answers = [
        api("PATCH", path, body={"enabled": "yes"}),
        api("POST", "/webhooks", body=a_webhook_request(connect_timeout_seconds="3")),
        api("POST", f"{path}/secret/rotate", body={"grace_period_seconds": "60"}),
    ]
    # Then each is a 422 pointing at its field, and nothing changed
    assert [(answer.status, answer.body["errors"][0]["pointer"]) for answer in answers] == [
        (422, "/enabled"),
        (422, "/connect_timeout_seconds"),
        (422, "/grace_period_seconds"),
    ]
    assert [(item["webhook_id"], item["version"]) for item in api("GET", "/webhooks").body["items"]] == [
        (webhook["webhook_id"], 1)
    ]
