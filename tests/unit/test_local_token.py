"""`make token`: a token on stdout, and how long it lasts said in its help and on stderr."""

from __future__ import annotations

import time

import jwt
import pytest

from local import token
from local.jwt_keys import TOKEN_LIFETIME_SECONDS


def test_the_help_says_how_long_a_token_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a newcomer asking what `make token` does (found by review: the 1 h lifetime was said nowhere)
    with pytest.raises(SystemExit):
        token.main(["--help"])
    # Then the help names the lifetime
    assert f"valid for {TOKEN_LIFETIME_SECONDS // 60} minutes" in " ".join(capsys.readouterr().out.split())


def test_the_token_alone_goes_to_stdout_and_its_expiry_to_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))

    assert token.main(["--account", "acme", "--role", "reader"]) == 0

    printed = capsys.readouterr()
    claims = jwt.decode(printed.out.strip(), options={"verify_signature": False})
    expiry = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(claims["exp"]))
    assert printed.err == f"valid for {TOKEN_LIFETIME_SECONDS // 60} minutes, until {expiry}\n"
    assert claims["exp"] - claims["iat"] == TOKEN_LIFETIME_SECONDS
