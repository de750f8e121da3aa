"""The running local stack, started once for the e2e tests on free ports with its own state folder.

Tests drive it only through its public interface: the HTTP API, stack.json, the emulator endpoint
(boto3, as platform services write), and `GET /_local/status`.
"""

from __future__ import annotations

import functools
import json
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from local.demo_records import Write, apply_writes
from local.jwt_keys import issue_token, load_or_create_key
from local.receiver import Receiver
from local.stack_process import StackProcess, free_port
from local.state import StackInfo
from tests.support import receivers
from tests.support.local_stack import wait_for
from tests.support.portal import Portal, chromium
from webhooks.domain.principal import Role

# Bounded waits: a delivery takes two batching windows (stream and queue, 1 s each) plus the handlers.
# The bound is generous because a loaded 2-core CI machine running 20 deliver containers against one
# emulator has been seen to need more than 30 s; a passing wait returns as soon as its condition holds.
DELIVERY_SECONDS = 90.0


@dataclass
class RunningStack:
    info: StackInfo
    state: Path
    environ: dict[str, str]

    def token(self, account_id: str = "acme", role: Role = Role.ADMIN) -> str:
        return issue_token(load_or_create_key(self.state), account_id, role)

    def request(
        self, method: str, path: str, *, token: str | None = None, body: Any = None
    ) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(  # noqa: S310 - the stack's loopback URL
            f"{self.info.api_url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
                status, headers, payload = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, payload = error.code, dict(error.headers), error.read()
        return status, {name.lower(): value for name, value in headers.items()}, json.loads(payload or b"null")

    def poller(self, mapping: str) -> dict[str, Any]:
        _, _, status = self.request("GET", "/_local/status")
        counters: dict[str, Any] = next(poller for poller in status["pollers"] if poller["mapping"] == mapping)
        return counters

    def delivery_queue_is_empty(self) -> bool:
        """Nothing waiting, in flight or delayed on the delivery queue: deliver has handled every message."""
        attributes = self.info.client("sqs").get_queue_attributes(
            QueueUrl=self.info.queues["delivery"], AttributeNames=["All"]
        )["Attributes"]
        counts = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        return all(attributes.get(name, "0") == "0" for name in (*counts, "ApproximateNumberOfMessagesDelayed"))


# Poll until the condition gives something truthy, or the deadline passes; returns its last value.
eventually = functools.partial(wait_for, timeout_seconds=DELIVERY_SECONDS, interval=0.1)


@dataclass
class Tenant:
    """One account of the platform (its own account id, so tests never see each other's deliveries)."""

    stack: RunningStack
    account_id: str

    @property
    def token(self) -> str:
        return self.stack.token(self.account_id)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, _, payload = self.stack.request(method, path, token=self.token, body=body)
        return status, payload

    def subscribe(
        self, receiver: Receiver, environment: str = "development", events: list[str] | None = None, **fields: Any
    ) -> str:
        """POST /webhooks for the receiver; the receiver learns the secret shown once (a `v1a` webhook's public
        key). Returns the webhook id."""
        subscription = {"name": "e2e", "url": receiver.endpoint, "environment": environment, "events": events or ["*"]}
        subscription |= fields
        status, webhook = self.call("POST", "/webhooks", subscription)
        assert status == 201, webhook
        receiver.add_secret(webhook["secret"] or webhook["public_key"])
        return str(webhook["webhook_id"])

    def write(self, *writes: Write) -> None:
        """Domain-table writes with boto3 on the emulator endpoint, as a platform service makes them."""
        apply_writes(list(writes), self.stack.info.client("dynamodb"), self.stack.info.tables)

    def a_license(self, environment: str = "development", **fields: Any) -> Write:
        item = {"id": f"lic-{uuid.uuid4().hex[:12]}", "account_id": self.account_id, "environment": environment}
        return Write("licenses", "put", item | {"status": "inactive", "seats": 5} | fields, ("license.created",))

    def delivery_log(self, webhook_id: str) -> list[dict[str, Any]]:
        status, page = self.call("GET", f"/webhooks/{webhook_id}/deliveries?limit=100")
        assert status == 200, page
        items: list[dict[str, Any]] = page["items"]
        return items


@pytest.fixture
def new_tenant(local_stack: RunningStack) -> Callable[[], Tenant]:
    return lambda: Tenant(local_stack, f"acct-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def tenant(new_tenant: Callable[[], Tenant]) -> Tenant:
    return new_tenant()


@pytest.fixture
def new_receiver() -> Iterator[Callable[[], Receiver]]:
    """Loopback receivers verifying signatures with standardwebhooks, stopped after the test."""
    with ExitStack() as receivers:
        yield lambda: receivers.enter_context(Receiver())


def stack_environment(state: Path) -> dict[str, str]:
    api_port = free_port()
    aws_port = free_port()
    while aws_port == api_port:
        aws_port = free_port()
    return dict(os.environ) | {
        "LOCAL_API_PORT": str(api_port),
        "LOCAL_AWS_PORT": str(aws_port),
        "LOCAL_STATE_DIR": str(state),
        "LOCAL_RETRY_VISIBILITY_SECONDS": "1",
    }


# Package scope: the stack stops after the last e2e test, so its pollers do not run under the rest of the suite.
@pytest.fixture(scope="package")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state = tmp_path_factory.mktemp("local-stack")
    environ = stack_environment(state)
    process = StackProcess(environ, state / "stack.log")
    info = process.start()
    yield RunningStack(info, state, environ)
    process.stop()


# The portal's browser tests (test_portal*.py): one Chromium for them all, and each test signed in to its own account.
@pytest.fixture(scope="package")
def browser(local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium(tmp_path_factory.mktemp("chromium-profile"), local_stack.info.api_url) as context:
        yield context


@pytest.fixture(scope="package")
def receiver() -> Iterator[receivers.Receiver]:
    """A loopback endpoint recording every request; its path picks the answer (/ok, /slow?ms=N …)."""
    with receivers.running_receiver() as running:
        yield running


@pytest.fixture
def account() -> str:
    """Each test's own account, so its list holds only its webhooks."""
    return f"portal-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def portal(browser: BrowserContext, local_stack: RunningStack, account: str) -> Iterator[Portal]:
    page = browser.new_page()
    yield Portal(page, f"{local_stack.info.api_url}/portal/").sign_in(local_stack.token(account))
    page.close()
