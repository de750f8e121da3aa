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

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"
PLACEHOLDER_SETTINGS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "DEPLOYMENT_ENVIRONMENT": "openapi",
    "TRACING_ENABLED": "false",
    "WEBHOOKS_TABLE": "webhooks",
    "DELIVERIES_TABLE": "deliveries",
    "AUDIT_TABLE": "audit",
    "DELIVERY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/delivery",
    "PERMITTED_ENVIRONMENTS": "production,staging,development",
    "PERMITTED_EVENTS": "*",
    "DELIVERY_LOG_RETENTION_DAYS": "30",
    "WEBHOOK_QUOTA_PER_ACCOUNT": "100",
    "ALLOW_HTTP_FOR_DEVELOPMENT": "false",
}


def openapi_document(app: Any) -> str:
    """The document as committed: the app's OpenAPI JSON, keys in a stable order, one trailing newline."""
    from webhooks.api.docs import openapi_json

    return json.dumps(json.loads(openapi_json(app)), indent=2, sort_keys=True) + "\n"


def main() -> int:
    for name, value in PLACEHOLDER_SETTINGS.items():
        os.environ.setdefault(name, value)
    manage = importlib.import_module("functions.manage.app")
    DOCUMENT.write_text(openapi_document(manage.app), encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
