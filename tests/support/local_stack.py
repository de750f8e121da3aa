"""Builders and fakes for the local stack's tests: stream records, event source mappings, fake handlers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from local.pollers.mappings import EventSourceMapping

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/licenses-dev/stream/2026-11-29T10:00:00.000"


def a_stream_mapping(**overrides: Any) -> EventSourceMapping:
    """The template's stream mapping settings (see template.yaml, EmitFunction's events)."""
    settings: dict[str, Any] = {
        "logical_id": "EmitFunctionLicenses",
        "function": "EmitFunction",
        "source": "LicensesTable",
        "kind": "stream",
        "batch_size": 100,
        "batching_window_seconds": 0.0,
        "bisect_on_error": True,
        "maximum_retry_attempts": 5,
        "maximum_record_age_seconds": 3600,
        "report_batch_item_failures": True,
        "on_failure": "EmitFailureQueue",
    }
    return EventSourceMapping(**(settings | overrides))


def a_queue_mapping(**overrides: Any) -> EventSourceMapping:
    settings: dict[str, Any] = {
        "logical_id": "DeliverFunctionQueue",
        "function": "DeliverFunction",
        "source": "DeliveryQueue",
        "kind": "queue",
        "batch_size": 10,
        "batching_window_seconds": 0.0,
        "report_batch_item_failures": True,
    }
    return EventSourceMapping(**(settings | overrides))


def a_stream_record(sequence: int, *, created: float | None = None, event_name: str = "INSERT") -> dict[str, Any]:
    """A record as the poller hands it to the function (Lambda's shape, eventSourceARN included)."""
    return {
        "eventID": f"event-{sequence}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": int(time.time() if created is None else created),
            "Keys": {"id": {"S": f"lic-{sequence}"}},
            "NewImage": {"id": {"S": f"lic-{sequence}"}},
            "SequenceNumber": f"{1000 + sequence}",
            "SizeBytes": 40,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": STREAM_ARN,
    }


def record_ids(event: dict[str, Any]) -> list[str]:
    """Which domain items an invocation carried (lic-N for a stream record, the body for a message)."""
    return [
        record["dynamodb"]["Keys"]["id"]["S"] if "dynamodb" in record else record["body"] for record in event["Records"]
    ]


@dataclass
class FakeHandler:
    """A handler that fails on chosen items: `crash_on` raises (a function error), `report` returns them
    in batchItemFailures (by sequence number for streams, message id for queues)."""

    crash_on: set[str] = field(default_factory=set)
    report: set[str] = field(default_factory=set)
    invocations: list[list[str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        ids = record_ids(event)
        self.invocations.append(ids)
        if self.crash_on & set(ids):
            raise RuntimeError("poison record")
        failures = [
            {"itemIdentifier": record["dynamodb"]["SequenceNumber"] if "dynamodb" in record else record["messageId"]}
            for record, item in zip(event["Records"], ids, strict=True)
            if item in self.report
        ]
        return {"batchItemFailures": failures}

    @property
    def processed(self) -> list[str]:
        return [item for invocation in self.invocations for item in invocation]


def wait_for(condition: Any, timeout_seconds: float = 20.0, interval: float = 0.05) -> Any:
    """Poll `condition()` until it gives something truthy (returned) or the timeout passes (its last value);
    the test then asserts on the outcome, not the time."""
    deadline = time.monotonic() + timeout_seconds
    while not (outcome := condition()) and time.monotonic() < deadline:
        time.sleep(interval)
    return outcome


@dataclass
class EmulatedAws:
    """The template's data plane on a moto server, as the local stack runs it (streams need the server)."""

    session: Any
    deployed: Any
    endpoint: str


def deploy_on_emulator(endpoint: str) -> EmulatedAws:
    """Reset the emulator and create the template's tables and queues anew."""
    import urllib.request

    import boto3

    from local.data_plane import deploy_data_plane

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()  # noqa: S310 - loopback emulator
    session = EndpointSession(
        boto3.Session(region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"), endpoint
    )
    return EmulatedAws(session, deploy_data_plane(session), endpoint)


@dataclass
class EndpointSession:
    """A boto3 session whose clients all talk to one endpoint (what AWS_ENDPOINT_URL does for the stack)."""

    session: Any
    endpoint: str

    @property
    def region_name(self) -> str:
        return str(self.session.region_name)

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint, **kwargs)
