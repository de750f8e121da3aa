"""Rotating a signing secret: the previous one signs on for its grace period, and only a bounded number do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from tests.support.builders import NOW, SECRET, a_webhook
from webhooks.domain.errors import RotationLimitReached
from webhooks.domain.webhook import MAX_PREVIOUS_SECRETS, SigningSecret, Webhook

DAY = timedelta(hours=24)


def _secret(name: str, at: timedelta = timedelta(0), expires_in: timedelta | None = None) -> SigningSecret:
    """A secret created `at` after NOW; rotated out, when `expires_in` is given, until that long after NOW."""
    expires_at = NOW + expires_in if expires_in is not None else None
    return SigningSecret(value=SecretStr(f"whsec_{name}"), created_at=NOW + at, expires_at=expires_at)


def _values(secrets: list[SigningSecret] | tuple[SigningSecret, ...]) -> list[str]:
    return [secret.value.get_secret_value() for secret in secrets]


def _rotations(webhook: Webhook, count: int, grace: timedelta = DAY) -> Webhook:
    """`count` rotations a minute apart, the n-th to secret `whsec_n`."""
    for n in range(1, count + 1):
        webhook = webhook.rotated(_secret(str(n), at=timedelta(minutes=n)), grace)
    return webhook


def test_a_rotated_out_secret_signs_until_its_grace_period_ends_and_expired_ones_are_pruned() -> None:
    # Given a webhook whose earlier rotation's grace period is over
    expired = _secret("expired", expires_in=timedelta(minutes=1))
    webhook = a_webhook(secrets=(_secret("current"), expired))

    # When it is rotated with a day's grace
    rotated = webhook.rotated(_secret("new", at=timedelta(minutes=5)), DAY)

    # Then the new secret comes first, the old current one signs for a day, and the expired one is gone
    assert _values(rotated.secrets) == ["whsec_new", "whsec_current"]
    assert rotated.secrets[1].expires_at == NOW + timedelta(minutes=5) + DAY
    assert _values(rotated.valid_secrets(NOW + DAY)) == ["whsec_new", "whsec_current"]
    assert _values(rotated.valid_secrets(NOW + timedelta(minutes=5) + DAY)) == ["whsec_new"]


def test_a_rotation_beyond_the_bound_is_refused_naming_how_many_sign_and_when_the_first_grace_ends() -> None:
    # Given a webhook rotated as often as its previous secrets may stay signing
    webhook = _rotations(a_webhook(), MAX_PREVIOUS_SECRETS)
    assert _values(webhook.valid_secrets(NOW + timedelta(hours=1))) == ["whsec_3", "whsec_2", "whsec_1", SECRET]

    # When it is rotated again with a grace period
    with pytest.raises(RotationLimitReached) as refused:
        webhook.rotated(_secret("one too many", at=timedelta(hours=1)), DAY)

    # Then that is refused, naming how many sign and when the first grace period ends (the first
    # rotation's, a minute after NOW, plus a day), and quoting no secret
    assert refused.value.extensions == {
        "previous_secrets_in_grace": MAX_PREVIOUS_SECRETS,
        "next_grace_period_ends_at": "2026-11-30T10:01:00.123Z",
    }
    assert "2026-11-30T10:01:00.123Z" in refused.value.detail
    assert "whsec_" not in refused.value.detail


def test_a_rotation_without_grace_is_always_possible_and_adds_no_signing_secret() -> None:
    # Given a webhook at the bound
    webhook = _rotations(a_webhook(), MAX_PREVIOUS_SECRETS)

    # When it is rotated with no grace period (a leaked secret)
    rotated = webhook.rotated(_secret("urgent", at=timedelta(hours=1)), timedelta(0))

    # Then the current secret stops signing at once, and the previous ones keep their grace periods
    assert _values(rotated.secrets) == ["whsec_urgent", "whsec_2", "whsec_1", SECRET]


def test_once_the_first_grace_period_ends_a_rotation_is_possible_again_and_prunes_it() -> None:
    webhook = _rotations(a_webhook(), MAX_PREVIOUS_SECRETS)
    rotated = webhook.rotated(_secret("later", at=DAY + timedelta(minutes=1)), DAY)
    assert _values(rotated.secrets) == ["whsec_later", "whsec_3", "whsec_2", "whsec_1"]


def test_an_item_stored_before_the_bound_signs_with_its_most_recently_rotated_out_secrets_only() -> None:
    # Given a webhook stored before the bound, rotated 300 times within its grace period
    piled_up = tuple(_secret(f"old{n:03}", expires_in=DAY - timedelta(minutes=n)) for n in range(300))
    webhook = a_webhook(secrets=(_secret("current"), *piled_up))

    # Then only the current secret and the three most recently rotated out sign
    assert _values(webhook.valid_secrets(NOW)) == ["whsec_current", "whsec_old000", "whsec_old001", "whsec_old002"]
    # And rotating it with a grace period is refused until one of those grace periods ends
    with pytest.raises(RotationLimitReached):
        webhook.rotated(_secret("new", at=timedelta(minutes=1)), DAY)
    # While a rotation without one keeps only those that sign
    assert len(webhook.rotated(_secret("new", at=timedelta(minutes=1)), timedelta(0)).secrets) == 4
