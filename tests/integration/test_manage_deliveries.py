"""The delivery-log routes of the management API: read the log, redeliver, recover, send a test event."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import MotoAws
from tests.support.builders import NOW, a_delivery_record
from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ADMIN, OTHER_ADMIN, READER, ManageApi
from webhooks.adapters.delivery_item import record_to_item
from webhooks.delivery.message import DeliveryMessage, Trigger
from webhooks.delivery.record import DeliveryStatus, ErrorKind


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction"))


def _log(aws: MotoAws, **overrides: Any) -> None:
    aws.session.client("dynamodb").put_item(
        TableName=aws.deployed.tables["DeliveriesTable"], Item=record_to_item(a_delivery_record(**overrides))
    )


def _queued(aws: MotoAws) -> list[DeliveryMessage]:
    sqs = aws.session.client("sqs")
    received = sqs.receive_message(QueueUrl=aws.deployed.queues["DeliveryQueue"], MaxNumberOfMessages=10)
    return [DeliveryMessage.model_validate_json(m["Body"]) for m in received.get("Messages", [])]


@pytest.fixture
def logged(api: ManageApi, aws: MotoAws) -> dict[str, Any]:
    """A webhook of acme with two deliveries in its log: one succeeded, one failed twice."""
    webhook = api.create(url="https://hooks.example.com/a")
    webhook_id = webhook["webhook_id"]
    _log(aws, webhook_id=webhook_id, delivery_id="msg_ok", event_id="evt_ok", requested_at=NOW)
    for attempt in (1, 2):
        _log(
            aws,
            webhook_id=webhook_id,
            delivery_id="msg_bad",
            event_id="evt_bad",
            event="license.suspended",
            attempt=attempt,
            status=DeliveryStatus.FAILED,
            http_status=500,
            error_kind=ErrorKind.HTTP_STATUS,
            response_excerpt="boom",
            requested_at=NOW.replace(minute=attempt),
        )
    return webhook


def test_the_log_lists_newest_first_with_filters(api: ManageApi, logged: dict[str, Any]) -> None:
    path = f"/webhooks/{logged['webhook_id']}/deliveries"
    everything = api("GET", path, caller=READER)
    assert everything.status == 200
    assert [(i["delivery_id"], i["attempt"]) for i in everything.body["items"]] == [
        ("msg_bad", 2),
        ("msg_bad", 1),
        ("msg_ok", 1),
    ]
    failed = api("GET", path, query={"status": "failed", "event": "license.suspended"})
    assert {i["delivery_id"] for i in failed.body["items"]} == {"msg_bad"}
    assert "request_body" not in failed.body["items"][0]
    paged = api("GET", path, query={"limit": "2"})
    rest = api("GET", path, query={"limit": "2", "cursor": paged.body["next_cursor"]})
    assert [i["delivery_id"] for i in paged.body["items"] + rest.body["items"]] == ["msg_bad", "msg_bad", "msg_ok"]


def test_a_delivery_shows_every_attempt_with_request_and_response(api: ManageApi, logged: dict[str, Any]) -> None:
    answer = api("GET", f"/webhooks/{logged['webhook_id']}/deliveries/msg_bad")
    assert answer.status == 200
    assert [a["attempt"] for a in answer.body["attempts"]] == [1, 2]
    assert answer.body["attempts"][0]["response_excerpt"] == "boom"
    assert json.loads(answer.body["attempts"][0]["request_body"])["event"] == "license.created"


def test_deliveries_of_an_event_are_found_by_event_id(api: ManageApi, logged: dict[str, Any]) -> None:
    answer = api("GET", "/deliveries", query={"event_id": "evt_bad"})
    assert answer.status == 200
    assert sorted(i["attempt"] for i in answer.body["items"]) == [1, 2]
    assert api("GET", "/deliveries", query={"event_id": "evt_bad"}, caller=OTHER_ADMIN).body["items"] == []


def test_redeliver_queues_the_same_delivery_as_the_next_attempt(
    api: ManageApi, aws: MotoAws, logged: dict[str, Any]
) -> None:
    answer = api("POST", f"/webhooks/{logged['webhook_id']}/deliveries/msg_bad/redeliver")
    assert answer.status == 202
    assert (answer.body["delivery_id"], answer.body["attempt"], answer.body["status"]) == ("msg_bad", 3, "queued")
    (message,) = _queued(aws)
    assert (message.delivery_id, message.attempt, message.trigger) == ("msg_bad", 3, Trigger.REDELIVER)


def test_a_test_event_is_queued_and_rate_limited(api: ManageApi, aws: MotoAws, logged: dict[str, Any]) -> None:
    path = f"/webhooks/{logged['webhook_id']}/test"
    first = api("POST", path)
    assert first.status == 202
    (message,) = _queued(aws)
    assert (message.event, message.trigger, message.webhook_id) == ("webhook.test", Trigger.TEST, logged["webhook_id"])
    again = api("POST", path)
    assert again.status == 429
    assert again.problem_type == "rate-limited"
    assert int(again.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", "/deliveries"),
        ("GET", "/deliveries/msg_bad"),
        ("POST", "/deliveries/msg_bad/redeliver"),
        ("POST", "/test"),
    ],
)
def test_another_accounts_log_does_not_exist(api: ManageApi, logged: dict[str, Any], method: str, suffix: str) -> None:
    answer = api(method, f"/webhooks/{logged['webhook_id']}{suffix}", caller=OTHER_ADMIN)
    assert answer.status == 404
    assert answer.problem_type == "not-found"


@pytest.mark.parametrize("suffix", ["/deliveries/msg_bad/redeliver", "/test"])
def test_readers_cannot_send(api: ManageApi, aws: MotoAws, logged: dict[str, Any], suffix: str) -> None:
    answer = api("POST", f"/webhooks/{logged['webhook_id']}{suffix}", caller=READER)
    assert answer.status == 403
    assert _queued(aws) == []


def test_a_cursor_of_another_webhook_is_refused(api: ManageApi, logged: dict[str, Any]) -> None:
    cursor = api("GET", f"/webhooks/{logged['webhook_id']}/deliveries", query={"limit": "1"}).body["next_cursor"]
    other = api.create(caller=ADMIN, url="https://hooks.example.com/b")
    answer = api("GET", f"/webhooks/{other['webhook_id']}/deliveries", query={"cursor": cursor})
    assert answer.status == 400
    assert answer.problem_type == "invalid-cursor"


def test_recover_queues_every_delivery_that_still_failed_in_the_range(
    api: ManageApi, aws: MotoAws, logged: dict[str, Any]
) -> None:
    # When an admin recovers the webhook's failed deliveries of the last day
    path = f"/webhooks/{logged['webhook_id']}/deliveries/recover"
    answer = api("POST", path, body={"since": (NOW - timedelta(days=1)).isoformat()})

    # Then the failed delivery is queued again as its next attempt; the one that succeeded is not
    assert answer.status == 202
    assert [(q["delivery_id"], q["attempt"]) for q in answer.body["queued"]] == [("msg_bad", 3)]
    assert (answer.body["not_redeliverable"], answer.body["next_cursor"]) == ([], None)
    (message,) = _queued(aws)
    assert (message.delivery_id, message.attempt, message.trigger) == ("msg_bad", 3, Trigger.REDELIVER)


def test_recover_queues_deliveries_skipped_while_the_webhook_was_disabled_and_no_other_skips(
    api: ManageApi, aws: MotoAws, logged: dict[str, Any]
) -> None:
    # Given a delivery whose retry was skipped while the webhook was disabled, one skipped before its first
    # attempt for the same reason, and one skipped because the webhook no longer subscribes to its event
    webhook_id = logged["webhook_id"]
    paused = {"webhook_id": webhook_id, "delivery_id": "msg_paused", "event_id": "evt_paused"}
    _log(aws, **paused, status=DeliveryStatus.FAILED, http_status=503, error_kind=ErrorKind.HTTP_STATUS)
    _log(aws, **paused, attempt=2, status=DeliveryStatus.SKIPPED, error_kind=ErrorKind.WEBHOOK_DISABLED)
    queued = {"webhook_id": webhook_id, "delivery_id": "msg_queued", "event_id": "evt_queued"}
    _log(aws, **queued, status=DeliveryStatus.SKIPPED, error_kind=ErrorKind.WEBHOOK_DISABLED)
    unwanted = {"webhook_id": webhook_id, "delivery_id": "msg_unwanted", "event_id": "evt_unwanted"}
    _log(aws, **unwanted, status=DeliveryStatus.SKIPPED, error_kind=ErrorKind.NOT_SUBSCRIBED)

    # When an admin recovers the webhook's deliveries of the last day
    path = f"/webhooks/{webhook_id}/deliveries/recover"
    answer = api("POST", path, body={"since": (NOW - timedelta(days=1)).isoformat()})

    # Then the failed one and both skipped while disabled are queued again as their next attempts, not the other
    assert answer.status == 202
    expected = {("msg_bad", 3), ("msg_paused", 3), ("msg_queued", 2)}
    assert {(q["delivery_id"], q["attempt"]) for q in answer.body["queued"]} == expected
    assert {(m.delivery_id, m.attempt, m.trigger) for m in _queued(aws)} == {(*q, Trigger.REDELIVER) for q in expected}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"since": "2026-11-29T10:00:00"}, 422),  # no time zone
        ({"since": "2026-11-29T10:00:00Z", "until": "2026-11-29T09:00:00Z"}, 422),
        ({"since": "2026-11-29T10:00:00Z", "cursor": "not-a-cursor"}, 400),
        ({"since": "2026-11-29T10:00:00Z", "statuses": ["failed"]}, 422),  # unknown field
    ],
)
def test_recover_refuses_a_bad_range_and_queues_nothing(
    api: ManageApi, aws: MotoAws, logged: dict[str, Any], body: dict[str, Any], status: int
) -> None:
    answer = api("POST", f"/webhooks/{logged['webhook_id']}/deliveries/recover", body=body)
    assert answer.status == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert _queued(aws) == []


@pytest.mark.parametrize(("caller", "status"), [(OTHER_ADMIN, 404), (READER, 403)])
def test_recover_keeps_to_the_callers_account_and_role(
    api: ManageApi, aws: MotoAws, logged: dict[str, Any], caller: dict[str, Any], status: int
) -> None:
    body = {"since": (NOW - timedelta(days=1)).isoformat()}
    answer = api("POST", f"/webhooks/{logged['webhook_id']}/deliveries/recover", body=body, caller=caller)
    assert answer.status == status
    assert _queued(aws) == []


def test_enabling_a_disabled_webhook_answers_when_it_was_disabled_to_recover_from(api: ManageApi, aws: MotoAws) -> None:
    # Given a webhook, never disabled, that an admin disables
    webhook_id = api.create(url="https://hooks.example.com/a")["webhook_id"]
    path = f"/webhooks/{webhook_id}"
    assert api("GET", path).body["disabled_at"] is None
    disabled = api("PATCH", path, body={"enabled": False}).body
    assert disabled["disabled_at"] == disabled["updated_at"]
    # and an event that came as it was disabled, skipped for that reason
    skipped = {"webhook_id": webhook_id, "delivery_id": "msg_paused", "event_id": "evt_paused"}
    at = datetime.fromisoformat(disabled["disabled_at"])
    _log(aws, **skipped, requested_at=at, status=DeliveryStatus.SKIPPED, error_kind=ErrorKind.WEBHOOK_DISABLED)

    # When the admin enables it again
    enabled = api("PATCH", path, body={"enabled": True}).body

    # Then the answer still says when it was disabled, and recovering from then queues what it missed
    assert (enabled["enabled"], enabled["disabled_at"]) == (True, disabled["disabled_at"])
    answer = api("POST", f"{path}/deliveries/recover", body={"since": enabled["disabled_at"]})
    assert [(q["delivery_id"], q["attempt"]) for q in answer.body["queued"]] == [("msg_paused", 2)]
