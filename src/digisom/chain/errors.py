"""The chain adapter's typed errors."""

from __future__ import annotations

from digisom.errors import DigisomError


class ChainError(DigisomError):
    """Base of the chain adapter's errors."""


class ChainUnavailable(ChainError):
    """The node did not answer after the bounded retries (down, or too slow)."""


class RpcError(ChainError):
    """The node answered with a JSON-RPC error."""

    def __init__(self, message: str, code: int | None = None, data: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


class TransactionReverted(ChainError):
    """A call or a transaction's simulation reverted; `reason` is the revert message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NonceConflict(ChainError):
    """The nonce of a signed transaction was already used by another transaction."""


class KeyMissing(ChainError):
    """No signing key was configured: the adapter refuses to start without one."""
