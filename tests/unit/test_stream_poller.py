"""The local event source mapping: batches, partial responses, bisection, bounded retries, on-failure."""

from __future__ import annotations

from typing import Any

from local.stream_poller import MappingSettings, StreamMapping, lambda_record
from tests.support.template_facts import event_source_mappings

NOW = 1_795_946_400.0


def _records(count: int, created: float = NOW) -> list[dict[str, Any]]:
    return [
        {"eventID": f"e-{n}", "dynamodb": {"SequenceNumber": str(1000 + n), "ApproximateCreationDateTime": created}}
        for n in range(count)
    ]


class EmitLikeFunction:
    """Handles records in order like emit: a partial response from the first poison record, or an
    error when the batch fails from its first record. Keeps every record it handled."""

    def __init__(self, poison: set[str]) -> None:
        self.poison = poison
        self.handled: list[str] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        for index, record in enumerate(event["Records"]):
            sequence = record["dynamodb"]["SequenceNumber"]
            if sequence in self.poison:
                if index == 0:
                    raise RuntimeError("poison")
                return {"batchItemFailures": [{"itemIdentifier": sequence}]}
            self.handled.append(sequence)
        return {"batchItemFailures": []}


def test_the_template_mapping_settings_are_read() -> None:
    settings = MappingSettings.from_event_source_mapping(event_source_mappings("EmitFunction")[0])
    assert settings == MappingSettings(
        batch_size=100, bisect_on_error=True, maximum_retry_attempts=5, maximum_record_age_seconds=3600
    )


def test_healthy_records_go_in_batches_of_the_batch_size() -> None:
    function = EmitLikeFunction(poison=set())
    mapping = StreamMapping(function, MappingSettings(batch_size=10), on_failure=lambda _: None, clock=lambda: NOW)
    mapping.process(_records(25))
    assert mapping.invocations == 3
    assert function.handled == [str(1000 + n) for n in range(25)]


def test_a_poison_record_is_isolated_and_goes_to_the_on_failure_destination() -> None:
    # Given a batch of 100 records whose 38th never succeeds
    function = EmitLikeFunction(poison={"1037"})
    discarded: list[dict[str, Any]] = []
    settings = MappingSettings(batch_size=100, bisect_on_error=True, maximum_retry_attempts=5)
    # When the mapping feeds them to the function
    StreamMapping(function, settings, on_failure=discarded.append, clock=lambda: NOW).process(_records(100))
    # Then every other record is handled (some twice: duplicates are expected downstream)
    assert set(function.handled) == {str(1000 + n) for n in range(100)} - {"1037"}
    # And only the poison record's metadata goes to the on-failure destination, after bounded retries
    (failure,) = discarded
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("1037", "1037", 1)
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 6


def test_without_bisection_a_failing_batch_is_retried_then_discarded_whole() -> None:
    calls: list[int] = []

    def always_fails(event: dict[str, Any]) -> None:
        calls.append(len(event["Records"]))
        raise RuntimeError("down")

    discarded: list[dict[str, Any]] = []
    settings = MappingSettings(batch_size=10, bisect_on_error=False, maximum_retry_attempts=2)
    StreamMapping(always_fails, settings, on_failure=discarded.append, clock=lambda: NOW).process(_records(4))
    assert calls == [4, 4, 4]
    assert [failure["DDBStreamBatchInfo"]["batchSize"] for failure in discarded] == [4]


def test_a_response_naming_an_unknown_record_fails_the_whole_batch() -> None:
    responses = iter([{"batchItemFailures": [{"itemIdentifier": "nope"}]}, {"batchItemFailures": []}])
    seen: list[int] = []

    def function(event: dict[str, Any]) -> Any:
        seen.append(len(event["Records"]))
        return next(responses)

    settings = MappingSettings(batch_size=10, bisect_on_error=False)
    StreamMapping(function, settings, on_failure=lambda _: None, clock=lambda: NOW).process(_records(3))
    assert seen == [3, 3]


def test_records_older_than_the_maximum_age_are_discarded_unprocessed() -> None:
    function = EmitLikeFunction(poison=set())
    discarded: list[dict[str, Any]] = []
    settings = MappingSettings(batch_size=10, maximum_record_age_seconds=60)
    records = _records(2, created=NOW - 120) + _records(1)
    StreamMapping(function, settings, on_failure=discarded.append, clock=lambda: NOW).process(records)
    assert [failure["requestContext"]["condition"] for failure in discarded] == ["RecordAgeExceeded"]
    assert discarded[0]["DDBStreamBatchInfo"]["batchSize"] == 2
    assert function.handled == ["1000"]


def test_a_get_records_record_is_shaped_as_lambda_delivers_it() -> None:
    from datetime import UTC, datetime

    record = {
        "eventID": "e-1",
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime.fromtimestamp(NOW, UTC),
            "NewImage": {"blob": {"B": b"\x00\x01"}, "tags": {"BS": [b"\x02"]}},
            "SequenceNumber": "1",
        },
    }
    shaped = lambda_record(record, "arn:stream")
    assert shaped["eventSourceARN"] == "arn:stream"
    assert shaped["dynamodb"]["ApproximateCreationDateTime"] == NOW
    assert shaped["dynamodb"]["NewImage"] == {"blob": {"B": "AAE="}, "tags": {"BS": ["Ag=="]}}
