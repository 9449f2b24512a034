"""The digital som's typed errors. Each names a stable problem slug the API turns into
an RFC 9457 `type` URI, so integrators can branch on it."""

from __future__ import annotations

import json
from typing import Final

from digisom.errors import invariant
from digisom.kernel import errors as kinds

# The one "not found" detail of a wallet, shared with every domain (docs/security.md).
NO_SUCH_WALLET: Final = kinds.NO_SUCH_WALLET
# `cbdc_payments.failure` is VARCHAR(200): PostgreSQL refuses a longer value (a test pins it).
STORED_FAILURE_CHARS_MAX: Final = 200


class CbdcError(kinds.DomainError):
    """Base of the domain's operating errors: a refusal, never a half-written state. Each
    class below is of one kind (`digisom.kernel.errors`); its extensions are strings."""


class InvalidRequest(CbdcError, kinds.Invalid):
    """A request that is well-formed but cannot be done as asked."""


class NotFound(CbdcError, kinds.NotFound):
    """Unknown, or not visible to the caller (a caller never learns which)."""


class Forbidden(CbdcError, kinds.Forbidden):
    """The caller's role or scope does not allow this."""


class Conflict(CbdcError, kinds.Conflict):
    """The resource is in a state that does not allow this (e.g. already closed)."""


class WalletFrozen(CbdcError, kinds.Refused):
    """A frozen wallet neither pays nor receives."""

    slug = "wallet-frozen"
    title = "The wallet is frozen"
    status = 409


class WalletClosed(CbdcError, kinds.Refused):
    """A closed wallet neither pays nor receives."""

    slug = "wallet-closed"
    title = "The wallet is closed"
    status = 409


class HolderSanctioned(CbdcError, kinds.Refused):
    """The holder's name matched a sanctions list (`hit`): no wallet is opened. `screening`
    names the recorded decision a compliance officer can look up."""

    slug = "holder-sanctioned"
    title = "The holder matches a sanctions list"
    status = 422


class InsufficientFunds(CbdcError, kinds.Refused):
    """The ledger refused: not enough value on the account named in `account`."""

    slug = "insufficient-funds"
    title = "Insufficient funds"
    status = 409


class LimitExceeded(CbdcError, kinds.Refused):
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


class MerchantCategoryNotAllowed(CbdcError, kinds.Refused):
    """A benefit pays only merchants of its scheme's categories; names the category and the scheme."""

    slug = "merchant-category-not-allowed"
    title = "This benefit cannot be spent at this merchant"
    status = 422


class BenefitExpired(CbdcError, kinds.Refused):
    """The benefit scheme's last day has passed: no more spending, crediting or refunding."""

    slug = "benefit-expired"
    title = "The benefit has expired"
    status = 409


class BenefitNotExpired(CbdcError, kinds.Refused):
    """The unspent part returns to the treasury only after the scheme's last day."""

    slug = "benefit-not-expired"
    title = "The benefit has not expired yet"
    status = 409


class IdRetired(CbdcError, kinds.Conflict):
    """The ledger remembers this operation's transfer ids as failed: use a new idempotency key."""

    slug = "retry-with-new-key"
    title = "This operation failed before; retry with a new idempotency key"
    status = 409


class LedgerRefused(CbdcError, kinds.Refused):
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
    """An error as stored with a failed operation, at most `STORED_FAILURE_CHARS_MAX`
    characters: a detail that would not fit is shortened (the slug, status and title, which
    a replay answers with, are kept whole)."""
    data = {"slug": error.slug, "status": error.status, "title": error.title, "detail": error.detail,
            "extensions": error.extensions}
    text = json.dumps(data)
    detail = error.detail
    while len(text) > STORED_FAILURE_CHARS_MAX and detail:
        detail = detail[: len(detail) - (len(text) - STORED_FAILURE_CHARS_MAX) - 1]
        data["detail"] = f"{detail}…" if detail else ""
        text = json.dumps(data)
    if len(text) > STORED_FAILURE_CHARS_MAX:
        text = json.dumps({**data, "extensions": {}})
    invariant(len(text) <= STORED_FAILURE_CHARS_MAX, f"a stored failure of {len(text)} characters")
    return text


def replay(stored: str) -> ReplayedError:
    """The error stored by `failure_json`, to raise again."""
    data = json.loads(stored)
    return ReplayedError(data["slug"], data["status"], data["title"], data["detail"], data["extensions"])
