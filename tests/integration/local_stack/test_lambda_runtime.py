"""The stack imports the template's three handlers with their environments and invokes them in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from local.lambda_runtime import load_functions
from local.payload_v2 import http_api_event
from local.sam_template import translated_template
from local.stack import LOCAL_FUNCTION_ENVIRONMENT, emulator_environment
from tests.support.local_stack import EmulatedAws


@pytest.fixture
def restored_environment() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.usefixtures("restored_environment")
def test_the_three_handlers_load_with_the_templates_environment_and_answer(aws: EmulatedAws):
    os.environ.update(emulator_environment(aws.endpoint))

    functions = load_functions(translated_template(), aws.deployed, LOCAL_FUNCTION_ENVIRONMENT)

    assert set(functions) == {"ManageFunction", "EmitFunction", "DeliverFunction"}
    deliver = functions["DeliverFunction"]
    assert deliver.function_name == "webhooks-deliver-dev"
    assert deliver.arn == "arn:aws:lambda:us-east-1:123456789012:function:webhooks-deliver-dev"
    assert deliver.timeout_seconds == 60
    assert os.environ["ALLOW_LOOPBACK_DELIVERY"] == "true"
    assert os.environ["DELIVERY_QUEUE_URL"] == aws.deployed.queues["DeliveryQueue"]
    assert os.environ["TABLE_ENTITIES"].startswith("{")
    response = functions["ManageFunction"].invoke(http_api_event("GET", "/events", [], b"", {"account_id": "acme"}))
    assert response["statusCode"] == 200
    assert functions["EmitFunction"].invoke({"Records": []}) == {"batchItemFailures": []}
