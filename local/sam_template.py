"""template.yaml, read and translated the way SAM deploys it, for the local stack and the tests.

The data plane (tables, queues) is created from the translated template itself, so the local stack
and the tests cannot drift from what AWS gets.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
DATA_PLANE_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::KMS::Key"})

# Parameters without a default in template.yaml; the local stack's JWT issuer and audience.
LOCAL_PARAMETERS = {
    # The local identity provider: a reserved name no server answers, and no port (the API's is LOCAL_API_PORT).
    "JwtIssuer": "https://local-issuer.invalid/",
    "JwtAudience": "webhooks-local",
}


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (!Ref, !GetAtt, !Sub, ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_sam_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.load(stream, _CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs only for names it cannot build itself."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def translated_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as CloudFormation, after the SAM transform (code URIs stand in for `sam package`)."""
    from samtranslator.translator.transform import transform

    sam = load_sam_template(path)
    for resource in sam["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://local-artifacts/{properties[key].strip('/')}"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the transform needs a region, any will do
    translated: dict[str, Any] = transform(sam, LOCAL_PARAMETERS, _NoManagedPolicies())
    return translated


def data_plane_template(cfn: dict[str, Any]) -> dict[str, Any]:
    """Only the tables, queues and keys: moto must not get functions or event source mappings."""
    resources = {
        name: copy.deepcopy(resource)
        for name, resource in cfn["Resources"].items()
        if resource["Type"] in DATA_PLANE_TYPES
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": copy.deepcopy(cfn.get("Parameters", {})),
        "Conditions": copy.deepcopy(cfn.get("Conditions", {})),
        "Resources": resources,
    }


@dataclass(frozen=True)
class DeployedDataPlane:
    """Physical names of what the data plane stack created, by logical id."""

    region: str
    account_id: str
    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # KMS key ids

    def arn(self, logical_id: str) -> str:
        if logical_id in self.tables:
            return f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{self.tables[logical_id]}"
        if logical_id in self.keys:
            return f"arn:aws:kms:{self.region}:{self.account_id}:key/{self.keys[logical_id]}"
        queue_name = self.queues[logical_id].rsplit("/", 1)[-1]
        return f"arn:aws:sqs:{self.region}:{self.account_id}:{queue_name}"

    def physical_id(self, logical_id: str) -> str:
        return self.tables.get(logical_id) or self.keys.get(logical_id) or self.queues[logical_id]


_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class IntrinsicResolver:
    """Resolves Ref, GetAtt, Sub, Join and If against a deployed data plane and parameter values."""

    def __init__(self, cfn: dict[str, Any], deployed: DeployedDataPlane) -> None:
        self._deployed = deployed
        self._conditions = cfn.get("Conditions", {})
        self._parameters = (
            {name: str(spec.get("Default", "")) for name, spec in cfn.get("Parameters", {}).items()}
            | LOCAL_PARAMETERS
            | deployed.parameters
        )

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {key: self.resolve(item) for key, item in value.items()}
        ((key, argument),) = value.items()
        if key == "Ref":
            return self._ref(argument)
        if key == "Fn::GetAtt":
            return self._get_att(*argument)
        if key == "Fn::Sub":
            return self._sub(argument)
        if key == "Fn::Join":
            separator, parts = argument
            return separator.join(str(self.resolve(part)) for part in parts)
        if key == "Fn::If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self._condition(condition) else when_false)
        return {key: self.resolve(argument)}

    def _condition(self, name: str) -> bool:
        ((kind, (left, right)),) = self._conditions[name].items()
        if kind != "Fn::Equals":
            raise ValueError(f"condition {name}: only Fn::Equals is supported locally")
        return bool(self.resolve(left) == self.resolve(right))

    def _ref(self, name: str) -> str:
        if name in self._parameters:
            return self._parameters[name]
        if name == "AWS::Region":
            return self._deployed.region
        if name == "AWS::AccountId":
            return self._deployed.account_id
        return self._deployed.physical_id(name)

    def _get_att(self, name: str, attribute: str) -> str:
        if attribute == "Arn":
            return self._deployed.arn(name)
        if attribute == "StreamArn":
            return f"{self._deployed.arn(name)}/stream/local"
        if attribute == "QueueName":
            return self._deployed.queues[name].rsplit("/", 1)[-1]
        raise ValueError(f"GetAtt {name}.{attribute} is not supported locally")

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                return self._get_att(*name.split(".", 1))
            return self._ref(name)

        return _SUB_VARIABLE.sub(replace, text)


def function_environment(cfn: dict[str, Any], function: str, deployed: DeployedDataPlane) -> dict[str, str]:
    """The environment variables AWS would give one function (Globals merged by the transform)."""
    variables = cfn["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    resolver = IntrinsicResolver(cfn, deployed)
    return {name: str(resolver.resolve(value)) for name, value in variables.items()}


def function_logical_ids(cfn: dict[str, Any]) -> list[str]:
    return sorted(name for name, resource in cfn["Resources"].items() if resource["Type"] == "AWS::Lambda::Function")


def offline_environment(function: str) -> dict[str, str]:
    """The environment the template gives `function`, with stand-in names for its tables and queues.

    For importing a handler where nothing is deployed (benchmarks, document generators).
    """
    cfn = translated_template()
    by_type = {
        kind: [name for name, resource in cfn["Resources"].items() if resource["Type"] == kind]
        for kind in DATA_PLANE_TYPES
    }
    stand_in = DeployedDataPlane(
        region="us-east-1",
        account_id="123456789012",
        tables={name: name.lower() for name in by_type["AWS::DynamoDB::Table"]},
        queues={
            name: f"https://sqs.us-east-1.amazonaws.com/123456789012/{name.lower()}"
            for name in by_type["AWS::SQS::Queue"]
        },
        keys={name: f"{name.lower()}-id" for name in by_type["AWS::KMS::Key"]},
    )
    return function_environment(cfn, function, stand_in)
