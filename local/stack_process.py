"""Runs `python -m local.stack` as a child process (the demo and the e2e tests) and stops it with Ctrl-C's signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from local.sam_template import ROOT
from local.state import LOOPBACK, StackInfo, stack_json_path


class StackFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


class StackProcess:
    def __init__(self, environ: Mapping[str, str], log_path: Path) -> None:
        self.environ = dict(environ) | {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'layers/common'}"}
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._info: StackInfo | None = None

    @property
    def info(self) -> StackInfo:
        if self._info is None:
            raise StackFailed("the stack is not running")
        return self._info

    def start(self, timeout_seconds: float = 90.0) -> StackInfo:
        """Start and wait until stack.json (written last, when everything listens) names this process."""
        stack_json = stack_json_path(self.environ)
        stack_json.unlink(missing_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "local.stack"], env=self.environ, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StackFailed(f"the local stack exited with {self._process.returncode}:\n{self.log_tail()}")
            if stack_json.exists():
                info = StackInfo.read(stack_json)
                if info.pid == self._process.pid:
                    self._info = info
                    return info
            time.sleep(0.1)
        self.stop()
        raise StackFailed(f"the local stack was not ready within {timeout_seconds:g} s:\n{self.log_tail()}")

    def stop(self, timeout_seconds: float = 30.0) -> int:
        """SIGINT (what Ctrl-C sends), then the exit code; killed only if it does not stop in time."""
        if self._process is None:
            return 0
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=timeout_seconds)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        code = self._process.returncode
        self._process = None
        return code

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
