"""The boto3 clients the functions build once per cold start, with timeouts that fit a Lambda invocation."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


def dynamodb_client() -> Any:
    return boto3.client("dynamodb", config=_CONFIG)
