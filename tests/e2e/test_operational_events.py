"""An account hears about its own webhooks: an endpoint that dies and comes back, told to a second webhook."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.receiver import Receiver
from tests.e2e.conftest import DELIVERY_SECONDS, Tenant, eventually
from tests.support.local_stack import wait_for

pytestmark = pytest.mark.e2e
FAILURES_THAT_OPEN = 5  # the template's CircuitFailureThreshold default
# The template's CircuitOpenSeconds default (30 s, jittered by a fifth) before the next attempt probes it.
OPEN_SECONDS = 36


def test_a_dead_endpoint_is_announced_failing_then_recovered_to_another_webhook_of_the_account(
    tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given a webhook whose endpoint answers 503, and a second webhook of the account for its operational events
    dead, watcher = new_receiver(), new_receiver()
    dead.respond_with = 503
    dead_id = tenant.subscribe(dead, events=["license.*"])
    tenant.subscribe(watcher, events=["webhook.failing", "webhook.recovered"])

    # When the platform writes as many licenses as it takes failures to open the endpoint's circuit
    tenant.write(*(tenant.a_license() for _ in range(FAILURES_THAT_OPEN)))

    # Then the second webhook receives webhook.failing about the dead one
    def announced(event: str) -> list[dict[str, object]]:
        return [d.payload["payload"] for d in watcher.deliveries if d.payload and d.payload["event"] == event]

    assert eventually(lambda: announced("webhook.failing"))
    [failing] = announced("webhook.failing")
    assert (failing["webhook_id"], failing["consecutive_failures"]) == (dead_id, FAILURES_THAT_OPEN)

    # When the endpoint comes back and the next license waits out the open circuit, then probes it
    dead.respond_with = 200
    tenant.write(tenant.a_license())

    # Then that probe succeeds and the second webhook receives webhook.recovered about it
    assert wait_for(lambda: announced("webhook.recovered"), timeout_seconds=DELIVERY_SECONDS + OPEN_SECONDS)
    [recovered] = announced("webhook.recovered")
    assert (recovered["webhook_id"], recovered["failing_since"]) == (dead_id, failing["failing_since"])
    # And every POST, to either endpoint, verified with the standardwebhooks package against its secret
    assert [d.event for d in watcher.deliveries] == ["webhook.failing", "webhook.recovered"]
    assert len(dead.deliveries) == FAILURES_THAT_OPEN + 1
    assert all(delivery.verified for delivery in [*dead.deliveries, *watcher.deliveries])
