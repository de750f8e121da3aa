"""Each function runs with its own least-privilege role: no managed policies, no "*" but X-Ray's two actions."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.sam_template import LOCAL_PARAMETERS, data_plane_template, translated_template
from tests.support.template_facts import (
    CODE_POLICY,
    TRACING_ACTIONS,
    TRACING_CONDITION,
    decide_conditions,
    event_source_mappings,
    logical_resource,
    role_grants,
    role_logical_id,
    role_policies,
    statement_grants,
)
from webhooks.permissions import FUNCTION_ACTIONS

FUNCTIONS = ["DeliverFunction", "EmitFunction", "ManageFunction"]
# The tables whose streams emit reads: the domain tables and the operational events'.
STREAMED_TABLES = ["LicensesTable", "ActivationsTable", "ProductsTable", "ContractsTable", "OperationalEventsTable"]
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
STREAM_READ_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
QUEUE_POLL_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}

# What the Lambda runtime and the event source mappings need, besides the code's own calls (permissions.py).
RUNTIME_GRANTS: dict[str, dict[str, set[str]]] = {
    "ManageFunction": {"ManageLogGroup:*": LOG_ACTIONS},
    "EmitFunction": {
        "EmitLogGroup:*": LOG_ACTIONS,
        **{f"{table}.StreamArn": STREAM_READ_ACTIONS for table in STREAMED_TABLES},
        **{f"{table}/stream/*": {"dynamodb:ListStreams"} for table in STREAMED_TABLES},
        "EmitFailureQueue": {"sqs:SendMessage"},
    },
    "DeliverFunction": {
        "DeliverLogGroup:*": LOG_ACTIONS,
        "DeliveryQueue": QUEUE_POLL_ACTIONS,
        "SlowDeliveryQueue": QUEUE_POLL_ACTIONS,
    },
}


def _merged(*grants: dict[str, set[str]]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for grant in grants:
        for resource, actions in grant.items():
            merged.setdefault(resource, set()).update(actions)
    return merged


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_runs_with_its_own_role_and_no_managed_policy(function: str) -> None:
    # Given the translated template
    resources = translated_template()["Resources"]
    # When the function's role is looked up
    role_id = role_logical_id(function)
    role = resources[role_id]
    # Then it is an explicit role of its own (not SAM's generated <Function>Role), only Lambda may assume it,
    # and no AWS managed policy (logs, X-Ray, event sources on "*") is attached
    assert role["Type"] == "AWS::IAM::Role"
    assert role_id == function.removesuffix("Function") + "Role"
    assert f"{function}Role" not in resources
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in resources[function]["Properties"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert not [r for r in resources.values() if r["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}]


@pytest.mark.parametrize("tracing", [True, False])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_role_grants_exactly_the_code_actions_and_what_lambda_needs(function: str, tracing: bool) -> None:
    # Given the function's role, with tracing on or off
    granted = role_grants(function, tracing=tracing)
    # Then it grants the declared code actions, the runtime's and event sources' needs, X-Ray only when traced
    declared = {resource: set(actions) for resource, actions in FUNCTION_ACTIONS[function].items()}
    tracing_grant = {"*": set(TRACING_ACTIONS)} if tracing else {}
    assert granted == _merged(declared, RUNTIME_GRANTS[function], tracing_grant)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_statement_names_a_resource_outside_the_template_except_x_ray(function: str) -> None:
    # Given every statement of the function's role (tracing on: the most it is ever granted)
    resources = translated_template()["Resources"]
    statements = [s for policy in role_policies(function, tracing=True).values() for s in policy]
    for statement in statements:
        actions = set(_as_list(statement["Action"]))
        # Then no action is a wildcard
        assert not [action for action in actions if "*" in action], statement
        for resource in _as_list(statement["Resource"]):
            # And "*" is only for X-Ray's two actions (they have no resource-level permissions)
            if resource == "*":
                assert actions <= TRACING_ACTIONS, statement
                continue
            # And every other resource is one of this template's, by logical id
            named = logical_resource(resource).split("/")[0].split(".")[0].split(":")[0]
            assert named in resources, resource


@pytest.mark.parametrize("function", FUNCTIONS)
def test_x_ray_is_granted_only_when_the_functions_are_traced(function: str) -> None:
    # Given the condition that switches the functions' tracing mode
    properties = translated_template()["Resources"][function]["Properties"]
    assert properties["TracingConfig"]["Mode"] == {"Fn::If": [TRACING_CONDITION, "Active", "PassThrough"]}
    # Then the same condition decides whether the role may write traces
    for tracing in (True, False):
        statements = [s for policy in role_policies(function, tracing=tracing).values() for s in policy]
        granted = {action for statement in statements for action in _as_list(statement["Action"])}
        assert {action for action in granted if action.startswith("xray:")} == (TRACING_ACTIONS if tracing else set())


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_may_only_write_its_own_log_group(function: str) -> None:
    # Given the log group the function logs to (LoggingConfig)
    properties = translated_template()["Resources"][function]["Properties"]
    own_group = properties["LoggingConfig"]["LogGroup"]["Ref"]
    # When its role's logs grants are collected
    grants = role_grants(function, tracing=True)
    logs_grants = {
        resource: actions for resource, actions in grants.items() if any(a.startswith("logs:") for a in actions)
    }
    # Then they name only that group (and its streams), to create streams and put events
    assert logs_grants == {f"{own_group}:*": LOG_ACTIONS}


def test_the_emit_role_reads_exactly_the_streams_its_mappings_consume() -> None:
    # Given the streams emit's event source mappings read
    sources = {logical_resource(mapping["EventSourceArn"]) for mapping in event_source_mappings("EmitFunction")}
    assert sources == {f"{table}.StreamArn" for table in STREAMED_TABLES}
    # When the emit role's StreamSource policy is read
    stream_grants = statement_grants(role_policies("EmitFunction", tracing=False)["StreamSource"])
    # Then it reads those four streams and lists only those tables' streams, nothing else
    assert stream_grants == dict.fromkeys(sources, STREAM_READ_ACTIONS) | {
        f"{table}/stream/*": {"dynamodb:ListStreams"} for table in STREAMED_TABLES
    }


def test_the_emit_role_may_only_send_to_its_on_failure_destination() -> None:
    # Given the on-failure destination of emit's mappings
    destinations = {
        logical_resource(mapping["DestinationConfig"]["OnFailure"]["Destination"])
        for mapping in event_source_mappings("EmitFunction")
    }
    # When the emit role's grants outside its code's own policy are read
    policies = role_policies("EmitFunction", tracing=True)
    runtime = statement_grants([s for name, policy in policies.items() if name != CODE_POLICY for s in policy])
    # Then the only queue it may send to that way is that destination
    senders = {resource for resource, actions in runtime.items() if "sqs:SendMessage" in actions}
    assert senders == destinations == {"EmitFailureQueue"}


def test_the_deliver_role_polls_exactly_the_queues_its_mappings_consume() -> None:
    # Given the queues deliver's event source mappings poll (the main lane and the slow lane)
    polled = {logical_resource(mapping["EventSourceArn"]) for mapping in event_source_mappings("DeliverFunction")}
    # When the deliver role's QueueSource policy is read
    queue_grants = statement_grants(role_policies("DeliverFunction", tracing=False)["QueueSource"])
    # Then it may poll those queues and no other
    assert queue_grants == dict.fromkeys(polled, QUEUE_POLL_ACTIONS)
    assert polled == {"DeliveryQueue", "SlowDeliveryQueue"}


def _roles_stack(tracing: bool) -> dict[str, Any]:
    """The data plane, the log groups and the roles; moto keeps AWS::NoValue in a list, so Fn::If is decided here."""
    cfn = translated_template()
    stack = data_plane_template(cfn)
    holding = frozenset({TRACING_CONDITION}) if tracing else frozenset()
    for name, resource in cfn["Resources"].items():
        if resource["Type"] in {"AWS::IAM::Role", "AWS::Logs::LogGroup"}:
            stack["Resources"][name] = decide_conditions(copy.deepcopy(resource), holding)
    return stack


@pytest.mark.parametrize("tracing", [True, False])
def test_the_roles_deploy_with_the_data_plane(tracing: bool) -> None:
    with mock_aws():
        # Given the roles deployed into moto with the tables, queues and log groups they name
        session = boto3.Session(region_name="us-east-1")
        cloudformation = session.client("cloudformation")
        parameters = LOCAL_PARAMETERS | {"TracingEnabled": str(tracing).lower()}
        cloudformation.create_stack(
            StackName="webhooks-roles",
            TemplateBody=json.dumps(_roles_stack(tracing)),
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        created = cloudformation.describe_stack_resources(StackName="webhooks-roles")["StackResources"]
        roles = {
            r["LogicalResourceId"]: r["PhysicalResourceId"] for r in created if r["ResourceType"] == "AWS::IAM::Role"
        }
        iam = session.client("iam")
        # Then each function's role exists with its inline policies only (Tracing when traced)
        assert set(roles) == {role_logical_id(function) for function in FUNCTIONS}
        for function in FUNCTIONS:
            physical = roles[role_logical_id(function)]
            assert set(iam.list_role_policies(RoleName=physical)["PolicyNames"]) == set(
                role_policies(function, tracing=tracing)
            )
            assert iam.list_attached_role_policies(RoleName=physical)["AttachedPolicies"] == []


# The KMS key's use is bound to one webhook's secrets: its context must name exactly these keys.
WEBHOOK_CONTEXT_CONDITION = {
    "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["account_id", "webhook_id"]},
    "Null": {"kms:EncryptionContextKeys": "false"},
}


@pytest.mark.parametrize(
    ("function", "actions"),
    [
        ("ManageFunction", {"kms:GenerateDataKey", "kms:Decrypt"}),
        ("DeliverFunction", {"kms:Decrypt"}),
        ("EmitFunction", set()),
    ],
)
def test_only_manage_seals_deliver_only_opens_and_each_only_with_a_webhooks_context(
    function: str, actions: set[str]
) -> None:
    # Given the function's role, with tracing on (every policy present)
    statements = [s for policy in role_policies(function, tracing=True).values() for s in policy]
    # When its statements that grant KMS actions are picked out
    kms = [s for s in statements if any(action.startswith("kms:") for action in _as_list(s["Action"]))]
    # Then manage may seal and open, deliver only open, emit nothing, only on the stack's key, only in context
    assert {action for s in kms for action in _as_list(s["Action"])} == actions
    assert all(logical_resource(s["Resource"]) == "SecretsKey" for s in kms)
    assert all(s.get("Condition") == WEBHOOK_CONTEXT_CONDITION for s in kms)


def test_the_secrets_key_rotates_and_outlives_the_stack() -> None:
    key = translated_template()["Resources"]["SecretsKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
