"""The digital som's request and response bodies. Amounts are strings of integer tyiyn with the currency
beside them; every string has a length limit and, where it names something, a pattern."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, Field

from digisom.cbdc import model as m
from digisom.cbdc.policy import Policy
from digisom.cbdc.qr import MerchantQr
from digisom.http.fields import (
    AmountTyiyn,
    BankCode,
    Currency,
    Input,
    PlainText,
    ShortText,
    WalletId,
)

BenefitSchemeId = Annotated[str, Field(pattern=r"^b[a-z2-7]{24}$", examples=["bq3m5x7kd2p4rj6wz8tyc2n5h"])]
ParticipantId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,31}$", examples=["ayil-bank"])]
HolderId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", examples=["cust-0042"])]
PATH_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,63}$"


class ParticipantIn(Input):
    id: ParticipantId
    kind: m.ParticipantKind
    name: Annotated[PlainText, Field(min_length=1, max_length=200)]
    bank_code: BankCode | None = None


class ParticipantOut(BaseModel):
    id: str
    kind: m.ParticipantKind
    name: str
    bank_code: str | None
    created_at: str


class ParticipantPage(BaseModel):
    items: list[ParticipantOut]
    next_cursor: str | None


class ConversionIn(Input):
    bank_code: BankCode
    amount_tyiyn: AmountTyiyn
    currency: Currency


class IssuanceEventOut(BaseModel):
    id: str
    bank_code: str
    kind: str
    amount_tyiyn: str
    currency: Currency = "KGS"
    status: str
    created_at: str


class BankIssuanceOut(BaseModel):
    bank_code: str
    currency: Currency = "KGS"
    issued_tyiyn: str
    redeemed_tyiyn: str
    outstanding_tyiyn: str


class SummaryOut(BaseModel):
    currency: Currency = "KGS"
    circulation_tyiyn: str
    issuance_liability_tyiyn: str
    floats_tyiyn: str
    wallets_tyiyn: str
    benefits_tyiyn: str = "0"
    # Every holding code of the money chart by name (floats, wallets, benefits, offline
    # reserves, the KGST reserve...): circulation is their sum.
    holdings_tyiyn: dict[str, str] = {}
    balanced: bool
    banks: list[BankIssuanceOut]


class DailyReportOut(BaseModel):
    day: str
    currency: Currency = "KGS"
    issued_tyiyn: str
    redeemed_tyiyn: str
    outstanding_tyiyn: str
    banks: list[BankIssuanceOut]


class AggregateOut(BaseModel):
    currency: Currency = "KGS"
    circulation_tyiyn: str
    wallets_open: int
    banks: int
    as_of: str


class TierOut(BaseModel):
    tier: int
    name: str
    currency: Currency = "KGS"
    balance_limit_tyiyn: str | None
    monthly_inflow_limit_tyiyn: str | None
    payment_limit_tyiyn: str | None


class PolicyOut(BaseModel):
    currency: Currency = "KGS"
    tiers: list[TierOut]


class IdentityIn(Input):
    full_name: Annotated[PlainText, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(pattern=r"^\+996[0-9]{9}$", examples=["+996555123456"])]
    pin: Annotated[str, Field(pattern=r"^[0-9]{4,6}$")]


class MerchantIn(Input):
    name: Annotated[str, Field(min_length=1, max_length=25, pattern=r"^[\x20-\x7e]+$")]
    city: Annotated[str, Field(min_length=1, max_length=15, pattern=r"^[\x20-\x7e]+$")]
    mcc: Annotated[str, Field(pattern=r"^[0-9]{4}$", examples=["5411"])]


class WalletIn(Input):
    holder_id: HolderId
    holder_kind: m.HolderKind
    tier: Annotated[int, Field(ge=0, le=15)]
    identity: IdentityIn
    merchant: MerchantIn | None = None


class MerchantOut(BaseModel):
    name: str
    city: str
    mcc: str


class WalletOut(BaseModel):
    id: str
    bank_code: str
    holder_id: str
    holder_kind: m.HolderKind
    tier: int
    status: m.WalletStatus
    merchant: MerchantOut | None
    created_at: str


class LimitsOut(BaseModel):
    currency: Currency = "KGS"
    balance_limit_tyiyn: str | None
    balance_room_tyiyn: str | None
    monthly_inflow_limit_tyiyn: str | None
    monthly_inflow_room_tyiyn: str | None
    payment_limit_tyiyn: str | None


class BenefitBalanceOut(BaseModel):
    scheme_id: str
    name: str
    balance_tyiyn: str
    currency: Currency = "KGS"
    categories: list[str]
    expires_on: str


class WalletDetailOut(WalletOut):
    currency: Currency = "KGS"
    balance_tyiyn: str
    linked_deposit_tyiyn: str
    limits: LimitsOut
    benefits: list[BenefitBalanceOut] = []  # separate balances, spendable only as their schemes allow


class WalletPage(BaseModel):
    items: list[WalletOut]
    next_cursor: str | None


class IdentityOut(BaseModel):
    wallet_id: str
    bank_code: str
    full_name: str
    phone: str


class TierIn(Input):
    tier: Annotated[int, Field(ge=0, le=15)]


class AmountIn(Input):
    amount_tyiyn: AmountTyiyn
    currency: Currency


class FreezeIn(Input):
    reason: Annotated[PlainText, Field(min_length=1, max_length=200)]
    legal_order_ref: Annotated[PlainText, Field(min_length=1, max_length=64)]


class HoldOut(BaseModel):
    wallet_id: str
    action: str
    reason: str
    legal_order_ref: str
    actor: str
    created_at: str


class HoldList(BaseModel):
    items: list[HoldOut]


class StatementEntryOut(BaseModel):
    transfer_id: str
    timestamp_ns: str
    kind: str
    direction: Literal["credit", "debit"]
    amount_tyiyn: str
    currency: Currency = "KGS"
    benefit_scheme_id: str | None = None


class StatementPage(BaseModel):
    items: list[StatementEntryOut]
    next_cursor: str | None


class PaymentIn(Input):
    payer_wallet_id: WalletId
    payee_wallet_id: WalletId
    amount_tyiyn: AmountTyiyn
    currency: Currency
    reference: ShortText | None = None
    benefit_scheme_id: BenefitSchemeId | None = None  # pay from this benefit instead of the wallet


class QrPaymentIn(Input):
    payer_wallet_id: WalletId
    # Longer than any valid payload, so the codec can say "too-long" itself.
    payload: Annotated[str, Field(min_length=1, max_length=2048)]
    amount_tyiyn: AmountTyiyn | None = None
    currency: Currency
    benefit_scheme_id: BenefitSchemeId | None = None  # pay from this benefit instead of the wallet


class RefundIn(Input):
    amount_tyiyn: AmountTyiyn
    currency: Currency


class PaymentOut(BaseModel):
    id: str
    kind: m.PaymentKind
    payer_wallet_id: str
    payee_wallet_id: str
    amount_tyiyn: str
    currency: Currency = "KGS"
    refunded_tyiyn: str
    topup_tyiyn: str
    waterfall_tyiyn: str
    status: str
    reference: str | None
    refund_of: str | None
    created_at: str
    benefit_scheme_id: str | None = None


class PaymentPage(BaseModel):
    items: list[PaymentOut]
    next_cursor: str | None


class PaymentRequestIn(Input):
    payee_wallet_id: WalletId
    payer_wallet_id: WalletId
    amount_tyiyn: AmountTyiyn
    currency: Currency
    message: ShortText | None = None


class PaymentRequestOut(BaseModel):
    id: str
    payee_wallet_id: str
    payer_wallet_id: str
    amount_tyiyn: str
    currency: Currency = "KGS"
    message: str | None
    status: str
    payment_id: str | None
    created_at: str


class PaymentRequestPage(BaseModel):
    items: list[PaymentRequestOut]
    next_cursor: str | None


class QrIn(Input):
    wallet_id: WalletId
    amount_tyiyn: AmountTyiyn | None = None
    bill_number: Annotated[str, Field(min_length=1, max_length=25, pattern=r"^[\x20-\x7e]+$")] | None = None


class QrOut(BaseModel):
    payload: str


class QrDecodeIn(Input):
    payload: Annotated[str, Field(min_length=1, max_length=2048)]


class QrDecodedOut(BaseModel):
    wallet_id: str
    merchant_name: str
    merchant_city: str
    mcc: str
    amount_tyiyn: str | None
    currency: Currency = "KGS"
    bill_number: str | None


class JournalEntryOut(BaseModel):
    seq: int
    prev_hash: str
    hash: str
    accounts_created: int
    transfers: int
    payload_hex: str


class JournalPage(BaseModel):
    items: list[JournalEntryOut]
    next_cursor: str | None


# -- rendering -----------------------------------------------------------------------


def _opt(value: int | None) -> str | None:
    return None if value is None else str(value)


def participant_out(p: m.Participant) -> ParticipantOut:
    """A participant as the API shows it."""
    return ParticipantOut(id=p.id, kind=p.kind, name=p.name, bank_code=p.bank_code, created_at=p.created_at)


def event_out(e: m.IssuanceEvent) -> IssuanceEventOut:
    """An issuance event as the API shows it."""
    return IssuanceEventOut(id=e.id, bank_code=e.bank_code, kind=e.kind, amount_tyiyn=str(e.amount_tyiyn),
                            status=e.status, created_at=e.created_at)


def bank_issuance_out(b: m.BankIssuance) -> BankIssuanceOut:
    """One bank's issuance line."""
    return BankIssuanceOut(bank_code=b.bank_code, issued_tyiyn=str(b.issued_tyiyn),
                           redeemed_tyiyn=str(b.redeemed_tyiyn), outstanding_tyiyn=str(b.outstanding_tyiyn))


