"""Wiring of the remittance domain to the digital som: the alias directory and the one
credit rule (`digisom.cbdc.credits`: frozen or closed wallets refused, the excess over a
holding limit to the linked deposit) as its `Payees`, the banks' floats as its
`BankFloats`, and the process's single ledger writer behind the domain's gateway. The
remittance domain must not import the digital som; this entry point adapts one to the
other. Screening (`Screener`) is filled by whoever builds the service: the compliance
desk in the API (`screening_wiring.RemittanceScreener`), a fake in the domain's tests.
Rail 3's `PaymentMessages` are the interbank module's ISO 20022 parser and builders.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Final

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.cbdc import accounts as cbdc_accounts
from digisom.cbdc import aliases, credits
from digisom.cbdc.context import Context
from digisom.http.services import provide
from digisom.interbank.iso20022 import (
    CreditTransferOrder,
    Iso20022Error,
    MessageType,
    PostalAddress,
    ReasonCode,
    StatusReport,
    TransactionStatus,
    build_pacs002,
    parse_inbound,
)
from digisom.kernel.clock import utc_now
from digisom.ledger.model import Account, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from digisom.remittance.customer_transfer import CustomerTransfer, PartyAddress, StatusAnswer
from digisom.remittance.errors import MessageInvalid
from digisom.remittance.http.slots import (
    REMITTANCE_CHAIN,
    REMITTANCE_MESSAGES,
    REMITTANCE_READS,
    REMITTANCE_SERVICE,
    ChainInbound,
    NotRunning,
)
from digisom.remittance.migrations import migrate
from digisom.remittance.ports import (
    NO_TRAVEL_RULE_INQUIRIES,
    CreditLeg,
    CreditPlan,
    CreditRequest,
    Destination,
    Screener,
    TravelRuleInquiries,
)
from digisom.remittance.rates import ReferenceRates
from digisom.remittance.reads import RemittanceReads
from digisom.remittance.service import RemittanceService, Settings


class CbdcPayees:
    """`Payees` over the digital som's alias directory and wallets."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def resolve(self, personal_numbers: Sequence[str]) -> Mapping[str, Destination]:
        """Where each known personal number is paid (in chunks the directory accepts)."""
        found: dict[str, Destination] = {}
        numbers = sorted(set(personal_numbers))
        for start in range(0, len(numbers), aliases.RESOLVE_MAX):
            for pin, target in aliases.resolve(self._ctx, numbers[start:start + aliases.RESOLVE_MAX]).items():
                found[pin] = Destination(target.channel, target.account_id, target.wallet_id)
        return found

    def held(self, wallet_ids: Sequence[str]) -> AbstractContextManager[None]:
        """The wallets' locks, which freezing takes too."""
        return credits.held(self._ctx, wallet_ids)

    def plan_credits(self, requests: Sequence[CreditRequest]) -> Sequence[CreditPlan | str]:
        """Each payout's legs by `credits.plan_credits`, or its refusal's stable value."""
        plans = credits.plan_credits(self._ctx, [credits.CreditRequest(
            r.wallet_id, r.amount_tyiyn, r.debit_account_id, "remittance position", r.code, r.waterfall_code)
            for r in requests])
        return [p.value if isinstance(p, credits.CreditRefusal) else CreditPlan(
            tuple(CreditLeg(leg.name, leg.debit_account_id, leg.credit_account_id, leg.amount_tyiyn, leg.code)
                  for leg in p.legs), p.to_wallet_tyiyn, p.waterfall_tyiyn) for p in plans]


class CbdcBankFloats:
    """`BankFloats` over the digital som's bank accounts."""

    def float_account_id(self, bank_code: str) -> int:
        """The bank's digital som float."""
        return cbdc_accounts.bank_account_id(bank_code, cbdc_accounts.AccountCode.BANK_FLOAT)


# The ids of rail 3's status reports (ISO Max35Text: 35 characters at most).
STATUS_REPORT_PREFIX: Final = "DSOM-RMT"


