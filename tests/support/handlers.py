"""Loads a function's handler module the way Lambda would: fresh, with the template's environment."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

import pytest

from local.sam_template import DeployedDataPlane, function_environment, translated_template
from tests.support.aws_calls import AwsCall, AwsCallRecorder
from webhooks.adapters.aws_clients import AwsClients, client


def handler_module_name(function: str) -> str:
    """functions/manage/ + app.handler -> functions.manage.app"""
    properties = translated_template()["Resources"][function]["Properties"]
    code_key = properties["Code"]["S3Key"].strip("/")
    module = properties["Handler"].rsplit(".", 1)[0]
    return f"{code_key.replace('/', '.')}.{module}"


@dataclass
class LoadedHandler:
    function: str
    module: ModuleType
    recorder: AwsCallRecorder
    performed: set[AwsCall] = field(default_factory=set)  # every call its invocations made
    handler: Callable[[dict[str, Any], Any], Any] | None = None  # None: the module's own

    def with_clients(self, clients: AwsClients) -> LoadedHandler:
        """The same function built anew by its `build(settings, clients)`: a container with these clients."""
        return replace(self, handler=self.module.build(self.module.settings, clients))

    def __call__(self, event: dict[str, Any], context: Any = None) -> Any:
        # Only the calls made during this invocation count: tests may seed tables through the same session.
        first_call = len(self.recorder.calls)
        handler = self.handler or self.module.handler
        result = handler(event, context or LambdaContext(self.function))
        self.performed.update(self.recorder.calls[first_call:])
        undeclared = self.recorder.undeclared(self.function, since=first_call)
        assert not undeclared, f"{self.function} made AWS calls webhooks.permissions does not declare: {undeclared}"
        return result


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_handler(
    function: str,
    deployed: DeployedDataPlane,
    recorder: AwsCallRecorder,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str] | None = None,
) -> LoadedHandler:
    """Import the handler with `environment` (default: the template's environment for the function)."""
    if environment is None:
        environment = function_environment(translated_template(), function, deployed)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    module_name = handler_module_name(function)
    sys.modules.pop(module_name, None)
    module = importlib.import_module(module_name)
    return LoadedHandler(function, module, recorder)


def function_clients(*, dynamodb: Any = None, sqs: Any = None) -> AwsClients:
    """The factory's clients on the test's (moto) session, or the stand-ins passed for them."""
    return AwsClients(dynamodb=dynamodb or client("dynamodb"), sqs=sqs or client("sqs"), kms=client("kms"))
