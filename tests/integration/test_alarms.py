"""Ops are told when something is stuck: every failure path of the template has an alarm."""

from __future__ import annotations

from typing import Any

import pytest

from local.sam_template import translated_template


def _alarms() -> list[dict[str, Any]]:
    return [
        r["Properties"] for r in translated_template()["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
    ]


def _dimension_refs(alarm: dict[str, Any]) -> list[Any]:
    return [dimension["Value"] for dimension in alarm["Dimensions"]]


@pytest.mark.parametrize("queue", ["DeliveryDeadLetterQueue", "EmitFailureQueue"])
def test_a_message_in_a_dead_letter_queue_raises_an_alarm(queue: str) -> None:
    matching = [
        alarm
        for alarm in _alarms()
        if alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and {"Fn::GetAtt": [queue, "QueueName"]} in _dimension_refs(alarm)
    ]
    assert len(matching) == 1
    assert matching[0]["Threshold"] == 0
    assert matching[0]["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("function", ["ManageFunction", "EmitFunction", "DeliverFunction"])
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_alarms_on_errors_and_throttles(function: str, metric: str) -> None:
    assert [a for a in _alarms() if a["MetricName"] == metric and {"Ref": function} in _dimension_refs(a)]


def test_emit_alarms_when_it_falls_behind_its_streams() -> None:
    (alarm,) = [a for a in _alarms() if a["MetricName"] == "IteratorAge"]
    assert _dimension_refs(alarm) == [{"Ref": "EmitFunction"}]


def test_alarms_notify_the_topic_only_when_one_is_given() -> None:
    for alarm in _alarms():
        assert alarm["AlarmActions"] == {
            "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
        }
