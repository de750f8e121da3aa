"""What the README tells a newcomer about the local stack matches the code."""

from __future__ import annotations

from local.jwt_keys import TOKEN_LIFETIME
from local.sam_template import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_says_how_long_a_token_lasts() -> None:
    assert f"valid {TOKEN_LIFETIME}" in README
    assert f"A token lasts {TOKEN_LIFETIME}" in README


def test_the_readme_names_the_api_documentation_and_that_it_needs_no_token() -> None:
    assert "`http://127.0.0.1:3000/openapi.json`" in README
    assert "`http://127.0.0.1:3000/docs`, without a token" in README