def summary_out(s: m.IssuanceSummary) -> SummaryOut:
    """The issuance summary, with the auditor's `balanced` = circulation equals the liability."""
    return SummaryOut(
        circulation_tyiyn=str(s.circulation_tyiyn), issuance_liability_tyiyn=str(s.issuance_liability_tyiyn),
        floats_tyiyn=str(s.floats_tyiyn), wallets_tyiyn=str(s.wallets_tyiyn), benefits_tyiyn=str(s.benefits_tyiyn),
        holdings_tyiyn={name: str(v) for name, v in s.audit.by_code_tyiyn.items()},
        balanced=s.balanced, banks=[bank_issuance_out(b) for b in s.banks],
    )


def report_out(r: m.DailyReport) -> DailyReportOut:
    """The daily issuance report."""
    return DailyReportOut(day=r.day, issued_tyiyn=str(r.issued_tyiyn), redeemed_tyiyn=str(r.redeemed_tyiyn),
                          outstanding_tyiyn=str(r.outstanding_tyiyn), banks=[bank_issuance_out(b) for b in r.banks])


def aggregate_out(a: m.PublicAggregate) -> AggregateOut:
    """The published aggregate."""
    return AggregateOut(circulation_tyiyn=str(a.circulation_tyiyn), wallets_open=a.wallets_open, banks=a.banks,
                        as_of=a.as_of)


