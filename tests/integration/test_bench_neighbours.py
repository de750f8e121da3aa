"""The isolation benchmark's unhealthy endpoints on loopback: the dead one never answers, the slow one does."""

from __future__ import annotations

import pytest
import urllib3

from bench.neighbours import DeadEndpoint, SlowEndpoint


def test_the_dead_endpoint_accepts_the_connection_and_never_answers():
    # Given the dead endpoint
    with DeadEndpoint() as endpoint:
        client = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2.0, read=0.3))

        # When a POST is sent to it, Then the sender's read timeout is what ends it
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            client.request("POST", endpoint.url("/neighbour"), body=b"{}")

        # And the connection did reach it
        assert endpoint.arrivals == 1


def test_the_slow_endpoint_answers_200_and_counts_each_post():
    # Given a slow endpoint that answers after 0.1 s
    with SlowEndpoint(answer_after_seconds=0.1) as endpoint:
        client = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2.0, read=10.0))

        # When two POSTs are sent to it
        statuses = [client.request("POST", endpoint.url("/neighbour"), body=b"{}").status for _ in range(2)]

    # Then both are answered 200, and both were counted
    assert statuses == [200, 200]
    assert endpoint.arrivals == 2
