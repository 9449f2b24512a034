"""Authentication: JWT bearer tokens signed with the server's Ed25519 key (EdDSA).

The key lives in a PEM file (mode 0600) in the data directory, generated on first
start; it is never committed. Tokens carry `role`, `sub` and, for banks and wallet
holders, `bank`. A request without a token acts as the anonymous `public` role.

This module checks a token's signature and claims only; whether a valid token was
revoked on the server is `digisom.http.revocation_check`'s question.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Final

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from digisom.errors import DigisomError
from digisom.kernel.access import Actor, Role

ISSUER: Final = "digisom"
AUDIENCE: Final = "digisom-api"
ALGORITHM: Final = "EdDSA"
# Operator and test tokens; an integrator's tokens are short-lived and renewed.
TOKEN_TTL_S_DEFAULT: Final = 3600
# The one maximum lifetime: `TokenIssuer` (and so `digisom token issue`) refuses to sign
# longer, and `TokenVerifier` refuses a longer token even if correctly signed.
TOKEN_TTL_S_MAX: Final = 30 * 24 * 3600
TOKEN_CHARS_MAX: Final = 4096
SUBJECT_CHARS_MAX: Final = 64
BANK_CODE_CHARS_MAX: Final = 16
# Roles whose tokens must name a bank: their scope is that bank.
BANK_SCOPED_ROLES: Final = frozenset({Role.BANK_OPERATOR, Role.WALLET_HOLDER})


class TokenError(DigisomError):
    """A token that is missing, malformed, expired, or not signed by this server."""


@dataclass(frozen=True)
class TokenIssuer:
    """Signs tokens with the server's key."""

    key: Ed25519PrivateKey

    def issue(self, role: Role, subject: str, bank_code: str | None = None,
              ttl_s: int = TOKEN_TTL_S_DEFAULT) -> str:
        """A signed token for `role` and `subject` (and `bank_code` for bank-scoped roles)."""
        if role is Role.PUBLIC:
            raise TokenError("the public role needs no token")
        if (role in BANK_SCOPED_ROLES) != (bank_code is not None):
            raise TokenError("bank_operator and wallet_holder tokens need --bank; other roles none")
        if not 0 < len(subject) <= SUBJECT_CHARS_MAX or not 0 < ttl_s <= TOKEN_TTL_S_MAX:
            raise TokenError(f"subject needs 1..{SUBJECT_CHARS_MAX} characters, ttl 1..{TOKEN_TTL_S_MAX} s")
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "role": role.value, "iat": now, "nbf": now,
            "exp": now + ttl_s, "jti": uuid.uuid4().hex,
        }
        if bank_code is not None:
            claims["bank"] = bank_code
        return jwt.encode(claims, self.key, algorithm=ALGORITHM)


def _require_lifetime(claims: dict[str, object]) -> None:
    # The issuer's maximum, enforced here too: a token signed with the server's key (a
    # leaked key, an old tool) must not live for years. Both from its issue time and from now.
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise TokenError("invalid token: exp and iat must be numbers")
    if exp - iat > TOKEN_TTL_S_MAX or exp - time.time() > TOKEN_TTL_S_MAX:
        raise TokenError(f"invalid token: lives longer than the maximum of {TOKEN_TTL_S_MAX} s")


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token whose signature and claims were checked: the actor it names and what a
    revocation is matched against (its id, if it has one, and its issue time)."""

    actor: Actor
    token_id: str | None  # `jti`: every token the issuer signs has one
    issued_at_s: float
    expires_at_s: float


@dataclass(frozen=True)
class TokenVerifier:
    """Checks tokens against the server's public key."""

    public_key: Ed25519PublicKey

    def actor(self, token: str) -> Actor:
        """The actor a valid token names, or `TokenError`."""
        return self.verified(token).actor

    def reads_next(self) -> bool:
        """Whether the next check reads the database (never, here): code on the event loop
        then runs the check in a worker thread."""
        return False

    def verified(self, token: str) -> VerifiedToken:
        """A valid token's actor, id and times, or `TokenError`."""
        if len(token) > TOKEN_CHARS_MAX:
            raise TokenError("token too long")
        try:
            claims = jwt.decode(
                token, self.public_key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise TokenError(f"invalid token: {error}") from None
        _require_lifetime(claims)
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise TokenError("invalid token: unknown role") from None
        subject, bank = claims.get("sub"), claims.get("bank")
        if role is Role.PUBLIC or not isinstance(subject, str) or len(subject) > SUBJECT_CHARS_MAX:
            raise TokenError("invalid token: bad subject or role")
        if (role in BANK_SCOPED_ROLES) != isinstance(bank, str) or (
            isinstance(bank, str) and len(bank) > BANK_CODE_CHARS_MAX
        ):
            raise TokenError("invalid token: bank claim does not fit the role")
        jti = claims.get("jti")
        return VerifiedToken(Actor(role, subject, bank if isinstance(bank, str) else None),
                             jti if isinstance(jti, str) else None, claims["iat"], claims["exp"])
