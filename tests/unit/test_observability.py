"""The X-Ray tracer costs about half a second of cold start: it must not load unless tracing is on."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from local.sam_template import ROOT
from tests.unit.test_config import COMMON

PROBE = textwrap.dedent(
    """
    import importlib, json, os, sys
    os.environ.update(json.loads(sys.argv[1]))
    importlib.import_module(sys.argv[2])
    print(json.dumps("aws_xray_sdk" in sys.modules))
    """
)

EXTRA = {
    "functions.manage.app": {
        "WEBHOOK_QUOTA_PER_ACCOUNT": "100",
        "ALLOW_HTTP_FOR_DEVELOPMENT": "false",
        "ENDPOINT_CIRCUITS_TABLE": "webhooks-endpoint-circuits-dev",
        "ENDPOINT_STATS_TABLE": "webhooks-endpoint-stats-dev",
        "OPERATIONAL_EVENTS_TABLE": "webhooks-operational-events-dev",
        "SECRETS_KEY_ID": "key-id",
    },
    "functions.emit.app": {"TABLE_ENTITIES": "{}"},
    "functions.deliver.app": {
        "DELIVERY_CONCURRENCY": "10",
        "ENDPOINT_CIRCUITS_TABLE": "webhooks-endpoint-circuits-dev",
        "ENDPOINT_STATS_TABLE": "webhooks-endpoint-stats-dev",
        "OPERATIONAL_EVENTS_TABLE": "webhooks-operational-events-dev",
        "SLOW_DELIVERY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/slow",
    },
}


def _xray_sdk_loaded(module: str, tracing: str) -> bool:
    environment = COMMON | EXTRA[module] | {"AWS_DEFAULT_REGION": "us-east-1", "TRACING_ENABLED": tracing}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(environment), module],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": ".:layers/common", "PATH": "/usr/bin:/bin"},
    )
    loaded: bool = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("module", sorted(EXTRA))
def test_the_xray_sdk_loads_only_when_tracing_is_on(module: str) -> None:
    assert _xray_sdk_loaded(module, tracing="false") is False
    assert _xray_sdk_loaded(module, tracing="true") is True
