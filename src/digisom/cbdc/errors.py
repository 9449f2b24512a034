"""The digital som's typed errors. Each names a stable problem slug the API turns into
an RFC 9457 `type` URI, so integrators can branch on it."""

from __future__ import annotations

import json
from typing import Final

from digisom.errors import DigisomError

# The detail of every wallet `NotFound`: a wallet that does not exist and one the caller
# may not see get the same answer, with nothing of the id in it (docs/security.md).
NO_SUCH_WALLET: Final = "no such wallet"


class CbdcError(DigisomError):
    """Base of the domain's operating errors: a refusal, never a half-written state."""

    slug = "invalid-request"
    title = "The request is not valid"
    status = 422

    def __init__(self, detail: str, **extensions: str) -> None:
        super().__init__(detail)
        self.detail = detail
        # Extra members for the problem document (e.g. the limit and the room left).
        self.extensions = extensions


class InvalidRequest(CbdcError):
    """A request that is well-formed but cannot be done as asked."""


class NotFound(CbdcError):
    """Unknown, or not visible to the caller (a caller never learns which)."""

    slug = "not-found"
    title = "Not found"
    status = 404


class Forbidden(CbdcError):
    """The caller's role or scope does not allow this."""

    slug = "forbidden"
    title = "Forbidden"
    status = 403


class Conflict(CbdcError):
    """The resource is in a state that does not allow this (e.g. already closed)."""

    slug = "conflict"
    title = "Conflict with the resource's state"
    status = 409


class WalletFrozen(CbdcError):
    """A frozen wallet neither pays nor receives."""

    slug = "wallet-frozen"
    title = "The wallet is frozen"
    status = 409


class WalletClosed(CbdcError):
    """A closed wallet neither pays nor receives."""

    slug = "wallet-closed"
    title = "The wallet is closed"
    status = 409


class InsufficientFunds(CbdcError):
    """The ledger refused: not enough value on the account named in `account`."""

    slug = "insufficient-funds"
    title = "Insufficient funds"
    status = 409


class LimitExceeded(CbdcError):
    """A policy limit would be passed; names the limit and the room left (tyiyn)."""

    slug = "limit-exceeded"
    title = "A limit would be exceeded"
    status = 422

    def __init__(self, limit: str, limit_tyiyn: int, remaining_tyiyn: int, detail: str) -> None:
        super().__init__(
            detail,
            limit=limit,
            limit_tyiyn=str(limit_tyiyn),
            remaining_tyiyn=str(max(remaining_tyiyn, 0)),
            currency="KGS",
        )
        self.limit = limit
        self.limit_tyiyn = limit_tyiyn
        self.remaining_tyiyn = max(remaining_tyiyn, 0)


class MerchantCategoryNotAllowed(CbdcError):
    """A benefit pays only merchants of its scheme's categories; names the category and the scheme."""

    slug = "merchant-category-not-allowed"
    title = "This benefit cannot be spent at this merchant"
    status = 422


class BenefitExpired(CbdcError):
    """The benefit scheme's last day has passed: no more spending, crediting or refunding."""

    slug = "benefit-expired"
    title = "The benefit has expired"
    status = 409


class BenefitNotExpired(CbdcError):
    """The unspent part returns to the treasury only after the scheme's last day."""

    slug = "benefit-not-expired"
    title = "The benefit has not expired yet"
    status = 409


class IdRetired(CbdcError):
    """The ledger remembers this operation's transfer ids as failed: use a new idempotency key."""

    slug = "retry-with-new-key"
    title = "This operation failed before; retry with a new idempotency key"
    status = 409


class LedgerRefused(CbdcError):
    """The ledger refused for a reason the domain does not expect (named in `result`)."""

    slug = "ledger-refused"
    title = "The ledger refused the transfer"
    status = 409


class ReplayedError(CbdcError):
    """A failure stored with its operation, raised again when the operation is retried."""

    def __init__(self, slug: str, status: int, title: str, detail: str, extensions: dict[str, str]) -> None:
        super().__init__(detail, **extensions)
        self.slug = slug
        self.status = status
        self.title = title


def failure_json(error: CbdcError) -> str:
    """An error as stored with a failed operation."""
    return json.dumps(
        {"slug": error.slug, "status": error.status, "title": error.title, "detail": error.detail,
         "extensions": error.extensions}
    )


def replay(stored: str) -> ReplayedError:
    """The error stored by `failure_json`, to raise again."""
    data = json.loads(stored)
    return ReplayedError(data["slug"], data["status"], data["title"], data["detail"], data["extensions"])
