"""`make run`'s lifecycle: Ctrl-C stops everything it started; a busy port fails fast and says what to change."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from local.sam_template import ROOT
from local.stack_process import StackProcess
from tests.e2e.conftest import stack_environment

pytestmark = pytest.mark.e2e


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_ctrl_c_stops_the_api_the_emulator_and_removes_stack_json(tmp_path):
    environ = stack_environment(tmp_path)
    stack = StackProcess(environ, tmp_path / "stack.log")
    stack.start()

    exit_code = stack.stop()

    assert exit_code == 0, stack.log_tail()
    assert port_is_free(int(environ["LOCAL_API_PORT"]))
    assert port_is_free(int(environ["LOCAL_AWS_PORT"]))
    assert not (tmp_path / "stack.json").exists()
    assert "Stopping the local stack" in stack.log_tail()


def test_template_parameters_are_overridden_in_sam_deploys_syntax(tmp_path):
    # Given `make run PARAMS="SlowLaneConcurrency=3 CircuitOpenSeconds=7"`
    overrides = "SlowLaneConcurrency=3 CircuitOpenSeconds=7"
    stack = StackProcess(stack_environment(tmp_path) | {"LOCAL_PARAMETER_OVERRIDES": overrides}, tmp_path / "stack.log")
    # When the stack starts
    stack.start()
    log = stack.log_tail()
    stack.stop()
    # Then it says what it overrode, and the slow lane's poller runs the overridden concurrency
    assert f"Template parameters overridden: {overrides}" in log
    assert "SlowDeliveryQueue -> DeliverFunction:" in log
    assert next(line for line in log.splitlines() if "SlowDeliveryQueue ->" in line).endswith("up to 3 at once")


def test_a_mistyped_parameter_override_stops_the_stack_before_it_starts(tmp_path):
    environ = stack_environment(tmp_path) | {"LOCAL_PARAMETER_OVERRIDES": "CircuitOpenSecond=7"}
    result = _stack_that_must_not_start(environ)
    assert result.returncode == 2
    assert "CircuitOpenSecond: not a parameter of template.yaml; did you mean CircuitOpenSeconds?" in result.stderr
    assert port_is_free(int(environ["LOCAL_AWS_PORT"]))


@pytest.mark.parametrize("variable", ["LOCAL_API_PORT", "LOCAL_AWS_PORT"])
def test_a_busy_port_fails_fast_naming_the_port_and_the_variable(tmp_path, variable):
    environ = stack_environment(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", int(environ[variable])))
        holder.listen()
        result = _stack_that_must_not_start(environ)

    assert result.returncode == 2
    assert f"port {environ[variable]}" in result.stderr
    assert variable in result.stderr
    assert not (tmp_path / "stack.json").exists()


def _stack_that_must_not_start(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`make run` in a subprocess that is expected to refuse to start (it is bounded in time either way)."""
    return subprocess.run(
        [sys.executable, "-m", "local.stack"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ | {"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}"},
        timeout=60,
        check=False,
    )
