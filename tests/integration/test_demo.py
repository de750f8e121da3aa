"""The README's first command keeps working: the demo runs and exits 0 only when it saw every event."""

from __future__ import annotations

import os
import subprocess
import sys

from local.sam_template import ROOT


def test_the_demo_runs_and_shows_every_event() -> None:
    environment = os.environ | {"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}"}
    result = subprocess.run(
        [sys.executable, "-m", "local.demo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "19 events" in result.stdout
    assert "WebhooksTable" in result.stdout
