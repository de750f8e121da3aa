"""The guide's receiver types: its datamodel-code-generator command, run as written on docs/openapi.json, makes
models that take every real body of their event and refuse another event's; its usage example runs as written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.sam_template import ROOT
from tests.support.builders import a_delivery_message
from tools.generate_event_examples import event_examples
from tools.generate_openapi import DOCUMENT
from webhooks.delivery.signing import encode_body

GUIDE = ROOT / "docs" / "receiving-webhooks.md"
# Reads {cases: [{model, body}], suspended: body}; prints {parsed: the `event` or `invalid` for each case,
# handled: what the guide's handler answers for the suspended body}.
DRIVER = """
import json, sys
import pydantic
import license_platform_events as events
from receiver import on_license_suspended

given = json.load(sys.stdin)
parsed = []
for case in given["cases"]:
    try:
        parsed.append(getattr(events, case["model"]).model_validate(case["body"]).event)
    except pydantic.ValidationError:
        parsed.append("invalid")
print(json.dumps({"parsed": parsed, "handled": on_license_suspended(given["suspended"])}))
"""


def _guide_block(fence: str) -> str:
    (code,) = re.findall(rf"^```{fence} receiver-types\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    return str(code)


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the guide's generated models (from the committed document) and its handler."""
    folder = tmp_path_factory.mktemp("receiver")
    shutil.copy(DOCUMENT, folder / "openapi.json")
    tools = Path(sys.executable).parent
    assert (tools / "datamodel-codegen").exists(), "datamodel-code-generator is pinned in requirements-dev.txt"
    bash = shutil.which("bash")
    assert bash
    subprocess.run(
        [bash, "-euo", "pipefail", "-c", _guide_block("bash")],
        cwd=folder,
        env=os.environ | {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    (folder / "receiver.py").write_text(_guide_block("python"), encoding="utf-8")
    return folder


def _run(folder: Path, cases: list[dict[str, Any]], suspended: dict[str, Any]) -> dict[str, Any]:
    finished = subprocess.run(
        [sys.executable, "-c", DRIVER],
        cwd=folder,
        env=os.environ | {"PYTHONPATH": str(folder)},
        input=json.dumps({"cases": cases, "suspended": suspended}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return dict(json.loads(finished.stdout))


def _models() -> dict[str, str]:
    """Each event's body model, as the document names it."""
    webhooks = json.loads(DOCUMENT.read_text(encoding="utf-8"))["webhooks"]
    return {
        event: entry["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for event, entry in webhooks.items()
    }


def test_the_generated_models_take_every_real_body_of_their_event(receiver: Path) -> None:
    # Given a real body of every event, as deliver encodes it, and one with unusual values
    bodies = {event: json.loads(encode_body(message)) for event, message in event_examples().items()}
    unusual = a_delivery_message(
        event="license.suspended",
        payload={"id": "lic-1", "name": "Zoë's licence", "seats": 0, "tags": None, "limits": {"devices": [1, 2]}},
        previous_attributes={"status": "active", "assignee": None},
    )
    models = _models()
    cases = [{"model": models[event], "body": body} for event, body in bodies.items()]
    cases.append({"model": models["license.suspended"], "body": json.loads(encode_body(unusual))})
    # When the generated models parse them, and the guide's handler takes the unusual one
    outcomes = _run(receiver, cases, suspended=cases[-1]["body"])
    # Then each parses as its event, and the handler reads the typed fields
    assert outcomes["parsed"] == [*bodies, "license.suspended"]
    assert outcomes["handled"] == "lic-1 suspended at 2026-11-29 10:00"


def test_a_generated_model_refuses_another_events_body(receiver: Path) -> None:
    # Given license.created's real body offered to license.deleted's model, and one lacking its payload
    created = event_examples()["license.created"].body()
    models = _models()
    cases = [
        {"model": models["license.deleted"], "body": created},
        {
            "model": models["license.created"],
            "body": {key: value for key, value in created.items() if key != "payload"},
        },
    ]
    # When they are parsed / Then both are refused
    suspended = event_examples()["license.suspended"].body()
    assert _run(receiver, cases, suspended)["parsed"] == ["invalid", "invalid"]
