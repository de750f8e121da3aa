"""The emulator's own process: moto's server, with its SQS costing per message what AWS's does."""

from __future__ import annotations

import sys

from moto.server import main

from local.sqs_emulation import apply

if __name__ == "__main__":
    apply()
    main(sys.argv[1:])
