"""Typed errors of merchant invoices: each says what was refused and why."""

from __future__ import annotations

from digisom.errors import DigisomError


class MerchantError(DigisomError):
    """Base of every merchant-invoice error."""


class InvoiceInvalid(MerchantError, ValueError):
    """A request to create an invoice that cannot be one (amount, asset, expiry, text)."""


class InvoiceNotFound(MerchantError, LookupError):
    """No such invoice (or not this merchant's)."""


class IdempotencyConflict(MerchantError):
    """The idempotency key was used for a different invoice."""


class WalletRefused(MerchantError):
    """The settlement wallet is unknown, not a merchant's, frozen or closed."""


class AssetUnavailable(MerchantError):
    """The asset is not listed or has no rail or rate configured (an unlisted token)."""


class QuoteUnavailable(AssetUnavailable):
    """No current reference rate to quote the invoice in USDKG."""


class AuthorizationRefused(MerchantError, ValueError):
    """An EIP-3009 authorization that does not pay this invoice exactly (another token,
    chain, payee or amount; expired; a signature over another transaction)."""


class InvoiceClosed(MerchantError):
    """The invoice does not take this action in its state (expired, settled, refunded...)."""


class RefundRefused(MerchantError):
    """Nothing to refund, or the paying address is stopped by screening."""
