"""The caller, from the claims API Gateway's JWT authorizer verified (requestContext.authorizer.jwt.claims).

Claims: `sub` (who), `account_id` (whose webhooks), `scope` (space-separated: webhooks:write is an
admin, webhooks:read alone a reader). Readers may only read; that is enforced here for every route.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.request import Request

from webhooks.domain.errors import Forbidden, Unauthenticated
from webhooks.domain.principal import READ_SCOPE, WRITE_SCOPE, Principal, Role

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _scopes(claim: Any) -> set[str]:
    if isinstance(claim, list):
        return {str(scope) for scope in claim}
    # API Gateway passes a JSON array claim as "[a b]"
    return set(str(claim or "").strip("[]").split())


def principal_from(claims: dict[str, Any]) -> Principal:
    subject, account_id = claims.get("sub"), claims.get("account_id")
    if not isinstance(subject, str) or not subject or not isinstance(account_id, str) or not account_id:
        raise Unauthenticated("the token carries no subject or no account")
    scopes = _scopes(claims.get("scope"))
    if WRITE_SCOPE in scopes:
        return Principal(account_id=account_id, subject=subject, role=Role.ADMIN)
    if READ_SCOPE in scopes:
        return Principal(account_id=account_id, subject=subject, role=Role.READER)
    raise Forbidden(f"the token has neither the {READ_SCOPE} nor the {WRITE_SCOPE} scope")


def authorize(event: Any) -> Principal:
    """The caller of an HTTP API event; a reader calling anything but a read is Forbidden."""
    principal = principal_from(event.request_context.authorizer.jwt_claim)
    if event.request_context.http.method not in READ_METHODS:
        principal.require_admin()
    return principal


def current_principal(request: Request) -> Principal:
    """Route dependency: `principal: Annotated[Principal, Depends(current_principal)]`."""
    return authorize(request.resolved_event)
