"""Facts read off the translated template: function roles' grants as actions by logical resource."""

from __future__ import annotations

import re
from typing import Any

from local.sam_template import translated_template

_SUB_ARN = re.compile(r"^\$\{(\w+)\.Arn\}(/index/\*|/stream/\*)?$")
_LOG_GROUP_ARN = re.compile(
    r"^arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:log-group:\$\{(\w+)\}:\*$"
)


def logical_resource(resource: Any) -> str:
    """GetAtt X.Arn -> X; GetAtt X.StreamArn -> X.StreamArn; Sub ${X.Arn}/index/* -> X/index/* (and /stream/*);
    Sub arn:...:log-group:${X}:* -> X:* (the group and its streams); anything else ("*") as its text."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        name, attribute = resource["Fn::GetAtt"]
        return str(name) if attribute == "Arn" else f"{name}.{attribute}"
    if isinstance(resource, dict) and "Fn::Sub" in resource and isinstance(resource["Fn::Sub"], str):
        match = _SUB_ARN.match(resource["Fn::Sub"])
        if match:
            return match.group(1) + (match.group(2) or "")
        match = _LOG_GROUP_ARN.match(resource["Fn::Sub"])
        if match:
            return f"{match.group(1)}:*"
    return str(resource)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


CODE_POLICY = "CodeActions"
TRACING_CONDITION = "IsTracingEnabled"
TRACING_ACTIONS = frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords"})


def decide_conditions(value: Any, holding: frozenset[str]) -> Any:
    """`value` with every Fn::If decided (the conditions in `holding` are true) and AWS::NoValue left out."""
    if isinstance(value, list):
        decided = [decide_conditions(item, holding) for item in value]
        return [item for item in decided if item != {"Ref": "AWS::NoValue"}]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        return decide_conditions(when_true if condition in holding else when_false, holding)
    return {key: decide_conditions(item, holding) for key, item in value.items()}


def role_logical_id(function: str) -> str:
    """The role the function runs with (its Role: !GetAtt <role>.Arn)."""
    name, attribute = translated_template()["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"]
    assert attribute == "Arn", f"{function}: Role is {name}.{attribute}"
    return str(name)


def role_policies(function: str, *, tracing: bool) -> dict[str, list[dict[str, Any]]]:
    """The statements of each inline policy of the function's role, by policy name, with tracing on or off."""
    role = translated_template()["Resources"][role_logical_id(function)]["Properties"]
    holding = frozenset({TRACING_CONDITION}) if tracing else frozenset()
    policies = decide_conditions(role.get("Policies", []), holding)
    return {policy["PolicyName"]: policy["PolicyDocument"]["Statement"] for policy in policies}


def statement_grants(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Actions by logical resource (see logical_resource) of Allow statements."""
    grants: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow", f"unexpected {statement['Effect']}"
        for resource in _as_list(statement["Resource"]):
            grants.setdefault(logical_resource(resource), set()).update(_as_list(statement["Action"]))
    return grants


def code_policy_grants(function: str) -> dict[str, set[str]]:
    """Actions by resource from the role's CodeActions policy: the calls the function's code makes."""
    return statement_grants(role_policies(function, tracing=True)[CODE_POLICY])


def role_grants(function: str, *, tracing: bool) -> dict[str, set[str]]:
    """Actions by resource from every policy of the function's role."""
    statements = [s for policy in role_policies(function, tracing=tracing).values() for s in policy]
    return statement_grants(statements)


def event_source_mappings(function: str) -> list[dict[str, Any]]:
    cfn = translated_template()
    return [
        resource["Properties"]
        for resource in cfn["Resources"].values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        and resource["Properties"]["FunctionName"] == {"Ref": function}
    ]
