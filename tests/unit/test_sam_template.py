"""The local stack's reading of template.yaml: short-form intrinsics and their resolution."""

from __future__ import annotations

from typing import Any

import pytest

from local.sam_template import DeployedDataPlane, IntrinsicResolver, load_sam_template

DEPLOYED = DeployedDataPlane(
    region="eu-west-1",
    account_id="111122223333",
    tables={"Things": "things-dev"},
    queues={"Jobs": "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs-dev"},
)
CFN: dict[str, Any] = {
    "Parameters": {"Stage": {"Type": "String", "Default": "dev"}, "Flag": {"Type": "String", "Default": "true"}},
    "Conditions": {"FlagOn": {"Fn::Equals": [{"Ref": "Flag"}, "true"]}},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Ref": "Stage"}, "dev"),
        ({"Ref": "Things"}, "things-dev"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Fn::GetAtt": ["Jobs", "Arn"]}, "arn:aws:sqs:eu-west-1:111122223333:jobs-dev"),
        ({"Fn::GetAtt": ["Jobs", "QueueName"]}, "jobs-dev"),
        ({"Fn::Sub": "${Things}-${Stage}-${AWS::AccountId}"}, "things-dev-dev-111122223333"),
        ({"Fn::Sub": "${Things.Arn}/index/*"}, "arn:aws:dynamodb:eu-west-1:111122223333:table/things-dev/index/*"),
        ({"Fn::Sub": ["${X}!", {"X": {"Ref": "Stage"}}]}, "dev!"),
        ({"Fn::Join": [",", [{"Ref": "Stage"}, "b"]]}, "dev,b"),
        ({"Fn::If": ["FlagOn", "on", "off"]}, "on"),
        ([{"Ref": "Stage"}, "plain"], ["dev", "plain"]),
    ],
)
def test_intrinsics_resolve_against_the_deployed_data_plane(expression: Any, expected: Any) -> None:
    assert IntrinsicResolver(CFN, DEPLOYED).resolve(expression) == expected


def test_an_unsupported_attribute_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"Things\.StreamLabel"):
        IntrinsicResolver(CFN, DEPLOYED).resolve({"Fn::GetAtt": ["Things", "StreamLabel"]})


def test_short_form_tags_become_long_form() -> None:
    template = load_sam_template()
    queue = template["Resources"]["DeliveryQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]}
    assert template["Resources"]["WebhooksTable"]["Properties"]["TableName"] == {
        "Fn::Sub": "webhooks-${EnvironmentName}"
    }
