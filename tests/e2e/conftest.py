"""The running local stack, started once per test session on free ports with its own state folder.

Tests drive it only through its public interface: the HTTP API, stack.json, the emulator endpoint
(boto3, as platform services write), and `GET /_local/status`.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.jwt_keys import issue_token, load_or_create_key
from local.stack_process import StackProcess, free_port
from local.state import StackInfo
from webhooks.domain.principal import Role


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


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state = tmp_path_factory.mktemp("local-stack")
    environ = stack_environment(state)
    process = StackProcess(environ, state / "stack.log")
    info = process.start()
    yield RunningStack(info, state, environ)
    process.stop()
