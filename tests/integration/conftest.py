"""Integration fixtures: the template's data plane in moto (in-process), and handlers loaded against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from local.data_plane import deploy_data_plane
from local.sam_template import DeployedDataPlane, function_environment, translated_template
from tests.support.aws_calls import AwsCallRecorder
from tests.support.handlers import LoadedHandler, load_handler


@dataclass
class MotoAws:
    session: boto3.Session
    deployed: DeployedDataPlane
    recorder: AwsCallRecorder


@pytest.fixture
def aws() -> Iterator[MotoAws]:
    """A fresh emulated account holding the template's tables and queues; AWS calls are recorded."""
    with mock_aws():
        boto3.setup_default_session(region_name="us-east-1")
        session = boto3.DEFAULT_SESSION
        assert session is not None
        deployed = deploy_data_plane(session)
        recorder = AwsCallRecorder(deployed)
        recorder.attach(session.events)
        yield MotoAws(session, deployed, recorder)
        boto3.DEFAULT_SESSION = None


@pytest.fixture
def handler_for(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> Callable[..., LoadedHandler]:
    """handler_for("EmitFunction", **env_overrides) loads that function's handler against moto."""

    def load(function: str, **overrides: str) -> LoadedHandler:
        environment = function_environment(translated_template(), function, aws.deployed) | overrides
        return load_handler(function, aws.deployed, aws.recorder, monkeypatch, environment)

    return load
