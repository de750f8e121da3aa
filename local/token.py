"""`make token ACCOUNT=acme ROLE=admin|reader`: a bearer token the local stack accepts (running or not)."""

from __future__ import annotations

import argparse
import sys
import time

from local.jwt_keys import TOKEN_LIFETIME, load_or_create_key, token_claims
from local.state import state_dir
from webhooks.domain.principal import Role


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=f"{__doc__} It is valid for {TOKEN_LIFETIME}; make another when it expires (the API answers 401)."
    )
    parser.add_argument("--account", default="acme", help="account id the token is for (claim account_id)")
    parser.add_argument("--role", default=Role.ADMIN.value, choices=[role.value for role in Role])
    arguments = parser.parse_args(argv)
    if not arguments.account.strip():
        parser.error("--account must not be empty")
    claims = token_claims(arguments.account.strip(), Role(arguments.role))
    print(load_or_create_key(state_dir()).sign(claims))
    # On stderr, so `$(make -s token)` still captures the token alone.
    expiry = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(claims["exp"]))
    print(f"valid for {TOKEN_LIFETIME}, until {expiry}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