def policy_out(p: Policy) -> PolicyOut:
    """The tier policy, tiers in order."""
    return PolicyOut(tiers=[
        TierOut(tier=t.tier, name=t.name, balance_limit_tyiyn=_opt(t.balance_limit_tyiyn),
                monthly_inflow_limit_tyiyn=_opt(t.monthly_inflow_limit_tyiyn),
                payment_limit_tyiyn=_opt(t.payment_limit_tyiyn))
        for _, t in sorted(p.tiers.items())
    ])


def wallet_out(w: m.Wallet) -> WalletOut:
    """A wallet without balances (lists)."""
    merchant = MerchantOut(name=w.merchant.name, city=w.merchant.city, mcc=w.merchant.mcc) if w.merchant else None
    return WalletOut(id=w.id, bank_code=w.bank_code, holder_id=w.holder_id, holder_kind=w.holder_kind, tier=w.tier,
                     status=w.status, merchant=merchant, created_at=w.created_at)


def wallet_detail_out(v: m.WalletView) -> WalletDetailOut:
    """A wallet with balances and the room under each limit."""
    lim = v.limits
    limits = LimitsOut(
        balance_limit_tyiyn=_opt(lim.balance_limit_tyiyn), balance_room_tyiyn=_opt(lim.balance_room_tyiyn),
        monthly_inflow_limit_tyiyn=_opt(lim.monthly_inflow_limit_tyiyn),
        monthly_inflow_room_tyiyn=_opt(lim.monthly_inflow_room_tyiyn),
        payment_limit_tyiyn=_opt(lim.payment_limit_tyiyn),
    )
    benefits = [BenefitBalanceOut(scheme_id=b.scheme_id, name=b.name, balance_tyiyn=str(b.balance_tyiyn),
                                  categories=list(b.categories), expires_on=b.expires_on) for b in v.benefits]
    return WalletDetailOut(**wallet_out(v.wallet).model_dump(), balance_tyiyn=str(v.balance_tyiyn),
                           linked_deposit_tyiyn=str(v.linked_deposit_tyiyn), limits=limits, benefits=benefits)


