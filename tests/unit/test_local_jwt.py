"""The local identity provider and JWT authorizer behave like API Gateway's: valid tokens pass, others get 401."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from local.jwt_keys import (
    AUDIENCES,
    ISSUER,
    JwtAuthorizer,
    Unauthorized,
    issue_token,
    load_or_create_key,
    token_claims,
)
from webhooks.domain.principal import Role


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    return load_or_create_key(tmp_path_factory.mktemp("jwt"))


@pytest.fixture(scope="module")
def other_key(tmp_path_factory):
    return load_or_create_key(tmp_path_factory.mktemp("other-jwt"))


def test_the_key_is_created_once_private_to_the_user_and_reused(tmp_path):
    first = load_or_create_key(tmp_path)
    second = load_or_create_key(tmp_path)

    assert first.kid == second.kid
    assert [path.name for path in tmp_path.iterdir()] == ["jwt-signing-key.pem"]
    assert (tmp_path / "jwt-signing-key.pem").stat().st_mode & 0o777 == 0o600


def test_an_admin_token_carries_account_subject_and_both_scopes(key):
    claims = JwtAuthorizer(key).claims(f"Bearer {issue_token(key, 'acme', Role.ADMIN)}")

    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCES[0]
    assert claims["sub"] == "admin@acme"
    assert claims["account_id"] == "acme"
    assert claims["scope"] == "webhooks:read webhooks:write"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["nbf"] == claims["iat"]


def test_a_reader_token_has_only_the_read_scope(key):
    claims = JwtAuthorizer(key).claims(f"bearer {issue_token(key, 'acme', Role.READER)}")

    assert (claims["sub"], claims["scope"]) == ("reader@acme", "webhooks:read")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt"])
def test_a_missing_or_malformed_token_is_unauthorized(key, header):
    with pytest.raises(Unauthorized):
        JwtAuthorizer(key).claims(header)


def test_a_token_signed_by_another_key_is_unauthorized(key, other_key):
    forged = other_key.sign(token_claims("acme", Role.ADMIN))

    with pytest.raises(Unauthorized):
        JwtAuthorizer(key).claims(f"Bearer {forged}")


def test_a_token_signed_by_another_key_under_our_key_id_is_unauthorized(key, other_key):
    import jwt

    forged = jwt.encode(token_claims("acme", Role.ADMIN), other_key.private_key, "RS256", headers={"kid": key.kid})

    with pytest.raises(Unauthorized, match=r"(?i)signature"):
        JwtAuthorizer(key).claims(f"Bearer {forged}")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"iss": "https://someone-else.example/"}, "issuer"),
        ({"aud": "another-api"}, "audience"),
        # Fixed instants: parameters are made at collection, which may be long before the test runs.
        ({"exp": 1_000_000_000}, "expired"),
        ({"nbf": 4_000_000_000}, "not yet valid"),
    ],
)
def test_wrong_issuer_audience_or_lifetime_is_unauthorized(key, change, reason):
    token = key.sign(token_claims("acme", Role.ADMIN) | change)

    with pytest.raises(Unauthorized, match=f"(?i){reason}"):
        JwtAuthorizer(key).claims(f"Bearer {token}")


def test_a_token_without_expiry_is_unauthorized(key):
    claims = token_claims("acme", Role.ADMIN)
    del claims["exp"]

    with pytest.raises(Unauthorized, match="exp"):
        JwtAuthorizer(key).claims(f"Bearer {key.sign(claims)}")


def test_a_token_expired_within_the_leeway_still_passes(key):
    claims = token_claims("acme", Role.ADMIN, now=time.time() - 3602)

    assert JwtAuthorizer(key).claims(f"Bearer {key.sign(claims)}")["account_id"] == "acme"


def test_the_issuer_names_no_port_of_the_local_stack() -> None:
    # Given the local issuer (found by review: stack.json's jwt_issuer named port 3000 while the API listens on
    # LOCAL_API_PORT; `make token` must work without the stack, so the issuer cannot follow the port)
    issuer = urlsplit(ISSUER)
    # Then it is an https issuer on a reserved name that no server answers, with no port
    assert (issuer.scheme, issuer.port) == ("https", None)
    assert str(issuer.hostname).endswith(".invalid")
