"""The bridge's typed errors: each names a stable problem slug for the API and is of one
kind (`digisom.kernel.errors`)."""

from __future__ import annotations

from enum import StrEnum

from digisom.kernel import errors as kinds


class StablecoinError(kinds.DomainError):
    """Base of the bridge's operating errors: a refusal, never a half-written state."""


class InvalidAddress(StablecoinError, kinds.Invalid):
    """Not a valid, non-zero address on the token's chain."""

    slug = "invalid-address"
    title = "Not a holder's address on the token's chain"


class InvalidAmount(StablecoinError, kinds.Invalid):
    """Not a positive amount, or one the token cannot represent exactly."""

    slug = "invalid-amount"
    title = "The amount cannot be minted or redeemed exactly"


class UnknownWallet(StablecoinError, kinds.Invalid):
    """No such wallet, or it is frozen or closed (422: the request names a wallet that cannot take part)."""

    slug = "unknown-wallet"
    title = "The wallet is unknown, frozen or closed"


class AddressScreened(StrEnum):
    """How a screening stops a mint or a redemption (the prefix of the recorded reason)."""

    HIT = "screening_hit"
    REVIEW = "screening_review"


class AddressSanctioned(StablecoinError, kinds.Refused):
    """The mint's destination matched a sanctions list (`hit`): nothing held, nothing minted."""

    slug = "address-sanctioned"
    title = "The address matches a sanctions list"
    status = 422


class AddressUnderReview(StablecoinError, kinds.Refused):
    """The mint's destination awaits a compliance officer's review: nothing held, nothing minted."""

    slug = "address-under-review"
    title = "The address is under sanctions review"
    status = 409


class AddressNotLinked(StablecoinError, kinds.Conflict):
    """An address linked to another wallet already."""

    slug = "address-linked-elsewhere"
    title = "The address is linked to another wallet"


class InsufficientFunds(StablecoinError, kinds.Refused):
    """The wallet holds less digital som than the mint asks."""

    slug = "insufficient-funds"
    title = "Insufficient funds"


class OperationConflict(StablecoinError, kinds.Conflict):
    """The operation id names another operation already."""

    slug = "idempotency-conflict"
    title = "The idempotency key names another operation"


class OperationNotFound(StablecoinError, kinds.NotFound):
    """No operation with that id."""


class TokenRefused(StablecoinError, kinds.Refused):
    """The token contract would refuse the transaction; its revert message is in `reason`."""

    slug = "token-refused"
    title = "The token contract refused the transaction"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NonceTaken(StablecoinError, kinds.Conflict):
    """A recorded transaction's nonce went to a transaction this bridge did not record."""

    slug = "nonce-taken"
    title = "The transaction's nonce was taken by another transaction"


class BroadcastRefused(StablecoinError, kinds.Refused):
    """The node would not take a signed transaction for now (e.g. no gas money): retried later."""

    slug = "broadcast-refused"
    title = "The node refused the transaction for now"
    status = 503