def identity_out(i: m.Identity) -> IdentityOut:
    """A holder's identity (for the wallet's bank only)."""
    return IdentityOut(wallet_id=i.wallet_id, bank_code=i.bank_code, full_name=i.full_name, phone=i.phone)


def hold_out(h: m.Hold) -> HoldOut:
    """A freeze or unfreeze record."""
    return HoldOut(wallet_id=h.wallet_id, action=h.action, reason=h.reason, legal_order_ref=h.legal_order_ref,
                   actor=h.actor, created_at=h.created_at)


def statement_entry_out(e: m.StatementEntry) -> StatementEntryOut:
    """One statement line."""
    direction: Literal["credit", "debit"] = "credit" if e.direction == "credit" else "debit"
    return StatementEntryOut(transfer_id=e.transfer_id, timestamp_ns=str(e.timestamp_ns), kind=e.kind,
                             direction=direction, amount_tyiyn=str(e.amount_tyiyn),
                             benefit_scheme_id=e.benefit_scheme_id)


def payment_out(p: m.Payment) -> PaymentOut:
    """A payment."""
    return PaymentOut(
        id=p.id, kind=p.kind, payer_wallet_id=p.payer_wallet_id, payee_wallet_id=p.payee_wallet_id,
        amount_tyiyn=str(p.amount_tyiyn), refunded_tyiyn=str(p.refunded_tyiyn), topup_tyiyn=str(p.topup_tyiyn),
        waterfall_tyiyn=str(p.waterfall_tyiyn), status=p.status, reference=p.reference, refund_of=p.refund_of,
        created_at=p.created_at, benefit_scheme_id=p.benefit_scheme_id,
    )


def request_out(r: m.PaymentRequest) -> PaymentRequestOut:
    """A request to pay."""
    return PaymentRequestOut(id=r.id, payee_wallet_id=r.payee_wallet_id, payer_wallet_id=r.payer_wallet_id,
                             amount_tyiyn=str(r.amount_tyiyn), message=r.message, status=r.status,
                             payment_id=r.payment_id, created_at=r.created_at)


def qr_decoded_out(q: MerchantQr) -> QrDecodedOut:
    """What a decoded QR code says."""
    return QrDecodedOut(wallet_id=q.wallet_id, merchant_name=q.merchant_name, merchant_city=q.merchant_city,
                        mcc=q.mcc, amount_tyiyn=_opt(q.amount_tyiyn), bill_number=q.bill_number)


def journal_entry_out(j: m.JournalEntry) -> JournalEntryOut:
    """One journal record."""
    return JournalEntryOut(seq=j.seq, prev_hash=j.prev_hash_hex, hash=j.hash_hex, accounts_created=j.accounts_created,
                           transfers=j.transfers, payload_hex=j.payload_hex)
