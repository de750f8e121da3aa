"""Ops are told when something is stuck: every failure path of the template has an alarm, and the
dashboard and the failure-rate alarm chart metrics the functions really emit (read from their EMF output)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.sam_template import ROOT, translated_template
from tests.integration.conftest import MotoAws
from tests.support.aws_faults import DynamoFaults
from tests.support.builders import a_delivery_message, a_license, a_stored_webhook, a_webhook
from tests.support.events import sqs_event
from tests.support.handlers import LoadedHandler, function_clients
from tests.support.receivers import Receiver
from tests.support.streams import Platform
from webhooks.adapters.aws_clients import client
from webhooks.catalogue import Environment

# A metric as CloudWatch identifies it: namespace, name, and its dimensions (name, value), sorted.
Metric = tuple[str, str, tuple[tuple[str, str], ...]]
LOOPBACK = {"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"}
SLOW = {"SLOW_ATTEMPT_SECONDS": "0.2"}  # an answer after 300 ms is slow


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in translated_template()["Resources"].items() if r["Type"] == kind}


def _alarms() -> list[dict[str, Any]]:
    return list(_resources("AWS::CloudWatch::Alarm").values())


def _dimension_refs(alarm: dict[str, Any]) -> list[Any]:
    return [dimension["Value"] for dimension in alarm.get("Dimensions", [])]


def _parameter_default(name: str) -> str:
    return str(translated_template()["Parameters"][name]["Default"])


def _watched_metric(alarm: dict[str, Any]) -> Metric:
    """The one metric an alarm watches, with the namespace parameter at its default."""
    dimensions = tuple(sorted((d["Name"], d["Value"]) for d in alarm["Dimensions"]))
    return (_parameter_default(alarm["Namespace"]["Ref"]), alarm["MetricName"], dimensions)


def _dashboard() -> dict[str, Any]:
    """The dashboard body with parameters at their defaults and resource references as `<Name>`."""
    (dashboard,) = _resources("AWS::CloudWatch::Dashboard").values()
    parameters = translated_template()["Parameters"]

    def resolve(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(parameters[name]["Default"]) if name in parameters else f"<{name}>"

    return dict(json.loads(re.sub(r"\$\{([^}]+)\}", resolve, dashboard["DashboardBody"]["Fn::Sub"])))


def _charted_metrics(dashboard: dict[str, Any]) -> list[Metric]:
    charted: list[Metric] = []
    for widget in dashboard["widgets"]:
        for line in widget["properties"]["metrics"]:
            fields = [field for field in line if isinstance(field, str)]
            if fields:
                namespace, name, *dimensions = fields
                charted.append((namespace, name, tuple(sorted(zip(dimensions[::2], dimensions[1::2], strict=True)))))
    return charted


def _searches(dashboard: dict[str, Any]) -> list[str]:
    return [
        field["expression"]
        for widget in dashboard["widgets"]
        for line in widget["properties"]["metrics"]
        for field in line
        if isinstance(field, dict) and field.get("expression", "").startswith("SEARCH(")
    ]


@pytest.fixture
def emitted_metrics(
    aws: MotoAws,
    receiver: Receiver,
    handler_for: Callable[..., LoadedHandler],
    capsys: pytest.CaptureFixture[str],
) -> set[Metric]:
    """Every metric emit and deliver publish when they meet each outcome, as their EMF lines name them."""
    platform = Platform(aws.deployed)
    ok = a_webhook(webhook_id="ok", url=receiver.url("/ok"), environment=Environment.DEVELOPMENT)
    failing = a_webhook(webhook_id="failing", url=receiver.url("/client-error"), environment=Environment.DEVELOPMENT)
    down = a_webhook(webhook_id="down", url=receiver.url("/server-error"), environment=Environment.DEVELOPMENT)
    slow = a_webhook(webhook_id="slow", url=receiver.url("/slow?ms=300"), environment=Environment.DEVELOPMENT)
    platform.register(a_webhook(), ok, failing, down, slow)
    platform.store(a_stored_webhook(a_webhook(webhook_id="damaged"), read_timeout_ms=0))
    platform.put("LicensesTable", a_license())
    handler_for("EmitFunction")(platform.stream_event("LicensesTable"))

    def message(webhook_id: str, **overrides: Any) -> str:
        fields = {"delivery_id": f"msg_{webhook_id}", "webhook_id": webhook_id, "environment": Environment.DEVELOPMENT}
        return a_delivery_message(**(fields | overrides)).model_dump_json()

    deliver = handler_for("DeliverFunction", **LOOPBACK, **SLOW)
    not_due = {"not_before": datetime.now(UTC) + timedelta(hours=1)}
    batch = [message("ok"), message("failing"), message("unknown"), message("later", **not_due), message("damaged")]
    deliver(sqs_event(*batch, "{}"))
    threshold = int(_parameter_default("CircuitFailureThreshold"))
    deliver(sqs_event(*(message("down", delivery_id=f"msg_down_{n}") for n in range(threshold))))  # circuit opens
    deliver(sqs_event(message("slow")))  # flagged slow
    deliver(sqs_event(message("slow", delivery_id="msg_slow_again")))  # moved to the slow lane
    deliver(sqs_event(message("ok")))  # the same attempt again: a duplicate
    dynamodb = client("dynamodb")
    DynamoFaults(dynamodb).throttle("PutItem", times=1)
    deliver.with_clients(function_clients(dynamodb=dynamodb))(
        sqs_event(message("first"), message("second"))
    )  # one claim fails: an error, SQS hands it over again
    emitted: set[Metric] = set()
    for line in capsys.readouterr().out.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = tuple(sorted((name, document[name]) for names in directive["Dimensions"] for name in names))
            emitted |= {(directive["Namespace"], metric["Name"], dimensions) for metric in directive["Metrics"]}
    return emitted


@pytest.mark.parametrize("queue", ["DeliveryDeadLetterQueue", "EmitFailureQueue"])
def test_a_message_in_a_dead_letter_queue_raises_an_alarm(queue: str) -> None:
    matching = [
        alarm
        for alarm in _alarms()
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and {"Fn::GetAtt": [queue, "QueueName"]} in _dimension_refs(alarm)
    ]
    assert len(matching) == 1
    assert matching[0]["Threshold"] == 0
    assert matching[0]["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("function", ["ManageFunction", "EmitFunction", "DeliverFunction"])
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_alarms_on_errors_and_throttles(function: str, metric: str) -> None:
    assert [a for a in _alarms() if a.get("MetricName") == metric and {"Ref": function} in _dimension_refs(a)]


def test_emit_alarms_when_it_falls_behind_its_streams() -> None:
    (alarm,) = [a for a in _alarms() if a.get("MetricName") == "IteratorAge"]
    assert _dimension_refs(alarm) == [{"Ref": "EmitFunction"}]


def test_alarms_notify_the_topic_only_when_one_is_given() -> None:
    for alarm in _alarms():
        assert alarm["AlarmActions"] == {
            "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
        }


def test_the_failure_rate_alarm_divides_the_deliver_functions_own_counters(emitted_metrics: set[Metric]) -> None:
    # Given the failure-rate alarm's metric math
    alarm = _resources("AWS::CloudWatch::Alarm")["DeliveryFailureRateAlarm"]
    stats = {query["Id"]: query["MetricStat"] for query in alarm["Metrics"] if "MetricStat" in query}
    (returned,) = [query for query in alarm["Metrics"] if query["ReturnData"]]
    # Then it reads succeeded and failed attempts in the deliver function's namespace and dimensions
    read = {
        (
            _parameter_default(stat["Metric"]["Namespace"]["Ref"]),
            stat["Metric"]["MetricName"],
            tuple(sorted((d["Name"], d["Value"]) for d in stat["Metric"]["Dimensions"])),
        )
        for stat in stats.values()
    }
    assert {name for _, name, _ in read} == {"DeliverySucceeded", "DeliveryFailed"}
    assert read <= emitted_metrics
    # And the rate it alarms on is failed over attempts, compared with the percentage parameter
    assert "100 * FILL(failed, 0) / attempts" in returned["Expression"]["Fn::Sub"]
    assert alarm["Threshold"] == {"Ref": "DeliveryFailureRateAlarmPercent"}


def test_a_stored_webhook_that_does_not_read_back_raises_an_alarm_on_what_emit_and_deliver_count(
    emitted_metrics: set[Metric],
) -> None:
    # Given the damaged-webhook alarm
    alarm = _resources("AWS::CloudWatch::Alarm")["DamagedWebhookAlarm"]
    watched = _watched_metric(alarm)
    # Then it watches the metric emit and deliver publish when they meet one, and fires on the first
    assert watched in emitted_metrics
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == ("Sum", 0, "GreaterThanThreshold")


def test_an_endpoint_down_for_longer_than_the_parameter_raises_an_alarm_on_what_deliver_reports(
    emitted_metrics: set[Metric],
) -> None:
    # Given the alarm on endpoints whose circuit stays open
    alarm = _resources("AWS::CloudWatch::Alarm")["CircuitOpenTooLongAlarm"]
    watched = _watched_metric(alarm)
    # Then it watches the open age deliver publishes when a circuit opens, at its longest, against the parameter
    assert watched in emitted_metrics
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Maximum", {"Ref": "CircuitOpenAlarmSeconds"})
    # And each of its periods holds a reopening of an endpoint still down (the longest open period fits in one)
    assert alarm["Period"] >= int(_parameter_default("CircuitMaxOpenSeconds"))


def test_the_dashboard_charts_what_the_functions_emit_and_every_delivery_outcome(
    emitted_metrics: set[Metric],
) -> None:
    # Given the dashboard's metrics in the functions' namespace
    dashboard = _dashboard()
    namespace = _parameter_default("MetricsNamespace")
    custom = [metric for metric in _charted_metrics(dashboard) if metric[0] == namespace]
    # Then each is a metric (name and dimensions) emit or deliver really publishes
    missing = [metric for metric in custom if metric not in emitted_metrics]
    assert custom
    assert not missing, f"the dashboard charts metrics no function emits: {missing}"
    # And every delivery outcome deliver counts has a line
    outcomes = {name for _, name, _ in emitted_metrics if name.startswith("Delivery") and name != "DeliveryDuration"}
    assert {
        "DeliverySucceeded",
        "DeliveryFailed",
        "DeliverySkipped",
        "DeliveryDuplicate",
        "DeliveryError",
        "DeliveryMoved",
    } <= outcomes
    assert outcomes <= {name for _, name, _ in custom}
    # And events are broken down by the dimensions emit gives its Events metric
    (search,) = _searches(dashboard)
    schema = re.search(r"\{([^}]*)\} MetricName=\"(\w+)\"", search)
    assert schema is not None
    search_namespace, *dimension_names = schema.group(1).split(",")
    events = [dims for ns, name, dims in emitted_metrics if (ns, name) == (search_namespace, schema.group(2))]
    assert events
    assert all(sorted(dimension_names) == [dimension for dimension, _ in dims] for dims in events)


def test_the_dashboard_charts_the_queues_and_streams_that_alarm() -> None:
    charted = _charted_metrics(_dashboard())
    for lane in ("DeliveryQueue", "SlowDeliveryQueue"):
        assert ("AWS/SQS", "ApproximateAgeOfOldestMessage", (("QueueName", f"<{lane}.QueueName>"),)) in charted
    for queue in ("DeliveryDeadLetterQueue", "EmitFailureQueue"):
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", f"<{queue}.QueueName>"),)) in charted
    assert ("AWS/Lambda", "IteratorAge", (("FunctionName", "<EmitFunction>"),)) in charted
    durations = [line for widget in _dashboard()["widgets"] for line in widget["properties"]["metrics"]]
    stats = {line[-1]["stat"] for line in durations if "DeliveryDuration" in line}
    assert stats == {"p50", "p99"}


def test_every_alarm_has_a_runbook_entry() -> None:
    runbook = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    headings = [line.removeprefix("### ") for line in runbook.splitlines() if line.startswith("### ")]
    documented = {name for heading in headings for name in _expand_braces(heading)}
    names = [alarm["AlarmName"]["Fn::Sub"].replace("${EnvironmentName}", "${ENV}") for alarm in _alarms()]
    assert [name for name in names if name not in documented] == []


def _expand_braces(text: str) -> list[str]:
    """`a-{b,c}-d` -> [`a-b-d`, `a-c-d`], as the runbook's headings group alike alarms (`${ENV}` kept)."""
    match = re.search(r"(?<!\$)\{([^}]*)\}", text)
    if match is None:
        return [text]
    return [
        expanded
        for option in match.group(1).split(",")
        for expanded in _expand_braces(text[: match.start()] + option + text[match.end() :])
    ]
