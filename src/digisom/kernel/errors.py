"""The one error hierarchy of the domains: every refusal a domain raises at its boundary
is a `DomainError` of exactly one of five kinds.

- `NotFound`: unknown, or not visible to the caller (a caller never learns which).
- `Conflict`: the resource's state does not allow this (taken, already closed, wrong state).
- `Forbidden`: the caller is known but may not do this.
- `Invalid`: the input itself is wrong (malformed, out of its limits).
- `Refused`: the input is well-formed but a business rule says no (insufficient funds,
  a limit exceeded, a frozen wallet, the ledger refusing a transfer).

Each error class names a stable problem `slug` (the API's RFC 9457 `type` is
`https://digisom.kg/problems/<slug>`), a `title` and an HTTP `status`; the kind gives the
defaults and a class overrides them where its public problem type was fixed otherwise.
The API turns every `DomainError` into problem+json in one place: `digisom.http.problems`.
"""

from __future__ import annotations

from typing import Any, Final

from digisom.errors import DigisomError

# The detail of every wallet "not found", in every domain: a wallet that does not exist
# and one the caller may not see get the same answer, with nothing of the id in it.
NO_SUCH_WALLET: Final = "no such wallet"


class DomainError(DigisomError):
    """Base of every domain's operating errors: a refusal, never a half-written state.

    `detail` is the human-readable explanation shown to the caller (written by this
    project, naming no internals); `extensions` are extra members of the problem body
    (e.g. the limit and the room left). `stored_with_key` says whether an idempotent
    entry point keeps this refusal as the key's answer: true where the domain derives its
    ledger ids from the key (a retry with the same key could not succeed: the ledger
    remembers failed ids), false where a retry with the same key may succeed later."""

    slug: str
    title: str
    status: int
    stored_with_key: bool = True

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions: dict[str, Any] = extensions

    def problem_detail(self) -> str:
        """The `detail` member of the problem document."""
        return self.detail


class NotFound(DomainError):
    """Unknown, or not visible to the caller."""

    slug = "not-found"
    title = "Not found"
    status = 404


class Conflict(DomainError):
    """The resource is in a state that does not allow this."""

    slug = "conflict"
    title = "Conflict with the resource's state"
    status = 409


class Forbidden(DomainError):
    """The caller may not do this."""

    slug = "forbidden"
    title = "Forbidden"
    status = 403


class Invalid(DomainError):
    """The input is wrong in itself."""

    slug = "invalid-request"
    title = "The request is not valid"
    status = 422


class Refused(DomainError):
    """A business rule said no (funds, limits, a frozen wallet, the ledger)."""

    slug = "refused"
    title = "The request was refused"
    status = 409


KINDS: Final[tuple[type[DomainError], ...]] = (NotFound, Conflict, Forbidden, Invalid, Refused)


def kind_of(error_class: type[DomainError]) -> type[DomainError] | None:
    """The one kind `error_class` is of (None for a class of no kind, e.g. a domain's base)."""
    found = [kind for kind in KINDS if issubclass(error_class, kind)]
    return found[0] if len(found) == 1 else None
