"""The caller from the JWT claims: account, subject and role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.builders import claims
from webhooks.api.auth import principal_from
from webhooks.domain.errors import Forbidden, Unauthenticated
from webhooks.domain.principal import Principal, Role


def test_write_scope_is_an_admin_and_read_scope_a_reader() -> None:
    assert principal_from(claims("acme")) == Principal("acme", "admin@acme", Role.ADMIN)
    assert principal_from(claims("acme", role="reader")).role is Role.READER
    assert principal_from(claims("acme") | {"scope": "[webhooks:read webhooks:write]"}).role is Role.ADMIN


@pytest.mark.parametrize(
    "token_claims", [{}, {"sub": "alice", "scope": "webhooks:write"}, {"account_id": "acme", "scope": "webhooks:read"}]
)
def test_a_token_without_subject_or_account_is_unauthenticated(token_claims: dict[str, Any]) -> None:
    with pytest.raises(Unauthenticated):
        principal_from(token_claims)


def test_a_token_without_a_webhooks_scope_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        principal_from(claims("acme") | {"scope": "licenses:read"})
