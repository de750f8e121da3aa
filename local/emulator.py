"""The embedded AWS emulator: moto's server (DynamoDB, DynamoDB Streams, SQS, CloudFormation) on loopback.

It runs as a child process of the stack (its own interpreter, so emulator work does not compete with
the handlers for one GIL) and is stopped with it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from local.state import LOOPBACK

_REPOSITORY = Path(__file__).resolve().parents[1]


class PortBusy(RuntimeError):
    def __init__(self, port: int, variable: str, purpose: str) -> None:
        super().__init__(
            f"port {port} ({purpose}) is already in use on {LOOPBACK}: stop what holds it, "
            f"or choose another port with {variable}, e.g. {variable}={port + 1} make run"
        )


def require_free_port(port: int, variable: str, purpose: str) -> None:
    """Fail fast, naming the port and the variable that moves it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is fine
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            raise PortBusy(port, variable, purpose) from error


class MotoServer:
    def __init__(self, port: int, log_path: Path, environ: Mapping[str, str] | None = None) -> None:
        """`environ`: the emulator's environment (default: this process's), e.g. moto's own switches."""
        self.port = port
        self.endpoint = f"http://{LOOPBACK}:{port}"
        self._log_path = log_path
        self._environ = environ
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_seconds: float = 30.0) -> None:
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our interpreter, our module, fixed arguments
                [sys.executable, "-m", "local.emulator_process", "-H", LOOPBACK, "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self._environ,
                cwd=_REPOSITORY,  # where `-m local.emulator_process` is found, whatever the caller's directory
                # Out of the terminal's process group: Ctrl-C reaches the stack, which stops the emulator
                # after the pollers (instead of the emulator dying under them mid-start or mid-poll).
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"the AWS emulator exited at start; see {self._log_path}")
            try:
                socket.create_connection((LOOPBACK, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the AWS emulator did not listen on port {self.port} within {timeout_seconds:g} s")

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            # Its state lives in memory and goes anyway; a graceful stop waits out open long polls.
            self._process.kill()
            self._process.wait()
        self._process = None
