"""What the remittance domain needs from outside, as protocols the composition root fills:
sanctions screening (`digisom.compliance`), the recipients' wallets and the alias directory
and the banks' floats (the digital som), and ISO 20022 messages for rail 3
(`digisom.interbank`). The domain imports none of them; tests use fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Final, Protocol

from digisom.kernel.credit_plans import CreditLeg
from digisom.kernel.screening import Screener, Screening
from digisom.kernel.screening import ScreeningDecision as Decision
from digisom.remittance.customer_transfer import CustomerTransfer, StatusAnswer

# The kernel's words and its screening port, re-exported under the names the port's callers use.
__all__ = ["CreditLeg", "Decision", "Screener", "Screening"]


@dataclass(frozen=True, slots=True)
class Destination:
    """Where the alias directory pays a personal number: a wallet, or a bank account (the
    ledger account credited is then that bank's float)."""

    channel: str  # "wallet" or "bank_account"
    account_id: int
    wallet_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreditRequest:
    """Credit `amount_tyiyn` to `wallet_id` from `debit_account_id` under `code`; the excess
    over the wallet's holding limit goes on under `waterfall_code`."""

    wallet_id: str
    amount_tyiyn: int
    debit_account_id: int
    code: int
    waterfall_code: int


@dataclass(frozen=True, slots=True)
class CreditPlan:
    """The legs of one credit (one linked chain) and how it splits."""

    legs: tuple[CreditLeg, ...]
    to_wallet_tyiyn: int
    waterfall_tyiyn: int


class Payees(Protocol):
    """The digital som's wallets and alias directory, as the payout needs them."""

    def resolve(self, personal_numbers: Sequence[str]) -> Mapping[str, Destination]:
        """Where each known personal number is paid; unknown numbers are absent."""
        ...

    def held(self, wallet_ids: Sequence[str]) -> AbstractContextManager[None]:
        """Hold the wallets' locks (shared by every process) for the block."""
        ...

    def plan_credits(self, requests: Sequence[CreditRequest]) -> Sequence[CreditPlan | str]:
        """Each credit's legs by the digital som's one credit rule, or its refusal
        ("wallet_not_found", "wallet_frozen", "wallet_closed"); call it holding `held`."""
        ...


class BankFloats(Protocol):
    """The banks' digital som floats, which prefund and defund partners' positions."""

    def float_account_id(self, bank_code: str) -> int:
        """The ledger account of `bank_code`'s digital som float."""
        ...


@dataclass(frozen=True, slots=True)
class InquiryUse:
    """What a remittance gets from the travel-rule inquiry it references instead of
    carrying IVMS101 data: the data (canonical, "" if the inquiry carried none), or why
    it may not use the inquiry (`refusal`)."""

    payload: str = ""
    refusal: str = ""


class TravelRuleInquiries(Protocol):
    """The travel-rule exchange (`digisom.travelrule`), as a remittance needs it."""

    def use(self, partner_id: str, inquiry_id: str, remittance_id: str, currency: str, amount_minor: int,
            recipient_wallet_id: str) -> InquiryUse:
        """The partner's approved inquiry for this currency, amount and wallet, confirmed
        with `remittance_id` (the same id again is no change); else the refusal."""
        ...


class _NoInquiries:
    """Where no exchange is wired, a reference to an inquiry is refused, said so."""

    def use(self, partner_id: str, inquiry_id: str, remittance_id: str, currency: str, amount_minor: int,
            recipient_wallet_id: str) -> InquiryUse:
        """Always refused."""
        return InquiryUse(refusal="travel_rule_exchange_not_available")


NO_TRAVEL_RULE_INQUIRIES: Final[TravelRuleInquiries] = _NoInquiries()


class PaymentMessages(Protocol):
    """ISO 20022 for rail 3: read a partner's pacs.008 (size limits, XML defences, schema
    validation), and write the pacs.002 that answers it."""

    def read_customer_transfer(self, xml: bytes) -> CustomerTransfer:
        """The message's one transaction; `MessageInvalid` (with its ISO reason code) if the
        bytes are not a valid pacs.008."""
        ...

    def status_report(self, transfer: CustomerTransfer, answer: StatusAnswer) -> bytes:
        """The validated pacs.002 about `transfer`."""
        ...
