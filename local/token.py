"""`make token ACCOUNT=acme ROLE=admin|reader`: a bearer token the local stack accepts (running or not)."""

from __future__ import annotations

import argparse
import sys

from local.jwt_keys import issue_token, load_or_create_key
from local.state import state_dir
from webhooks.domain.principal import Role


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--account", default="acme", help="account id the token is for (claim account_id)")
    parser.add_argument("--role", default=Role.ADMIN.value, choices=[role.value for role in Role])
    arguments = parser.parse_args(argv)
    if not arguments.account.strip():
        parser.error("--account must not be empty")
    print(issue_token(load_or_create_key(state_dir()), arguments.account.strip(), Role(arguments.role)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
