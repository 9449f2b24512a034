"""Tokens: signed with the server's Ed25519 key, checked strictly."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from digisom.api.signing_key import load_or_create_key
from digisom.http.auth import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    TokenError,
    TokenIssuer,
    TokenVerifier,
)
from digisom.kernel.access import Role


@pytest.fixture
def issuer(tmp_path: Path) -> TokenIssuer:
    return TokenIssuer(load_or_create_key(tmp_path))


def _verifier(issuer: TokenIssuer) -> TokenVerifier:
    return TokenVerifier(issuer.key.public_key())


def test_a_token_round_trips(issuer: TokenIssuer) -> None:
    actor = _verifier(issuer).actor(issuer.issue(Role.WALLET_HOLDER, "pensioner", "AYIL"))
    assert (actor.role, actor.subject, actor.bank_code) == (Role.WALLET_HOLDER, "pensioner", "AYIL")
    assert actor.principal == "wallet_holder:AYIL:pensioner"


def test_the_key_is_created_once(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    second = load_or_create_key(tmp_path)
    assert first.private_bytes_raw() == second.private_bytes_raw()


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "role": "auditor", "iat": now,
                                 "exp": now + 60}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize(
    "claims",
    [
        _claims(exp=int(time.time()) - 10),
        _claims(aud="someone-else"),
        _claims(iss="mallory"),
        _claims(role="superuser"),
        _claims(role="public"),
        _claims(role="bank_operator"),  # a bank role without a bank
        _claims(bank="AYIL"),  # an auditor with a bank
        _claims(exp=None),
    ],
)
def test_bad_claims_are_refused(issuer: TokenIssuer, claims: dict[str, object]) -> None:
    token = jwt.encode(claims, issuer.key, algorithm=ALGORITHM)
    with pytest.raises(TokenError):
        _verifier(issuer).actor(token)


def test_unsigned_and_hmac_tokens_are_refused(issuer: TokenIssuer) -> None:
    unsigned = jwt.encode(_claims(), key=None, algorithm="none")  # type: ignore[arg-type]
    hmac_signed = jwt.encode(_claims(), "secret-guess-long-enough-for-hs256-keys", algorithm="HS256")
    for token in (unsigned, hmac_signed):
        with pytest.raises(TokenError):
            _verifier(issuer).actor(token)


def test_the_issuer_refuses_odd_requests(issuer: TokenIssuer) -> None:
    with pytest.raises(TokenError):
        issuer.issue(Role.PUBLIC, "anyone")
    with pytest.raises(TokenError):
        issuer.issue(Role.AUDITOR, "x" * 65)
    with pytest.raises(TokenError):
        issuer.issue(Role.AUDITOR, "x", ttl_s=0)
