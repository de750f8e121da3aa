"""`make run PARAMS="..."`: template parameter overrides in `sam deploy --parameter-overrides` syntax, checked
against template.yaml's parameters as CloudFormation checks them."""

from __future__ import annotations

import pytest

from local.parameter_overrides import InvalidOverride, parse_overrides
from local.pollers.mappings import event_source_mappings
from local.sam_template import translated_template

PARAMETERS = translated_template()["Parameters"]


def test_both_forms_of_sam_deploys_syntax_and_quoted_values_are_read() -> None:
    text = 'CircuitOpenSeconds=7 ParameterKey=SlowLaneSeconds,ParameterValue=60 MetricsNamespace="Local Webhooks"'
    assert parse_overrides(text, PARAMETERS) == {
        "CircuitOpenSeconds": "7",
        "SlowLaneSeconds": "60",
        "MetricsNamespace": "Local Webhooks",
    }
    assert parse_overrides("", PARAMETERS) == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "CircuitOpenSecond=7",
            "CircuitOpenSecond: not a parameter of template.yaml; did you mean CircuitOpenSeconds?",
        ),
        ("CircuitOpenSeconds", "'CircuitOpenSeconds': an override is Key=Value"),
        ("SlowLaneConcurrency=many", "SlowLaneConcurrency=many: must be a number"),
        ("SlowLaneConcurrency=1", "SlowLaneConcurrency=1: must be at least 2"),
        ("SlowLaneConcurrency=21", "SlowLaneConcurrency=21: must be at most 20"),
        ("LogRetentionDays=2", "LogRetentionDays=2: must be one of 1, 3, 5"),
        ("EnvironmentName=qa", "EnvironmentName=qa: must be one of dev, staging, prod"),
        ('MetricsNamespace="unclosed', "parameter overrides: No closing quotation"),
    ],
)
def test_an_override_the_template_cannot_take_is_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(InvalidOverride) as refused:
        parse_overrides(text, PARAMETERS)
    assert str(refused.value).startswith(says)


def test_an_overridden_mapping_concurrency_is_what_the_local_pollers_run() -> None:
    # Given the slow lane's mapping, whose MaximumConcurrency is the SlowLaneConcurrency parameter
    def slow_lane(parameters: dict[str, str] | None) -> int:
        (mapping,) = [
            m for m in event_source_mappings(translated_template(), parameters) if m.source == "SlowDeliveryQueue"
        ]
        return mapping.maximum_concurrency

    # Then it runs the default without an override, and the override with one
    assert (slow_lane(None), slow_lane({"SlowLaneConcurrency": "5"})) == (2, 5)
