"""The local stack's pure parts: settings read from the template, environments, stack.json, the banner."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.lambda_runtime import LambdaContext, LocalFunction, handler_reference, union_environment
from local.pollers.mappings import PollerStats, event_source_mappings, function_concurrency
from local.sam_template import translated_template
from local.stack import banner
from local.state import LocalPorts, StackInfo, stack_json_path, state_dir
from tests.support.local_stack import a_queue_mapping, a_stream_mapping


def test_the_pollers_follow_the_templates_event_source_mappings():
    mappings = {mapping.logical_id: mapping for mapping in event_source_mappings(translated_template())}

    assert set(mappings) == {
        "EmitFunctionLicenses",
        "EmitFunctionActivations",
        "EmitFunctionProducts",
        "EmitFunctionContracts",
        "EmitFunctionOperationalEvents",
        "DeliverFunctionQueue",
        "DeliverFunctionSlowLane",
    }
    assert mappings["EmitFunctionLicenses"] == a_stream_mapping(batching_window_seconds=1.0)
    assert mappings["DeliverFunctionQueue"] == a_queue_mapping(batching_window_seconds=1.0, maximum_concurrency=20)
    # The slow lane's concurrency is a template parameter, taken at its default
    assert mappings["DeliverFunctionSlowLane"] == a_queue_mapping(
        logical_id="DeliverFunctionSlowLane",
        source="SlowDeliveryQueue",
        batching_window_seconds=1.0,
        maximum_concurrency=2,
    )


def test_a_function_fed_by_two_queues_runs_as_many_containers_as_both_mappings_allow():
    # The main lane's 20 and the slow lane's 2: one mapping's setting must not cap the other's invocations
    assert function_concurrency(event_source_mappings(translated_template())) == {"DeliverFunction": 22}


def test_functions_load_from_their_code_uri_and_handler():
    assert handler_reference(translated_template(), "DeliverFunction") == ("functions.deliver.app", "handler")


def test_the_union_of_the_function_environments_keeps_every_variable():
    union = union_environment({"EmitFunction": {"A": "1", "T": "x"}, "DeliverFunction": {"A": "1", "C": "10"}})

    assert union == {"A": "1", "T": "x", "C": "10"}


def test_conflicting_function_environments_stop_the_stack():
    with pytest.raises(ValueError, match="DeliverFunction sets A='2'"):
        union_environment({"EmitFunction": {"A": "1"}, "DeliverFunction": {"A": "2"}})


def test_a_local_invocation_passes_json_both_ways_with_a_lambda_context():
    seen: dict[str, Any] = {}

    def handler(event, context):
        seen.update(event=event, context=context)
        return {"batchItemFailures": (), "count": len(event["Records"])}

    function = LocalFunction("EmitFunction", "webhooks-emit-dev", "arn:emit", 60, 512, handler)

    result = function.invoke({"Records": ({"id": 1},)})

    assert result == {"batchItemFailures": [], "count": 1}
    assert seen["event"] == {"Records": [{"id": 1}]}
    assert isinstance(seen["context"], LambdaContext)
    assert seen["context"].function_name == "webhooks-emit-dev"
    assert 59_000 < seen["context"].get_remaining_time_in_millis() <= 60_000


def test_ports_and_the_state_folder_come_from_the_environment(tmp_path):
    environ = {"LOCAL_API_PORT": "3100", "LOCAL_AWS_PORT": "5100", "LOCAL_STATE_DIR": str(tmp_path)}

    assert LocalPorts.from_environ(environ) == LocalPorts(api=3100, aws=5100)
    assert LocalPorts.from_environ({}) == LocalPorts(api=3000, aws=5000)
    assert stack_json_path(environ) == tmp_path / "stack.json"
    assert state_dir({}).name == ".local"


def a_stack_info() -> StackInfo:
    return StackInfo(
        api_url="http://127.0.0.1:3000",
        aws_endpoint="http://127.0.0.1:5000",
        region="us-east-1",
        tables={"licenses": "licenses-dev", "webhooks": "webhooks-dev"},
        queues={"delivery": "https://sqs.us-east-1.amazonaws.com/123456789012/webhooks-delivery-dev"},
        pid=42,
    )


def test_stack_json_holds_the_documented_keys_and_reads_back(tmp_path):
    path = tmp_path / "stack.json"

    a_stack_info().write(path)

    document = json.loads(path.read_text())
    assert {"api_url", "aws_endpoint", "region", "tables", "queues"} <= set(document)
    assert StackInfo.read(path) == a_stack_info()


def test_the_banner_shows_endpoints_tables_and_how_to_call_the_api(tmp_path):
    text = banner(a_stack_info(), [a_stream_mapping(), a_queue_mapping()], tmp_path, 2.5)

    assert "http://127.0.0.1:3000" in text
    assert "http://127.0.0.1:5000" in text
    assert "licenses-dev" in text
    assert "make token ACCOUNT=acme ROLE=admin" in text
    assert "http://127.0.0.1:3000/docs" in text
    assert "http://127.0.0.1:3000/openapi.json (no token needed)" in text
    assert "valid 60 minutes" in text
    assert 'curl -s -H "Authorization: Bearer $(make -s token)" http://127.0.0.1:3000/events' in text
    assert "LicensesTable -> EmitFunction: batch 100" in text
    assert "on failure -> EmitFailureQueue" in text


def test_poller_counters_add_up_and_snapshot_without_the_lock():
    stats = PollerStats("DeliverFunctionQueue", "DeliverFunction", "DeliveryQueue")

    stats.add(invocations=1, records=3)
    stats.add(records=2)

    assert stats.snapshot() == {
        "mapping": "DeliverFunctionQueue",
        "function": "DeliverFunction",
        "source": "DeliveryQueue",
        "invocations": 1,
        "records": 5,
        "succeeded": 0,
        "function_errors": 0,
        "partial_failures": 0,
        "retried": 0,
        "sent_to_on_failure": 0,
        "poll_errors": 0,
    }
