"""Bad input against the running local API, generated from docs/openapi.json by schemathesis.

Guarantees: no input makes the API fail (no 5xx); every 4xx is RFC 9457
problem+json; and a 4xx changes nothing stored (the account's webhooks and audit records are the
same before and after; the delivery log is not compared: deliver writes it in the background after an
earlier accepted redelivery or test event). Examples are bounded so that CI stays about a minute.
Path parameters name a real webhook of the fuzzing account, so bad bodies and queries reach the
code behind the 404; a webhook the fuzzer deleted is replaced by a new one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from local.sam_template import ROOT
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

ACCOUNT = "fuzz"
EXAMPLES_PER_OPERATION = 5

schema = schemathesis.openapi.from_path(Path(ROOT / "docs/openapi.json"))
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, deterministic=True, with_security_parameters=False)
# Methods the document does not declare never reach the API: API Gateway answers them itself.
schema.config.phases.coverage.unexpected_methods = set()


class FuzzAccount:
    """The fuzzing account's webhook, and a snapshot of everything stored for the account."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.token = stack.token(ACCOUNT)
        self.webhook_id = self.create_webhook()
        self.snapshot = self.stored()  # refreshed after every call that may change something (a non-4xx)

    def create_webhook(self) -> str:
        body = {"name": "fuzzed", "url": "https://hooks.example.com/fuzz", "environment": "production", "events": ["*"]}
        status, _, webhook = self.stack.request("POST", "/webhooks", token=self.token, body=body)
        assert status == 201, webhook
        return str(webhook["webhook_id"])

    def stored(self) -> dict[str, list[str]]:
        dynamodb = self.stack.info.client("dynamodb")
        tables = self.stack.info.tables
        filters = {
            "webhooks": ("account_id = :account", {":account": {"S": ACCOUNT}}),
            "audit": ("begins_with(webhook_ref, :ref)", {":ref": {"S": f"{ACCOUNT}#"}}),
        }
        snapshot = {}
        for name, (expression, values) in filters.items():
            pages = dynamodb.get_paginator("scan").paginate(
                TableName=tables[name], FilterExpression=expression, ExpressionAttributeValues=values
            )
            snapshot[name] = sorted(json.dumps(item, sort_keys=True) for page in pages for item in page["Items"])
        return snapshot


@pytest.fixture(scope="module")
def fuzz_account(local_stack: RunningStack) -> FuzzAccount:
    return FuzzAccount(local_stack)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_fails_the_api_and_a_refused_one_changes_nothing(case: Any, fuzz_account: FuzzAccount) -> None:
    if case.path_parameters and "webhook_id" in case.path_parameters:
        case.path_parameters["webhook_id"] = fuzz_account.webhook_id

    response = case.call(
        base_url=fuzz_account.stack.info.api_url, headers={"authorization": f"Bearer {fuzz_account.token}"}
    )

    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    if 400 <= response.status_code < 500:
        assert response.headers.get("content-type", [""])[0].startswith("application/problem+json"), response.text
        problem = response.json()
        assert {"type", "title", "status"} <= set(problem), problem
        assert problem["status"] == response.status_code
        assert fuzz_account.stored() == fuzz_account.snapshot, (case.method, case.formatted_path, response.status_code)
        return
    if case.method == "DELETE" and response.status_code == 204:
        fuzz_account.webhook_id = fuzz_account.create_webhook()
    fuzz_account.snapshot = fuzz_account.stored()
