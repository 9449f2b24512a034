"""Rail 3's view of a partner's ISO 20022 customer credit transfer (pacs.008) and of the
status report (pacs.002) that answers it: plain values, so that the remittance domain
reads and answers messages through its `PaymentMessages` port without importing the
interbank module (the composition root adapts `digisom.interbank.iso20022` to it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class PartyAddress:
    """A debtor's or creditor's postal address as the message carries it."""

    country: str | None = None
    town_name: str | None = None
    street_name: str | None = None
    building_number: str | None = None
    building_name: str | None = None
    post_code: str | None = None
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerTransfer:
    """One pacs.008 transaction: who pays whom how much, and the references."""

    message_id: str
    end_to_end_id: str
    instruction_id: str | None
    amount_minor: int
    currency: str
    creditor_agent_bank_code: str | None
    debtor_name: str | None
    debtor_account: str | None
    debtor_address: PartyAddress | None
    creditor_name: str | None
    creditor_account: str | None
    creditor_address: PartyAddress | None
    remittance_information: tuple[str, ...] = ()


class TransferStatus(StrEnum):
    """What a pacs.002 says of the transfer (ISO 20022 ExternalPaymentTransactionStatus1Code)."""

    SETTLED = "ACSC"  # paid into the wallet (or the bank account)
    PENDING = "PDNG"  # held for a compliance review; nothing moved yet
    REJECTED = "RJCT"  # returned: nothing moved


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    """The answer to one transfer: its status, the ISO reason code and the remittance's
    own return reason (as the report's additional information), and the remittance."""

    status: TransferStatus
    remittance_id: str
    reason_code: str | None = None
    detail: str | None = None
