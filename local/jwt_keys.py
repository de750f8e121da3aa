"""The local identity provider and JWT authorizer: one RS256 key under the state folder.

Tokens carry what the management API reads (account_id, sub, scope); the authorizer checks them the
way API Gateway's JWT authorizer does: signature (RS256, known kid), issuer, audience, exp / nbf / iat.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.sam_template import LOCAL_PARAMETERS
from webhooks.domain.principal import READ_SCOPE, WRITE_SCOPE, Role

KEY_FILE = "jwt-signing-key.pem"
TOKEN_LIFETIME_SECONDS = 3600
TOKEN_LIFETIME = f"{TOKEN_LIFETIME_SECONDS // 60} minutes"
LEEWAY_SECONDS = 5
ISSUER = LOCAL_PARAMETERS["JwtIssuer"]
AUDIENCES = tuple(part.strip() for part in LOCAL_PARAMETERS["JwtAudience"].split(","))
SCOPES = {Role.ADMIN: f"{READ_SCOPE} {WRITE_SCOPE}", Role.READER: READ_SCOPE}


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    @property
    def kid(self) -> str:
        """A thumbprint of the public key, as an identity provider's JWKS would name it."""
        der = self.public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})


def load_or_create_key(folder: Path) -> SigningKey:
    """The key in `folder`, created on first use; safe when `make token` and the stack race to create it."""
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        candidate = folder / f"{KEY_FILE}.{os.getpid()}"
        candidate.write_bytes(pem)
        candidate.chmod(0o600)
        try:
            os.link(candidate, path)  # fails if another process won the race: then its key is the key
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise TypeError(f"{path} does not hold an RSA private key")
    return SigningKey(loaded)


def token_claims(account_id: str, role: Role, now: float | None = None) -> dict[str, Any]:
    issued_at = int(time.time() if now is None else now)
    return {
        "iss": ISSUER,
        "aud": AUDIENCES[0],
        "sub": f"{role.value}@{account_id}",
        "account_id": account_id,
        "scope": SCOPES[role],
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + TOKEN_LIFETIME_SECONDS,
    }


def issue_token(key: SigningKey, account_id: str, role: Role) -> str:
    return key.sign(token_claims(account_id, role))


class Unauthorized(Exception):
    """The token is missing or invalid; the reason goes to the WWW-Authenticate header, never the body."""


class JwtAuthorizer:
    def __init__(self, key: SigningKey, issuer: str = ISSUER, audiences: tuple[str, ...] = AUDIENCES) -> None:
        self._key = key
        self._issuer = issuer
        self._audiences = audiences

    def claims(self, authorization: str | None) -> dict[str, Any]:
        """The verified claims of `Authorization: Bearer <jwt>`; raises Unauthorized otherwise."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("no bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self._key.kid:
                raise Unauthorized("unknown signing key")
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key,
                algorithms=["RS256"],
                issuer=self._issuer,
                audience=list(self._audiences),
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(str(error)) from error
        return claims
