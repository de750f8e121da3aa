"""`make demo` as a newcomer runs it: its own stack on free ports, all 19 events delivered and verified."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from local.sam_template import ROOT
from tests.e2e.conftest import stack_environment

pytestmark = pytest.mark.e2e


def test_the_demo_delivers_all_19_events_and_exits_0(tmp_path):
    # Given free ports and a state folder of its own
    environ = stack_environment(tmp_path) | {"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}"}

    # When the demo runs
    demo = subprocess.run(
        [sys.executable, "-m", "local.demo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=240,
        check=False,
    )

    # Then it exits 0 after its table, saying every delivery arrived, and leaves no stack behind
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert re.search(r"^All \d+ deliveries of 19 events arrived once each, verified", demo.stdout, re.MULTILINE)
    assert not (tmp_path / "stack.json").exists()
