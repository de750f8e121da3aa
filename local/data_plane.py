"""Creates template.yaml's tables and queues on an AWS emulator (moto) through CloudFormation."""

from __future__ import annotations

import json
from typing import Any

from local.sam_template import (
    LOCAL_PARAMETERS,
    DeployedDataPlane,
    data_plane_template,
    translated_template,
)

STACK_NAME = "webhooks-local"


def deploy_data_plane(session: Any, stack_name: str = STACK_NAME, **parameters: str) -> DeployedDataPlane:
    """Create the data plane stack and return physical names by logical id.

    moto's CloudFormation does not apply TimeToLiveSpecification, so TTL is switched on here.
    """
    cfn = translated_template()
    values = LOCAL_PARAMETERS | parameters
    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(data_plane_template(cfn)),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()],
    )
    created = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    tables = {
        r["LogicalResourceId"]: r["PhysicalResourceId"] for r in created if r["ResourceType"] == "AWS::DynamoDB::Table"
    }
    queues = {
        r["LogicalResourceId"]: r["PhysicalResourceId"] for r in created if r["ResourceType"] == "AWS::SQS::Queue"
    }
    keys = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in created if r["ResourceType"] == "AWS::KMS::Key"}
    dynamodb = session.client("dynamodb")
    for logical_id, table_name in tables.items():
        ttl = cfn["Resources"][logical_id]["Properties"].get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
    account_id = session.client("sts").get_caller_identity()["Account"]
    return DeployedDataPlane(
        region=session.region_name,
        account_id=account_id,
        tables=tables,
        queues=queues,
        parameters=values,
        keys=keys,
    )
