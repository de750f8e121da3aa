"""Secrets never appear in logs: a whole demo run, every log line it produced read back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import local.demo
from local.receiver import Receiver
from local.stack_process import StackProcess
from tests.e2e.conftest import stack_environment

pytestmark = pytest.mark.e2e

SECRET_PATTERN = re.compile(r"whsec_[A-Za-z0-9+/=]{8,}")


def _secrets_in(value: Any) -> set[str]:
    """Every signing secret an API answer carried (at creation, rotation or reveal)."""
    if isinstance(value, dict):
        return {found for item in value.values() for found in _secrets_in(item)}
    if isinstance(value, list):
        return {found for item in value for found in _secrets_in(item)}
    return set(SECRET_PATTERN.findall(value)) if isinstance(value, str) else set()


def test_a_demo_run_logs_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a demo run against its own stack, every API answer it got kept aside
    environ = stack_environment(tmp_path)
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))
    answers: list[Any] = []
    real_request = local.demo.api_request

    def recording_request(*args: Any, **kwargs: Any) -> tuple[int, Any]:
        status, body = real_request(*args, **kwargs)
        answers.append(body)
        return status, body

    monkeypatch.setattr(local.demo, "api_request", recording_request)
    with StackProcess(environ, tmp_path / "stack.log") as stack, Receiver() as receiver:
        passed = local.demo.run_demo(stack.info, receiver)
    printed = capsys.readouterr()

    # Then the run worked and handed out a secret
    assert passed, printed.out
    secrets = _secrets_in(answers)
    assert secrets
    # And no log line and no line the demo printed holds that secret or any other
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in tmp_path.glob("*.log")}
    logs |= {"demo stdout": printed.out, "demo stderr": printed.err}
    assert "stack.log" in logs
    for name, text in logs.items():
        assert not [secret for secret in secrets if secret in text], f"a secret is in {name}"
        assert "whsec_" not in text, f"a whsec_ string is in {name}"
