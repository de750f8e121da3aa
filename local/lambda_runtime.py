"""The three handlers, imported in-process the way Lambda would load them, and invoked one at a time.

Each function gets the environment the template gives it. Settings are read at import, and the three
environments differ only by variables the others do not have, so their union is set once before the
imports (a conflict would be a template bug and stops the stack). Like one Lambda instance, each
container serves one invocation at a time (Powertools resolvers keep per-call state); a function mapped to
a queue runs up to the mapping's MaximumConcurrency containers at once, as Lambda scales an SQS mapping.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from local.sam_template import DeployedDataPlane, IntrinsicResolver, function_environment, function_logical_ids

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class LambdaContext:
    """The parts of a Lambda context that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    deadline: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class LocalFunction:
    """A function's execution environments ("containers"): each serves one invocation at a time, and up to
    `max_containers` serve at once, each made by `new_container` (its own clients, pools and threads)."""

    logical_id: str
    function_name: str
    arn: str
    timeout_seconds: int
    memory_mb: int
    handler: Handler  # the first container: the module's own handler, as imported
    new_container: Callable[[], Handler] | None = None
    max_containers: int = 1
    _idle: list[Handler] = field(default_factory=list, repr=False)
    _containers: int = field(default=0, repr=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def invoke(self, event: dict[str, Any]) -> Any:
        """Invoke with a JSON round trip on both sides, as Lambda serialises events and results."""
        payload = json.loads(json.dumps(event))
        container = self._take_container()
        try:
            context = LambdaContext(
                self.function_name, self.arn, self.memory_mb, time.monotonic() + self.timeout_seconds
            )
            result = container(payload, context)
        finally:
            with self._changed:
                self._idle.append(container)
                self._changed.notify()
        return json.loads(json.dumps(result))

    @property
    def containers(self) -> int:
        """How many execution environments this function has started so far."""
        return self._containers

    def _take_container(self) -> Handler:
        with self._changed:
            while not self._idle and self._containers >= self._limit():
                self._changed.wait()
            if self._idle:
                return self._idle.pop()
            self._containers += 1
            first = self._containers == 1
        if first or self.new_container is None:
            return self.handler
        return self.new_container()  # a cold start, outside the lock: other containers go on serving

    def _limit(self) -> int:
        return self.max_containers if self.new_container is not None else 1


def handler_reference(cfn: dict[str, Any], function: str) -> tuple[str, str]:
    """(module, attribute): CodeUri functions/manage/ + Handler app.handler -> functions.manage.app, handler."""
    properties = cfn["Resources"][function]["Properties"]
    package = properties["Code"]["S3Key"].strip("/").replace("/", ".")
    module, attribute = properties["Handler"].rsplit(".", 1)
    return f"{package}.{module}", attribute


def union_environment(environments: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    union: dict[str, str] = {}
    for function, environment in environments.items():
        for name, value in environment.items():
            if union.setdefault(name, value) != value:
                raise ValueError(f"{function} sets {name}={value!r}, another function sets {union[name]!r}")
    return union


def load_functions(
    cfn: dict[str, Any],
    deployed: DeployedDataPlane,
    local_environment: Mapping[str, str],
    concurrency: Mapping[str, int] | None = None,
) -> dict[str, LocalFunction]:
    """Import every function of the template with its environment plus `local_environment`; a function
    named in `concurrency` runs up to that many containers at once (each cold-started by its app's
    `container(settings)`), every other one container."""
    functions = function_logical_ids(cfn)
    environments = {function: function_environment(cfn, function, deployed) for function in functions}
    os.environ.update(union_environment(environments) | dict(local_environment))
    resolver = IntrinsicResolver(cfn, deployed)
    loaded = {}
    for function in functions:
        properties = cfn["Resources"][function]["Properties"]
        name = str(resolver.resolve(properties.get("FunctionName", function)))
        module_name, attribute = handler_reference(cfn, function)
        module = _fresh_import(module_name)
        loaded[function] = LocalFunction(
            logical_id=function,
            function_name=name,
            arn=f"arn:aws:lambda:{deployed.region}:{deployed.account_id}:function:{name}",
            timeout_seconds=int(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
            handler=getattr(module, attribute),
            new_container=functools.partial(module.container, module.settings)
            if hasattr(module, "container")
            else None,
            max_containers=(concurrency or {}).get(function, 1),
        )
    return loaded


def _container_factory(module: ModuleType) -> Callable[[], Handler] | None:
    """`container(settings)` of the function's app: a new execution environment on each call."""
    if not hasattr(module, "container"):
        return None
    return functools.partial(module.container, module.settings)


def _fresh_import(module: str) -> ModuleType:
    """Import anew, so the module reads the environment just set (as a cold start would)."""
    sys.modules.pop(module, None)
    return importlib.import_module(module)
