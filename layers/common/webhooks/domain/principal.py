"""Who is calling: the account comes from the token, never from the request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from webhooks.domain.errors import Forbidden

# OAuth scopes in the JWT's `scope` claim (space-separated), as API Gateway's JWT authorizer sees them.
READ_SCOPE = "webhooks:read"
WRITE_SCOPE = "webhooks:write"


class Role(StrEnum):
    ADMIN = "admin"  # webhooks:write (implies read)
    READER = "reader"  # webhooks:read only


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: str
    subject: str
    role: Role

    def require_admin(self) -> None:
        if self.role is not Role.ADMIN:
            raise Forbidden("this action needs the webhooks:write scope (admin role)")
