"""Typed errors of merchant invoices, each of one kind of `digisom.kernel.errors`: each
says what was refused and why, and the API answers it as problem+json in the one place
all domains share (`digisom.http.problems`)."""

from __future__ import annotations

from digisom.kernel.errors import Conflict, DomainError, Invalid, NotFound, Refused


class MerchantError(DomainError):
    """Base of every merchant-invoice error (of no kind itself). A refusal is not kept as
    an idempotency key's answer: the same request may succeed later (a rail configured,
    an invoice paid)."""

    stored_with_key = False


class InvoiceInvalid(MerchantError, Invalid, ValueError):
    """A request to create an invoice that cannot be one (amount, asset, expiry, text)."""

    slug = "invoice-invalid"
    title = "Invalid invoice"


class InvoiceNotFound(MerchantError, NotFound, LookupError):
    """No such invoice (or not this merchant's)."""


class IdempotencyConflict(MerchantError, Conflict):
    """The idempotency key was used for a different invoice."""

    slug = "idempotency-conflict"
    title = "Key used for another invoice"


class WalletRefused(MerchantError, Invalid):
    """The settlement wallet is unknown, not a merchant's, frozen or closed."""

    slug = "wallet-refused"
    title = "Not a usable merchant wallet"


class AssetUnavailable(MerchantError, Invalid):
    """The asset is not listed or has no rail or rate configured (an unlisted token)."""

    slug = "asset-unavailable"
    title = "Asset unavailable"


class QuoteUnavailable(AssetUnavailable):
    """No current reference rate to quote the invoice in USDKG."""


class AuthorizationRefused(MerchantError, Invalid, ValueError):
    """An EIP-3009 authorization that does not pay this invoice exactly (another token,
    chain, payee or amount; expired; a signature over another transaction)."""

    slug = "authorization-refused"
    title = "Authorization refused"


class InvoiceClosed(MerchantError, Refused):
    """The invoice does not take this action in its state (expired, settled, refunded...)."""

    slug = "invoice-state"
    title = "Not in this invoice's state"


class RefundRefused(MerchantError, Refused):
    """Nothing to refund, or the paying address is stopped by screening."""

    slug = "invoice-state"
    title = "Not in this invoice's state"
