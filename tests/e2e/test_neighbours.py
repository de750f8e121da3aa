"""The isolation benchmark's scenario at CI size, untimed: beside a neighbour whose endpoint is dead or slow and
who has a backlog queued first, every event of a healthy account arrives exactly once, verified, and is logged.

`python bench/bench_isolation.py` runs the same code with backlogs of 500 and 50 and measures the latency.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.isolation import Neighbour, Workload, run_phase
from local.stack_process import StackProcess
from tests.e2e.conftest import RunningStack, stack_environment

pytestmark = pytest.mark.e2e

CI_BACKLOG = 20
CI_WORKLOAD = Workload(records=10, per_second=5.0)
PHASE_TIMEOUT_SECONDS = 45.0
NEIGHBOURS = [
    # A short read timeout keeps the run short: each POST to the dead endpoint costs 2 s instead of 10 s.
    Neighbour("dead", CI_BACKLOG, webhook_settings={"connect_timeout_seconds": 1, "read_timeout_seconds": 2}),
    # The benchmark's slow endpoint (200 after 8 s), within the default 10 s read timeout.
    Neighbour("slow", CI_BACKLOG),
]


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of this module's own: what the neighbours leave on the queues (held back, perhaps for minutes)
    must not reach the other e2e tests, which wait for an empty delivery queue."""
    state = tmp_path_factory.mktemp("neighbours-stack")
    environ = stack_environment(state)
    with StackProcess(environ, state / "stack.log") as process:
        yield RunningStack(process.info, state, environ)


@pytest.mark.parametrize("neighbour", NEIGHBOURS, ids=lambda neighbour: neighbour.kind)
def test_every_event_of_a_healthy_account_arrives_once_beside_an_unhealthy_neighbour(
    own_stack: RunningStack, neighbour: Neighbour
):
    # Given a neighbour whose endpoint is dead (or slow) with its backlog queued first,
    # When a healthy account writes its records
    result = run_phase(
        own_stack.info, own_stack.token, neighbour, CI_WORKLOAD, timeout_seconds=PHASE_TIMEOUT_SECONDS, settle_seconds=1
    )

    # Then the whole backlog had been queued ahead of them
    assert result.backlog_queued == CI_BACKLOG, result.describe()
    # And every event of the healthy account arrived once, verified, and is logged as succeeded: none lost
    assert (result.received, result.duplicated, result.unverified) == (CI_WORKLOAD.records, 0, 0), result.describe()
    assert result.logged_succeeded == CI_WORKLOAD.records, result.describe()
