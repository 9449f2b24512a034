"""USDKG's typed errors: each is of one kind (`digisom.kernel.errors`) and names a stable
problem slug, prefixed `usdkg-`, so every refusal says which rule said no."""

from __future__ import annotations

from typing import Any

from digisom.kernel import errors as kinds


class UsdkgError(kinds.DomainError):
    """Base of USDKG's operating errors: a refusal, never a half-written state."""


class FileTooLarge(UsdkgError, kinds.Invalid):
    """An uploaded file (weight list, bar count, price file) over its size or row limit."""

    slug = "usdkg-file-too-large"
    title = "The file is over its size limit"
    status = 413


class MalformedFile(UsdkgError, kinds.Invalid):
    """A file that is not the expected format at all (header, encoding, JSON shape)."""

    slug = "usdkg-malformed-file"
    title = "The file is not in the expected format"


class RowsRefused(UsdkgError, kinds.Invalid):
    """One or more rows of a weight list or a bar count break a rule; nothing was imported.

    `rows` lists each refused row as {"row": n, "serial": s, "rule": r, "detail": d}, row
    numbers counting the header as row 1, as a spreadsheet shows them."""

    slug = "usdkg-rows-refused"
    title = "Rows of the file were refused; nothing was imported"

    def __init__(self, problems: list[dict[str, Any]], total: int) -> None:
        first = problems[0]
        more = f" (and {total - 1} more)" if total > 1 else ""
        super().__init__(f"row {first['row']}: {first['rule']}: {first['detail']}{more}", rows=problems, count=total)
        self.problems = problems


class UnknownKey(UsdkgError, kinds.Forbidden):
    """The named signer (custodian, auditor, price signer) is not registered in that role."""

    slug = "usdkg-unknown-signer"
    title = "The signer is not registered in this role"


class BadSignature(UsdkgError, kinds.Forbidden):
    """The signature does not verify under the registered key of the signer it names,
    or the signer is not the one the rule requires (a bar's own custodian, the audit's auditor)."""

    slug = "usdkg-bad-signature"
    title = "The signature is not the required signer's"


class UnknownBar(UsdkgError, kinds.NotFound):
    """No bar with this serial in the register."""

    slug = "usdkg-unknown-bar"
    title = "No such bar"


class BarStateConflict(UsdkgError, kinds.Conflict):
    """The bar's status does not allow this movement (e.g. withdrawing a bar in transit)."""

    slug = "usdkg-bar-state"
    title = "The bar's status does not allow this movement"


class KeyConflict(UsdkgError, kinds.Conflict):
    """A signer name or public key registered already."""

    slug = "usdkg-key-taken"
    title = "The signer or key is registered already"


class InvalidPrice(UsdkgError, kinds.Invalid):
    """A price that is not a positive whole number of cents per troy ounce, or a time in the future."""

    slug = "usdkg-invalid-price"
    title = "The price is not valid"


class NoPrice(UsdkgError, kinds.Refused):
    """No gold price recorded yet."""

    slug = "usdkg-no-price"
    title = "No gold price is recorded"


class StalePrice(UsdkgError, kinds.Refused):
    """The newest price is older than the staleness limit."""

    slug = "usdkg-stale-price"
    title = "The gold price is older than its limit"


class PriceSourceFailed(UsdkgError, kinds.Refused):
    """A price source could not be read (network, timeout, over its size limit)."""

    slug = "usdkg-price-source-failed"
    title = "The price source could not be read"
    stored_with_key = False


class CoverageRefused(UsdkgError, kinds.Refused):
    """A mint or a bar withdrawal refused by a coverage rule; `rule` names which:
    `coverage_floor`, `stale_price`, `no_price`, `audit_unresolved` or `audit_overdue`."""

    slug = "usdkg-coverage-refused"
    title = "Refused by a coverage rule"
    stored_with_key = False

    def __init__(self, rule: str, detail: str, **extensions: Any) -> None:
        super().__init__(f"{rule}: {detail}", rule=rule, **extensions)
        self.rule = rule


class InvalidAmount(UsdkgError, kinds.Invalid):
    """Not a positive whole number of token units."""

    slug = "usdkg-invalid-amount"
    title = "The amount is not a positive number of token units"


class AuditDateMismatch(UsdkgError, kinds.Invalid):
    """A bar count file for another date than the audit's."""

    slug = "usdkg-audit-date-mismatch"
    title = "The bar count is for another date"


class UnknownAudit(UsdkgError, kinds.NotFound):
    """No audit with this id."""

    slug = "usdkg-unknown-audit"
    title = "No such audit"


class AuditStateConflict(UsdkgError, kinds.Conflict):
    """The audit's state does not allow this (signing twice, resolving a clean audit, a second audit for a date)."""

    slug = "usdkg-audit-state"
    title = "The audit's state does not allow this"


class UnknownReport(UsdkgError, kinds.NotFound):
    """No daily coverage report kept for that day."""

    slug = "usdkg-unknown-report"
    title = "No coverage report for that day"


class RedemptionRefused(UsdkgError, kinds.Refused):
    """A burn of more than holders sent to the redemption address."""

    slug = "usdkg-redemption-refused"
    title = "Less was sent to the redemption address"
    stored_with_key = False


class InvalidOperationId(UsdkgError, kinds.Invalid):
    """An operation id that is empty, too long or not printable ASCII."""

    slug = "usdkg-invalid-operation-id"
    title = "The operation id is not valid"


class InvalidAddress(UsdkgError, kinds.Invalid):
    """An address the chain's adapter does not accept (malformed, or the zero address)."""

    slug = "usdkg-invalid-address"
    title = "The address is not valid on this chain"


class UnknownChain(UsdkgError, kinds.Invalid):
    """A chain id the issuer has no USDKG deployment configured on."""

    slug = "usdkg-unknown-chain"
    title = "USDKG is not configured on this chain"


class OperationConflict(UsdkgError, kinds.Conflict):
    """An operation id used already for another request (kind, chain, address or amount)."""

    slug = "usdkg-operation-conflict"
    title = "The operation id was used for another request"


class OperationInDoubt(UsdkgError, kinds.Conflict):
    """An operation was sent to its chain and its outcome was never recorded (the process
    stopped, or the chain did not answer): it is not sent again, and it counts as issued
    until someone settles it against the chain."""

    slug = "usdkg-operation-in-doubt"
    title = "The operation's outcome on the chain is not known"
    stored_with_key = False


class ChainRefused(UsdkgError, kinds.Refused):
    """The chain refused a mint or a burn (paused, blacklisted recipient, beyond the
    minter's allowance or the redemption balance); nothing changed on the chain."""

    slug = "usdkg-chain-refused"
    title = "The chain refused the operation"
    stored_with_key = False


class ChainUnavailable(UsdkgError, kinds.Refused):
    """The chain could not be reached; the transaction may not have been sent."""

    slug = "usdkg-chain-unavailable"
    title = "The chain could not be reached"
    status = 503
    stored_with_key = False


class HoldersNotIndexed(UsdkgError, kinds.Refused):
    """The per-address lookup needs every holder's balance; no holder index is configured."""

    slug = "usdkg-holders-not-indexed"
    title = "No holder index is configured"
    stored_with_key = False
