"""The bridge's typed errors: each names a stable problem slug for the API."""

from __future__ import annotations

from digisom.errors import DigisomError


class StablecoinError(DigisomError):
    """Base of the bridge's operating errors: a refusal, never a half-written state."""

    slug = "invalid-request"
    status = 422


class InvalidAddress(StablecoinError):
    """Not a valid, non-zero address on the token's chain."""

    slug = "invalid-address"


class InvalidAmount(StablecoinError):
    """Not a positive amount, or one the token cannot represent exactly."""

    slug = "invalid-amount"


class UnknownWallet(StablecoinError):
    """No such wallet, or it is frozen or closed."""

    slug = "unknown-wallet"


class AddressNotLinked(StablecoinError):
    """An address linked to another wallet already."""

    slug = "address-linked-elsewhere"
    status = 409


class InsufficientFunds(StablecoinError):
    """The wallet holds less digital som than the mint asks."""

    slug = "insufficient-funds"
    status = 409


class OperationConflict(StablecoinError):
    """The operation id names another operation already."""

    slug = "idempotency-conflict"
    status = 409


class OperationNotFound(StablecoinError):
    """No operation with that id."""

    slug = "not-found"
    status = 404


class TokenRefused(StablecoinError):
    """The token contract would refuse the transaction; its revert message is in `reason`."""

    slug = "token-refused"
    status = 409

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NonceTaken(StablecoinError):
    """A recorded transaction's nonce went to a transaction this bridge did not record."""

    slug = "nonce-taken"
    status = 409


class BroadcastRefused(StablecoinError):
    """The node would not take a signed transaction for now (e.g. no gas money): retried later."""

    slug = "broadcast-refused"
    status = 503
