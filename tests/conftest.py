"""Shared fixtures: no test ever reaches a real AWS account."""

from __future__ import annotations

import os

import pytest

# Powertools fixes its metrics namespace and service when `webhooks.observability` is first imported,
# which in a test run is at collection, before any handler's environment is set: give it the template's.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LicensePlatform/Webhooks")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "webhooks")


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


# Shared fixtures that live with their support code.
pytest_plugins = ("tests.support.receivers",)
