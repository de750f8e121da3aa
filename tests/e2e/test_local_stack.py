"""The local stack's own contract, through its public interface only."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections import Counter
from typing import Any

import pytest

from local.demo import delivery_log_statuses, settled_log_statuses
from local.jwt_keys import load_or_create_key, token_claims
from local.sam_template import ROOT
from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack
from tests.support.builders import NOW, a_delivery_message
from tests.support.local_stack import wait_for
from webhooks.adapters.delivery_item import record_to_item
from webhooks.delivery.message import Trigger
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus
from webhooks.domain.principal import Role

pytestmark = pytest.mark.e2e


def test_stack_json_names_the_endpoints_tables_and_queues(local_stack: RunningStack):
    info = local_stack.info

    assert info.api_url == f"http://127.0.0.1:{local_stack.environ['LOCAL_API_PORT']}"
    assert info.aws_endpoint == f"http://127.0.0.1:{local_stack.environ['LOCAL_AWS_PORT']}"
    assert info.region == "us-east-1"
    assert set(info.tables) == {
        "licenses",
        "activations",
        "products",
        "contracts",
        "webhooks",
        "deliveries",
        "audit",
        "endpoint_stats",
    }
    assert set(info.queues) == {"delivery", "delivery_dlq", "emit_failures"}


def test_the_templates_tables_and_queues_exist_on_the_emulator_endpoint(local_stack: RunningStack):
    dynamodb, sqs = local_stack.info.client("dynamodb"), local_stack.info.client("sqs")

    for table in local_stack.info.tables.values():
        assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    licenses = dynamodb.describe_table(TableName=local_stack.info.tables["licenses"])["Table"]
    assert licenses["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    ttl = dynamodb.describe_time_to_live(TableName=local_stack.info.tables["deliveries"])["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    attributes = sqs.get_queue_attributes(QueueUrl=local_stack.info.queues["delivery"], AttributeNames=["All"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(local_stack.info.queues["delivery_dlq"].rsplit("/", 1)[-1])
    assert redrive["maxReceiveCount"] == 5
    assert sqs.get_queue_attributes(QueueUrl=local_stack.info.queues["emit_failures"])


def test_no_token_is_401_and_never_reaches_the_handler(local_stack: RunningStack):
    status, headers, body = local_stack.request("GET", "/events")

    assert (status, body) == (401, {"message": "Unauthorized"})
    assert headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/openapi.json", "application/json"), ("/docs", "text/html"), ("/docs/", "text/html")],
)
def test_the_api_documentation_opens_in_a_browser_without_a_token(local_stack: RunningStack, path, content_type):
    # Given the running stack (found by review: a browser got {"message":"Unauthorized"} for /openapi.json and /docs)
    # When the document or the UI is opened without a token
    with urllib.request.urlopen(f"{local_stack.info.api_url}{path}", timeout=30) as response:  # noqa: S310 - loopback
        # Then it is served as what it is
        assert (response.status, response.headers["content-type"]) == (200, content_type)
        assert response.read()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"iss": "https://issuer.example/"}, id="wrong issuer"),
        pytest.param({"aud": "another-api"}, id="wrong audience"),
        pytest.param({"exp": 1_000_000_000}, id="expired"),
    ],
)
def test_a_token_with_wrong_claims_is_401(local_stack: RunningStack, change):
    token = load_or_create_key(local_stack.state).sign(token_claims("acme", Role.ADMIN) | change)

    assert local_stack.request("GET", "/events", token=token)[0] == 401


def test_a_token_signed_by_another_key_is_401(local_stack: RunningStack, tmp_path):
    forged = load_or_create_key(tmp_path).sign(token_claims("acme", Role.ADMIN))

    assert local_stack.request("GET", "/events", token=forged)[0] == 401


@pytest.mark.parametrize("role", [Role.ADMIN, Role.READER])
def test_a_valid_token_reaches_the_manage_handler(local_stack: RunningStack, role):
    status, _, body = local_stack.request("GET", "/events", token=local_stack.token("acme", role))

    assert status == 200
    groups = Counter(item["group"] for item in body["items"])
    assert groups == {"domain": 19, "operational": 4}


def test_make_tokens_command_prints_a_token_the_stack_accepts(local_stack: RunningStack):
    printed = subprocess.run(
        [sys.executable, "-m", "local.token", "--account", "acme", "--role", "reader"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=local_stack.environ | {"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}"},
    ).stdout.strip()

    assert local_stack.request("GET", "/events", token=printed)[0] == 200


def test_the_status_endpoint_lists_every_event_source_mapping(local_stack: RunningStack):
    status, _, body = local_stack.request("GET", "/_local/status")

    assert status == 200
    assert body["healthy"] is True
    assert {poller["mapping"] for poller in body["pollers"]} == {
        "EmitFunctionLicenses",
        "EmitFunctionActivations",
        "EmitFunctionProducts",
        "EmitFunctionContracts",
        "EmitFunctionOperationalEvents",
        "DeliverFunctionQueue",
        "DeliverFunctionSlowLane",
    }


def test_a_record_written_to_a_domain_table_reaches_the_emit_handler(local_stack: RunningStack):
    before = local_stack.poller("EmitFunctionProducts")["records"]
    item = {"id": {"S": f"prd-{uuid.uuid4().hex}"}, "account_id": {"S": "acme"}, "environment": {"S": "production"}}

    local_stack.info.client("dynamodb").put_item(TableName=local_stack.info.tables["products"], Item=item)

    assert wait_for(
        lambda: local_stack.poller("EmitFunctionProducts")["records"] > before, timeout_seconds=DELIVERY_SECONDS
    )
    assert local_stack.poller("EmitFunctionProducts")["function_errors"] == 0


def test_a_queue_message_reaches_the_deliver_handler(local_stack: RunningStack):
    before = local_stack.poller("DeliverFunctionQueue")["records"]
    message = a_delivery_message(webhook_id=str(uuid.uuid4()))

    local_stack.info.client("sqs").send_message(
        QueueUrl=local_stack.info.queues["delivery"], MessageBody=message.model_dump_json()
    )

    assert wait_for(
        lambda: local_stack.poller("DeliverFunctionQueue")["records"] > before, timeout_seconds=DELIVERY_SECONDS
    )


def test_the_demo_reads_the_latest_delivery_log_status_of_each_delivery(local_stack: RunningStack):
    webhook_id = str(uuid.uuid4())
    first = a_delivery_record(webhook_id, attempt=1, status=DeliveryStatus.FAILED)
    retried = a_delivery_record(webhook_id, attempt=2, status=DeliveryStatus.SUCCEEDED)
    other = a_delivery_record(webhook_id, attempt=1, status=DeliveryStatus.SKIPPED, delivery_id="msg_other")
    dynamodb = local_stack.info.client("dynamodb")
    for record in (first, retried, other):
        dynamodb.put_item(TableName=local_stack.info.tables["deliveries"], Item=record_to_item(record))

    statuses = delivery_log_statuses(local_stack.info, local_stack.token("acme"), webhook_id)

    assert statuses == {first.delivery_id: "succeeded", "msg_other": "skipped"}


def test_the_demo_waits_for_a_pending_attempt_to_be_answered_before_reading_the_log(local_stack: RunningStack):
    # Given an attempt that is claimed (pending) and is answered a moment later
    webhook_id = str(uuid.uuid4())
    claimed = a_delivery_record(webhook_id, status=DeliveryStatus.PENDING)
    answered = claimed.model_copy(update={"status": DeliveryStatus.SUCCEEDED})
    dynamodb = local_stack.info.client("dynamodb")
    table = local_stack.info.tables["deliveries"]
    dynamodb.put_item(TableName=table, Item=record_to_item(claimed))
    answer = threading.Timer(0.5, lambda: dynamodb.put_item(TableName=table, Item=record_to_item(answered)))
    answer.start()

    # When the demo reads the log's statuses
    try:
        statuses = settled_log_statuses(local_stack.info, local_stack.token("acme"), webhook_id)
    finally:
        answer.join()

    # Then it reports the answer, not the claim
    assert statuses == {claimed.delivery_id: "succeeded"}


def a_delivery_record(webhook_id: str, **overrides: Any) -> DeliveryRecord:
    message = a_delivery_message(webhook_id=webhook_id)
    fields: dict[str, Any] = {
        "delivery_id": message.delivery_id,
        "attempt": 1,
        "event_id": message.event_id,
        "event": message.event,
        "webhook_id": webhook_id,
        "account_id": "acme",
        "environment": "development",
        "trigger": Trigger.EVENT,
        "status": DeliveryStatus.SUCCEEDED,
        "requested_at": NOW,
        "expires_at": int(NOW.timestamp()) + 86_400,
    }
    return DeliveryRecord(**(fields | overrides))
