"""Facts read off the translated template: function policies as (action, logical resource) pairs."""

from __future__ import annotations

import re
from typing import Any

from local.sam_template import translated_template

_SUB_ARN = re.compile(r"^\$\{(\w+)\.Arn\}(/index/\*)?$")


def logical_resource(resource: Any) -> str:
    """GetAtt X.Arn -> X; Sub ${X.Arn}/index/* -> X/index/*; anything else is returned as text."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        name, attribute = resource["Fn::GetAtt"]
        return str(name) if attribute == "Arn" else f"{name}.{attribute}"
    if isinstance(resource, dict) and "Fn::Sub" in resource and isinstance(resource["Fn::Sub"], str):
        match = _SUB_ARN.match(resource["Fn::Sub"])
        if match:
            return match.group(1) + (match.group(2) or "")
    return str(resource)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def code_policy_grants(function: str) -> dict[str, set[str]]:
    """Actions by resource from the function's own Policies (SAM names them <Function>RolePolicy<N>)."""
    cfn = translated_template()
    role = cfn["Resources"][f"{function}Role"]["Properties"]
    grants: dict[str, set[str]] = {}
    for policy in role.get("Policies", []):
        if not re.fullmatch(rf"{function}RolePolicy\d+", policy["PolicyName"]):
            continue
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow", f"{function}: unexpected {statement['Effect']}"
            for resource in _as_list(statement["Resource"]):
                grants.setdefault(logical_resource(resource), set()).update(_as_list(statement["Action"]))
    return grants


def event_source_mappings(function: str) -> list[dict[str, Any]]:
    cfn = translated_template()
    return [
        resource["Properties"]
        for resource in cfn["Resources"].values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        and resource["Properties"]["FunctionName"] == {"Ref": function}
    ]
