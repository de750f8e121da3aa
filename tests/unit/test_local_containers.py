"""The local stack's functions scale as Lambda does: up to a limit of containers, each serving one
invocation at a time, each cold-started with its own state."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.lambda_runtime import LocalFunction


class Containers:
    """Makes containers that hold each invocation until released and count what they serve at once."""

    def __init__(self) -> None:
        self.made: list[dict[str, int]] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.at_once = 0
        self.most_at_once = 0

    def new(self) -> Any:
        state = {"in_flight": 0, "most_in_flight": 0, "served": 0}
        self.made.append(state)

        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            with self._lock:
                state["in_flight"] += 1
                state["most_in_flight"] = max(state["most_in_flight"], state["in_flight"])
                self.at_once += 1
                self.most_at_once = max(self.most_at_once, self.at_once)
            self.release.wait(timeout=10)
            with self._lock:
                state["in_flight"] -= 1
                state["served"] += 1
                self.at_once -= 1
            return {"container": len(self.made)}

        return handler


def _function(containers: Containers, max_containers: int) -> LocalFunction:
    return LocalFunction(
        logical_id="DeliverFunction",
        function_name="webhooks-deliver-dev",
        arn="arn:aws:lambda:us-east-1:123456789012:function:webhooks-deliver-dev",
        timeout_seconds=60,
        memory_mb=512,
        handler=containers.new(),
        new_container=containers.new,
        max_containers=max_containers,
    )


def test_concurrent_invocations_run_in_up_to_the_limit_of_containers_each_serving_one_at_a_time() -> None:
    # Given a function allowed 3 containers
    containers = Containers()
    function = _function(containers, max_containers=3)
    # When 5 invocations arrive at once
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = [pool.submit(function.invoke, {"Records": []}) for _ in range(5)]
        threading.Timer(0.3, containers.release.set).start()
        answers = [result.result(timeout=15) for result in results]
    # Then 3 containers served them, 3 at once at most, and no container ever had two at once
    assert len(answers) == 5
    assert (function.containers, containers.most_at_once) == (3, 3)
    assert [state["most_in_flight"] for state in containers.made[:3]] == [1, 1, 1]
    assert sum(state["served"] for state in containers.made) == 5


def test_a_function_without_a_container_factory_serves_one_invocation_at_a_time() -> None:
    containers = Containers()
    function = LocalFunction(
        logical_id="ManageFunction",
        function_name="webhooks-manage-dev",
        arn="arn:aws:lambda:us-east-1:123456789012:function:webhooks-manage-dev",
        timeout_seconds=30,
        memory_mb=512,
        handler=containers.new(),
        max_containers=20,
    )
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = [pool.submit(function.invoke, {}) for _ in range(3)]
        threading.Timer(0.2, containers.release.set).start()
        assert [result.result(timeout=15) for result in results] == [{"container": 1}] * 3
    assert containers.most_at_once == 1
