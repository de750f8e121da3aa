"""template.yaml and the code agree: environment, tables, queues, permissions and event sources."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import pytest

from local.sam_template import ROOT, TEMPLATE_PATH, function_environment, function_logical_ids, translated_template
from local.stack import LOCAL_FUNCTION_ENVIRONMENT
from tests.integration.conftest import MotoAws
from tests.support.aws_calls import AwsCall, AwsCallRecorder
from tests.support.handlers import handler_module_name, load_handler
from tests.support.template_facts import code_policy_grants, event_source_mappings
from webhooks.adapters.http_sender import MAX_ATTEMPT_SECONDS
from webhooks.delivery.record import DELIVER_TIMEOUT_SECONDS
from webhooks.domain.webhook import MAX_TIMEOUT_SECONDS
from webhooks.permissions import FUNCTION_ACTIONS

FUNCTIONS = ["DeliverFunction", "EmitFunction", "ManageFunction"]


def test_the_template_declares_exactly_the_three_functions() -> None:
    assert function_logical_ids(translated_template()) == FUNCTIONS


def test_the_data_plane_is_created_from_the_template(aws: MotoAws) -> None:
    # Given the template deployed into moto
    dynamodb = aws.session.client("dynamodb")
    sqs = aws.session.client("sqs")
    # Then every table and queue the template declares exists, with the settings the code relies on
    assert set(aws.deployed.tables) == {
        "WebhooksTable", "DeliveriesTable", "AuditTable", "EndpointCircuitsTable", "EndpointStatsTable",
        "OperationalEventsTable", "LicensesTable", "ActivationsTable", "ProductsTable", "ContractsTable",
    }  # fmt: skip
    assert set(aws.deployed.queues) == {
        "DeliveryQueue",
        "SlowDeliveryQueue",
        "DeliveryDeadLetterQueue",
        "EmitFailureQueue",
    }
    for logical_id in (
        "LicensesTable",
        "ActivationsTable",
        "ProductsTable",
        "ContractsTable",
        "OperationalEventsTable",
    ):
        table = dynamodb.describe_table(TableName=aws.deployed.tables[logical_id])["Table"]
        assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    for logical_id in ("DeliveriesTable", "EndpointCircuitsTable", "EndpointStatsTable", "OperationalEventsTable"):
        ttl = dynamodb.describe_time_to_live(TableName=aws.deployed.tables[logical_id])
        assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    redrive = sqs.get_queue_attributes(QueueUrl=aws.deployed.queues["DeliveryQueue"], AttributeNames=["RedrivePolicy"])
    assert aws.deployed.arn("DeliveryDeadLetterQueue") in redrive["Attributes"]["RedrivePolicy"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_variable_the_code_reads_is_set_by_the_template(
    function: str, aws: MotoAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the environment AWS would give the function
    environment = function_environment(translated_template(), function, aws.deployed)
    # When its handler module is imported with exactly that environment
    loaded = load_handler(function, aws.deployed, aws.recorder, monkeypatch)
    # Then its settings load, and every variable they read is one the template sets
    read = type(loaded.module.settings).variable_names()
    # (the variables only the local stack adds, which a deployment never sets, excepted)
    assert read - set(LOCAL_FUNCTION_ENVIRONMENT) <= set(environment), read - set(environment)
    for value in environment.values():
        assert "${" not in value
        assert "Fn::" not in value


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_variable_missing_from_the_template_stops_the_handler_loading(
    function: str, aws: MotoAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the function's environment without one variable its settings require
    environment = function_environment(translated_template(), function, aws.deployed)
    monkeypatch.delenv("WEBHOOKS_TABLE", raising=False)
    missing = {name: value for name, value in environment.items() if name != "WEBHOOKS_TABLE"}
    # Then importing the handler fails loudly, naming the variable
    with pytest.raises(ValueError, match="WEBHOOKS_TABLE"):
        load_handler(function, aws.deployed, aws.recorder, monkeypatch, missing)


def _reads_of_the_environment(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}:
            lines.append(node.lineno)
    return lines


def test_only_the_settings_module_reads_the_environment() -> None:
    sources = [*ROOT.joinpath("functions").rglob("*.py"), *ROOT.joinpath("layers/common/webhooks").rglob("*.py")]
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in sources
        if path.name != "config.py" and (lines := _reads_of_the_environment(path))
    }
    assert not offenders


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_policy_grants_exactly_the_declared_actions(function: str) -> None:
    # Given the CodeActions policy of the function's role (test_execution_roles checks the rest of the role)
    granted = code_policy_grants(function)
    # Then it grants exactly what webhooks.permissions declares the code calls
    declared = {resource: set(actions) for resource, actions in FUNCTION_ACTIONS[function].items()}
    assert granted == declared


def test_a_call_outside_the_declared_actions_is_reported(aws: MotoAws) -> None:
    # Given a recorder on the session and a call no function declares
    recorder = AwsCallRecorder(aws.deployed)
    recorder.attach(aws.session.events)
    aws.session.client("dynamodb").scan(TableName=aws.deployed.tables["WebhooksTable"])
    # Then it is reported for every function
    for function in FUNCTIONS:
        assert AwsCall("dynamodb:Scan", "WebhooksTable") in recorder.undeclared(function)


def test_a_declared_call_is_not_reported(aws: MotoAws) -> None:
    recorder = AwsCallRecorder(aws.deployed)
    recorder.attach(aws.session.events)
    aws.session.client("sqs").send_message_batch(
        QueueUrl=aws.deployed.queues["DeliveryQueue"], Entries=[{"Id": "1", "MessageBody": "{}"}]
    )
    assert recorder.calls == [AwsCall("sqs:SendMessage", "DeliveryQueue")]
    assert recorder.undeclared("EmitFunction") == []
    assert recorder.undeclared("ManageFunction") == []


def test_stream_mappings_retry_boundedly_and_never_block_the_shard() -> None:
    mappings = event_source_mappings("EmitFunction")
    assert len(mappings) == 5  # the four domain tables' streams and the operational events'
    for mapping in mappings:
        assert mapping["BisectBatchOnFunctionError"] is True
        assert 0 <= mapping["MaximumRetryAttempts"] <= 10
        assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= 21_600
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["EmitFailureQueue", "Arn"]}


def test_both_delivery_queues_outlast_six_deliver_timeouts_and_share_the_dead_letter_queue() -> None:
    resources = translated_template()["Resources"]
    mappings = event_source_mappings("DeliverFunction")
    timeout = resources["DeliverFunction"]["Properties"]["Timeout"]
    queues = [mapping["EventSourceArn"]["Fn::GetAtt"][0] for mapping in mappings]
    assert sorted(queues) == ["DeliveryQueue", "SlowDeliveryQueue"]
    for mapping, queue in zip(mappings, queues, strict=True):
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        properties = resources[queue]["Properties"]
        assert properties["VisibilityTimeout"] >= 6 * timeout
        assert properties["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]}


# What a batch does around its POSTs (one webhook read, the claims, one result write with its retry
# rounds, the retries it queues): a few DynamoDB and SQS calls, well under this.
BATCH_BOOKKEEPING_SECONDS = 10


def _deliver_timing() -> tuple[int, int, int]:
    """The deliver function's timeout, the largest batch its queue mappings hand it, and the POSTs it
    sends at once."""
    properties = translated_template()["Resources"]["DeliverFunction"]["Properties"]
    return (
        properties["Timeout"],
        max(mapping["BatchSize"] for mapping in event_source_mappings("DeliverFunction")),
        int(properties["Environment"]["Variables"]["DELIVERY_CONCURRENCY"]),
    )


def test_the_deliver_timeout_the_code_assumes_is_the_templates() -> None:
    # Given the timeout after which the log shows a pending claim as unknown
    timeout, _, _ = _deliver_timing()
    # Then it is the deliver function's timeout: a claim older than that can no longer complete
    assert timeout == DELIVER_TIMEOUT_SECONDS


def test_deliver_posts_a_whole_batch_at_once() -> None:
    _, batch_size, concurrency = _deliver_timing()
    assert concurrency >= batch_size


def test_a_batch_of_the_slowest_attempts_ends_within_the_deliver_timeout() -> None:
    # Given the slowest attempt a webhook can be set to (the highest connect and read timeouts, as bounded)
    timeout, batch_size, concurrency = _deliver_timing()
    slowest_attempt = min(2 * MAX_TIMEOUT_SECONDS, MAX_ATTEMPT_SECONDS)
    # When a full batch of such attempts is sent, `concurrency` at a time
    rounds_of_posts = math.ceil(batch_size / concurrency)
    # Then the batch ends, its results logged, before Lambda stops the function
    assert rounds_of_posts * slowest_attempt + BATCH_BOOKKEEPING_SECONDS <= timeout


def test_every_function_runs_python_312_with_the_common_layer() -> None:
    resources = translated_template()["Resources"]
    for function in FUNCTIONS:
        properties = resources[function]["Properties"]
        assert properties["Runtime"] == "python3.12"
        assert len(properties["Layers"]) == 1
        assert handler_module_name(function).startswith("functions.")


def test_cfn_lint_rejects_a_broken_template(tmp_path: Path) -> None:
    # Given the template with one lint error (a visibility timeout above SQS's 12 hours)
    broken = tmp_path / "template.yaml"
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert "VisibilityTimeout: 360\n" in text
    broken.write_text(text.replace("VisibilityTimeout: 360\n", "VisibilityTimeout: 99999\n"))
    cfn_lint = [str(Path(sys.executable).with_name("cfn-lint"))]
    # Then cfn-lint fails on it and passes on the real one
    assert subprocess.run([*cfn_lint, str(broken)], capture_output=True, check=False).returncode != 0
    assert subprocess.run([*cfn_lint, str(TEMPLATE_PATH)], capture_output=True, check=False).returncode == 0
