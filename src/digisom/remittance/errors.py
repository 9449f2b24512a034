"""The remittance domain's typed refusals, each of one kind of `digisom.kernel.errors`."""

from __future__ import annotations

from digisom.kernel.errors import Conflict, DomainError, Invalid, NotFound, Refused
from digisom.kernel.ivms101 import Ivms101Invalid


class RemittanceError(DomainError):
    """Base of the remittance domain's errors (of no kind itself)."""


class PartnerNotFound(RemittanceError, NotFound):
    """No such partner."""

    slug = "remittance-partner-not-found"
    title = "No such remittance partner"


class PartnerExists(RemittanceError, Conflict):
    """A partner id already onboarded with other details."""

    slug = "remittance-partner-exists"
    title = "The partner is onboarded with other details"


class CorridorNotFound(RemittanceError, NotFound):
    """No such corridor, or not the partner's."""

    slug = "remittance-corridor-not-found"
    title = "No such corridor"


class CorridorInvalid(RemittanceError, Invalid):
    """A corridor configuration out of its limits."""

    slug = "remittance-corridor-invalid"
    title = "The corridor configuration is not valid"


class CurrencyNotServed(RemittanceError, Invalid):
    """A currency the corridor does not take."""

    slug = "remittance-currency-not-served"
    title = "The corridor does not take this currency"


class AmountInvalid(RemittanceError, Invalid):
    """An amount that is not a positive whole number of minor units within the limits."""

    slug = "remittance-amount-invalid"
    title = "The amount is not valid"


class RateMissing(RemittanceError, Refused):
    """No reference rate for the currency."""

    slug = "remittance-rate-missing"
    title = "No reference rate for this currency"


class RateStale(RemittanceError, Refused):
    """The newest reference rate is older than allowed."""

    slug = "remittance-rate-stale"
    title = "The reference rate is stale"


class RatesFileInvalid(RemittanceError, Invalid):
    """A rates file that does not parse (names the line or entry)."""

    slug = "remittance-rates-file-invalid"
    title = "The rates file does not parse"


class QuoteNotFound(RemittanceError, NotFound):
    """No such quote, or not the partner's."""

    slug = "remittance-quote-not-found"
    title = "No such quote"


class QuoteExpired(RemittanceError, Refused):
    """The quote's expiry has passed: the sender must see a new one."""

    slug = "remittance-quote-expired"
    title = "The quote has expired"


class ReferenceConflict(RemittanceError, Conflict):
    """The partner's reference was used for another remittance body."""

    slug = "remittance-reference-conflict"
    title = "The partner reference was used with another body"


class TravelRuleMissing(RemittanceError, Invalid):
    """A transfer at or above the travel-rule threshold without IVMS101 data."""

    slug = "remittance-travel-rule-missing"
    title = "Travel-rule data is required for this amount"


class TravelRuleInvalid(RemittanceError, Ivms101Invalid):
    """An IVMS101 payload that does not validate; `field` names the first bad field."""

    slug = "remittance-travel-rule-invalid"
    title = "The travel-rule data is not valid"


class TravelRuleInquiryRefused(RemittanceError, Refused):
    """A referenced travel-rule inquiry that may not carry this remittance (unknown,
    rejected, under review, for another amount or wallet, used by another transfer)."""

    slug = "remittance-travel-rule-inquiry-refused"
    title = "The travel-rule inquiry does not cover this remittance"
    stored_with_key = False  # an inquiry under review may be approved: a retry with the same key may pass

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


class RecipientInvalid(RemittanceError, Invalid):
    """A recipient named neither by a wallet nor by a personal number (or by both)."""

    slug = "remittance-recipient-invalid"
    title = "The recipient is not valid"


class RemittanceNotFound(RemittanceError, NotFound):
    """No such remittance, or not the partner's."""

    slug = "remittance-not-found"
    title = "No such remittance"


class NotPendingReview(RemittanceError, Conflict):
    """A review decision on a remittance that is not waiting for one."""

    slug = "remittance-not-pending-review"
    title = "The remittance is not waiting for a review"


class FundingRefused(RemittanceError, Refused):
    """The ledger refused a prefunding or defunding (the bank's float or the position is short)."""

    slug = "remittance-funding-refused"
    title = "The funding was refused"


class Returned(RemittanceError, Refused):
    """The remittance was refused and is recorded as returned to the partner's position
    (nothing moved); `reason` is the stable reason code."""

    slug = "remittance-returned"
    title = "The remittance was returned to the partner"
    stored_with_key = True

    def __init__(self, remittance_id: str, reason: str) -> None:
        super().__init__(f"remittance {remittance_id} returned: {reason}", remittance_id=remittance_id,
                         reason=reason)
        self.remittance_id = remittance_id
        self.reason = reason


class AddressLinked(RemittanceError, Conflict):
    """An on-chain address already linked to another wallet (rail 2)."""

    slug = "remittance-address-linked"
    title = "The address is linked to another wallet"


class InboundNotFound(RemittanceError, NotFound):
    """No such on-chain inbound transfer (rail 2)."""

    slug = "remittance-inbound-not-found"
    title = "No such inbound transfer"


class MessageInvalid(RemittanceError, Invalid):
    """A partner's ISO 20022 message that does not parse, is not a pacs.008, or breaks
    what rail 3 needs of it; `reason_code` is the ISO 20022 status reason (e.g. FF01)."""

    slug = "remittance-message-invalid"
    title = "The payment message is not valid"

    def __init__(self, detail: str, reason_code: str) -> None:
        super().__init__(detail, reason_code=reason_code)
        self.reason_code = reason_code


class ChainRailNotRunning(RemittanceError, Refused):
    """Rail 2 does not run in this process (`digisom serve` without `--merchant-chain`)."""

    slug = "remittance-chain-not-running"
    title = "Rail 2 (KGST on-chain) does not run here"


class WalletNotFound(RemittanceError, NotFound):
    """No such wallet at the caller's bank (another bank's wallet answers the same)."""

    slug = "remittance-wallet-not-found"
    title = "No such wallet"
