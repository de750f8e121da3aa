"""The template's event source mappings (translated SAM), as settings a local poller follows, and its counters."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Kind = Literal["stream", "queue"]
# Lambda's defaults when a mapping leaves a setting out (-1: no limit). Without ScalingConfig, Lambda scales an
# SQS mapping up to the account's concurrency; the local stack then runs one invocation at a time.
DEFAULT_BATCH_SIZE = {"stream": 100, "queue": 10}


@dataclass(frozen=True)
class EventSourceMapping:
    logical_id: str
    function: str
    source: str
    kind: Kind
    batch_size: int
    batching_window_seconds: float = 0.0
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age_seconds: int = -1
    report_batch_item_failures: bool = False
    on_failure: str | None = None
    # SQS mappings: how many invocations Lambda runs at once at most (ScalingConfig), 1 for streams here.
    maximum_concurrency: int = 1

    def describe(self) -> str:
        parts = [f"batch {self.batch_size}", f"window {self.batching_window_seconds:g}s"]
        if self.report_batch_item_failures:
            parts.append("partial batch failures")
        if self.kind == "stream":
            parts.append("bisect" if self.bisect_on_error else "no bisect")
            parts.append(f"{self.maximum_retry_attempts} retries")
        if self.on_failure:
            parts.append(f"on failure -> {self.on_failure}")
        if self.kind == "queue":
            parts.append(f"up to {self.maximum_concurrency} at once")
        return ", ".join(parts)


def _get_att_target(value: Any) -> str:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise ValueError(f"expected Fn::GetAtt of a template resource, got {value!r}")


def _parameter_or_value(cfn: dict[str, Any], value: Any, parameters: Mapping[str, str]) -> Any:
    """A literal, or a `Ref` to a template parameter: its value as deployed, else its default."""
    if isinstance(value, dict) and "Ref" in value:
        return parameters.get(value["Ref"], cfn["Parameters"][value["Ref"]]["Default"])
    return value


def event_source_mappings(cfn: dict[str, Any], parameters: Mapping[str, str] | None = None) -> list[EventSourceMapping]:
    mappings = []
    for logical_id, resource in sorted(cfn["Resources"].items()):
        if resource["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        properties = resource["Properties"]
        source_arn = properties["EventSourceArn"]["Fn::GetAtt"]
        kind: Kind = "stream" if source_arn[1] == "StreamArn" else "queue"
        destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        mappings.append(
            EventSourceMapping(
                logical_id=logical_id,
                function=properties["FunctionName"]["Ref"],
                source=source_arn[0],
                kind=kind,
                batch_size=int(properties.get("BatchSize", DEFAULT_BATCH_SIZE[kind])),
                batching_window_seconds=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
                bisect_on_error=bool(properties.get("BisectBatchOnFunctionError", False)),
                maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
                maximum_record_age_seconds=int(properties.get("MaximumRecordAgeInSeconds", -1)),
                report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
                on_failure=_get_att_target(destination) if destination else None,
                maximum_concurrency=int(
                    _parameter_or_value(
                        cfn, properties.get("ScalingConfig", {}).get("MaximumConcurrency", 1), parameters or {}
                    )
                ),
            )
        )
    return mappings


def function_concurrency(mappings: list[EventSourceMapping]) -> dict[str, int]:
    """How many containers each queue-fed function may run at once: the sum of its queue mappings'
    MaximumConcurrency, as each mapping scales its own invocations of the one function."""
    concurrency: dict[str, int] = {}
    for mapping in mappings:
        if mapping.kind == "queue":
            concurrency[mapping.function] = concurrency.get(mapping.function, 0) + mapping.maximum_concurrency
    return concurrency


@dataclass
class PollerStats:
    """What one poller did, for `GET /_local/status`, the banner and the tests."""

    mapping: str
    function: str
    source: str
    invocations: int = 0
    records: int = 0
    succeeded: int = 0
    function_errors: int = 0
    partial_failures: int = 0
    retried: int = 0
    sent_to_on_failure: int = 0
    poll_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {spec.name: getattr(self, spec.name) for spec in fields(self) if not spec.name.startswith("_")}