class Iso20022Messages:
    """Rail 3's `PaymentMessages` over `digisom.interbank.iso20022`: its inbound parser
    (size and depth limits, defused XML, the pacs.008 XSD) and its pacs.002 builder."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock

    def read_customer_transfer(self, xml: bytes) -> CustomerTransfer:
        """The pacs.008's transaction, or `MessageInvalid` with the parser's reason code."""
        try:
            message = parse_inbound(xml)
        except Iso20022Error as error:
            raise MessageInvalid(error.detail, error.reason_code.value) from None
        order = message.body
        if message.message_type is not MessageType.PACS_008 or not isinstance(order, CreditTransferOrder):
            raise MessageInvalid(f"rail 3 takes a pacs.008, not a {message.message_type.value}",
                                 ReasonCode.INVALID_FILE_FORMAT.value)
        return CustomerTransfer(
            order.message_id, order.end_to_end_id, order.instruction_id, order.amount.amount_minor,
            order.amount.currency.code, order.creditor_agent.bank_code, order.debtor_name, order.debtor_account,
            _address(order.debtor_address), order.creditor_name, order.creditor_account,
            _address(order.creditor_address), order.remittance_information)

    def status_report(self, transfer: CustomerTransfer, answer: StatusAnswer) -> bytes:
        """The pacs.002 about the transfer's transaction (validated by the builder)."""
        return build_pacs002(StatusReport(
            message_id=f"{STATUS_REPORT_PREFIX}-{uuid.uuid4().hex[:24]}", created_at=self._clock(),
            original_message_id=transfer.message_id, original_message_name=MessageType.PACS_008.value,
            status=TransactionStatus(answer.status.value), original_end_to_end_id=transfer.end_to_end_id,
            original_instruction_id=transfer.instruction_id, reason_code=answer.reason_code,
            reason_detail=answer.detail))


def _address(address: PostalAddress | None) -> PartyAddress | None:
    if address is None:
        return None
    return PartyAddress(address.country, address.town_name, address.street_name, address.building_number,
                        address.building_name, address.post_code, address.address_lines)


class SubmittedLedger:
    """A `LedgerWriter` whose writes go through the process's one writer (`Submitter`) and
    whose reads go to a reader `Ledger` on the same store."""

    def __init__(self, submitter: Submitter, reader: Ledger) -> None:
        self._submitter = submitter
        self._reader = reader

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        """Through the writer."""
        return self._submitter.create_transfers(events)

    def create_accounts(self, events: Sequence[Account]) -> list[CreateAccountResult]:
        """Through the writer."""
        return self._submitter.create_accounts(events)

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        """From the reader."""
        return self._reader.lookup_accounts(ids)

    def lookup_transfers(self, ids: Sequence[int]) -> list[Transfer]:
        """From the reader."""
        return self._reader.lookup_transfers(ids)


def attach(app: FastAPI, service: RemittanceService, engine: Engine,
           clock: Callable[[], datetime] = utc_now, chain: ChainInbound | None = None) -> RemittanceReads:
    """Fill the remittance routes' slots (rail 2's with `chain`, where this process runs
    it); returns the reads (the screening wiring uses them)."""
    reads = RemittanceReads(engine)
    provide(app, REMITTANCE_SERVICE, service)
    provide(app, REMITTANCE_READS, reads)
    provide(app, REMITTANCE_MESSAGES, Iso20022Messages(clock))
    provide(app, REMITTANCE_CHAIN, chain or NotRunning())
    return reads


def build_remittance(engine: Engine, submitter: Submitter, reader: Ledger, cbdc: Context, rates: ReferenceRates,
                     screener: Screener, settings: Settings | None = None,
                     clock: Callable[[], datetime] = utc_now,
                     inquiries: TravelRuleInquiries = NO_TRAVEL_RULE_INQUIRIES) -> RemittanceService:
    """Migrate the domain's tables and build its service on `engine`'s database; a send
    may reference a travel-rule inquiry through `inquiries` (`travelrule_wiring`)."""
    migrate(engine)
    return RemittanceService(engine, SubmittedLedger(submitter, reader), rates, screener, CbdcPayees(cbdc),
                             CbdcBankFloats(), settings or Settings(), clock, inquiries)
