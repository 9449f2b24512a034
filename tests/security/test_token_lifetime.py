"""Issue 13, finding 5: a token signed with the server's key but living 100 years was
accepted; the 30-day maximum was checked only by the command that issues tokens. The
verifier now refuses any token whose lifetime (from `iat` or from now) exceeds
`TOKEN_TTL_S_MAX`, the one constant the issuer uses too."""

from __future__ import annotations

import time

import jwt
import pytest

from digisom.http.auth import ALGORITHM, AUDIENCE, ISSUER, TOKEN_TTL_S_MAX, TokenError, TokenIssuer
from digisom.kernel.access import Role
from tests.api.world import World

YEAR_S = 365 * 24 * 3600


def _signed(world: World, iat: int, exp: int) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "nbkr-operator", "role": "central_bank_operator",
              "iat": iat, "nbf": iat, "exp": exp}
    return jwt.encode(claims, world.runtime.issuer.key, algorithm=ALGORITHM)


def _status(world: World, token: str) -> int:
    return world.client.get("/v1/issuance/summary", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.parametrize(
    ("iat_offset_s", "exp_offset_s"),
    [
        (0, 100 * YEAR_S),  # the probe's 100-year token
        (0, TOKEN_TTL_S_MAX + 60),  # just over the maximum
        (-TOKEN_TTL_S_MAX, 60),  # backdated: issued 30 days ago, a minute left, but 30 days + 1 min in all
        (100 * YEAR_S, 100 * YEAR_S + 60),  # "issued" in the future to pass exp - iat: exp - now is too long
    ],
)
def test_a_correctly_signed_token_that_lives_too_long_is_401(world: World, iat_offset_s: int,
                                                             exp_offset_s: int) -> None:
    now = int(time.time())
    token = _signed(world, now + iat_offset_s, now + exp_offset_s)
    assert _status(world, token) == 401


def test_a_token_of_the_maximum_lifetime_is_accepted_and_the_issuer_signs_no_longer(world: World) -> None:
    now = int(time.time())
    assert _status(world, _signed(world, now, now + TOKEN_TTL_S_MAX)) == 200
    issuer: TokenIssuer = world.runtime.issuer
    assert _status(world, issuer.issue(Role.CENTRAL_BANK_OPERATOR, "nbkr", ttl_s=TOKEN_TTL_S_MAX)) == 200
    with pytest.raises(TokenError):
        issuer.issue(Role.CENTRAL_BANK_OPERATOR, "nbkr", ttl_s=TOKEN_TTL_S_MAX + 1)
