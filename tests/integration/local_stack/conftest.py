"""The local stack's integration fixtures: one moto server per session, the template's data plane per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.emulator import MotoServer
from local.stack_process import free_port
from tests.support.local_stack import EmulatedAws, deploy_on_emulator


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = MotoServer(free_port(), tmp_path_factory.mktemp("moto") / "moto.log")
    server.start()
    yield server.endpoint
    server.stop()


@pytest.fixture
def aws(emulator: str) -> EmulatedAws:
    """Overrides the in-process moto fixture: DynamoDB Streams need the server (moto's mock mode routes
    dynamodbstreams calls to DynamoDB, signed as `dynamodb`, and answers 404)."""
    return deploy_on_emulator(emulator)
