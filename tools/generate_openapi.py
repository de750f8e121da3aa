"""Writes docs/openapi.json from the manage function's routes and models (`make openapi`).

The document does not depend on the deployment, so placeholder settings are enough to import the app.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from local.sam_template import offline_environment

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"


def openapi_document(app: Any) -> str:
    """The document as committed: the app's OpenAPI JSON, keys in a stable order, one trailing newline."""
    from webhooks.api.docs import openapi_json

    return json.dumps(json.loads(openapi_json(app)), indent=2, sort_keys=True) + "\n"


def main() -> int:
    for name, value in offline_environment("ManageFunction").items():
        os.environ.setdefault(name, value)
    manage = importlib.import_module("functions.manage.app")
    DOCUMENT.write_text(openapi_document(manage.app), encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
