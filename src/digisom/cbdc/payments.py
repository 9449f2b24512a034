"""Payments: person to person, to a merchant's QR code, refunds and requests to pay.

Each payment is one linked chain in the ledger, planned from the balances under the
wallets' locks:
- reverse waterfall: what the payer's wallet lacks comes from the payer's linked bank
  account (commercial-bank money to the bank, digital som from its float to the wallet);
- the payment itself, wallet to wallet, up to the payee's holding limit;
- waterfall: the rest goes to the payee bank's float and, as commercial-bank money,
  to the payee's linked bank account.
Either all of it happens or none of it.

A payment from a benefit (`benefit_scheme_id`) debits the payer's account of that
benefit instead of the wallet, pays only a merchant of the scheme's categories, and is
never topped up from the bank; its refund goes back into the benefit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from digisom.cbdc import accounts, benefits, chains, credits, qr, repository, wallets
from digisom.cbdc.access import can_read_wallet, require_operate, require_read
from digisom.cbdc.accounts import TransferCode
from digisom.cbdc.context import Context
from digisom.cbdc.errors import (
    CbdcError,
    Conflict,
    InsufficientFunds,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    replay,
)
from digisom.cbdc.ids import operation_id, public_id
from digisom.cbdc.ledger_port import Leg
from digisom.cbdc.model import BenefitScheme, HolderKind, Page, Payment, PaymentKind, PaymentRequest, Wallet, page_of
from digisom.kernel.access import Actor
from digisom.kernel.db_errors import reraise_unless_unique

# Pending rows finished per round at start-up.
RECOVERY_BATCH_MAX: Final = 1000
_CODES = {
    PaymentKind.P2P: TransferCode.P2P,
    PaymentKind.MERCHANT: TransferCode.MERCHANT,
    PaymentKind.REFUND: TransferCode.REFUND,
    PaymentKind.REQUEST: TransferCode.REQUEST_TO_PAY,
}


def plan(ctx: Context, payer: Wallet, payee: Wallet, amount_tyiyn: int, kind: PaymentKind,
         benefit: BenefitScheme | None = None) -> tuple[list[Leg], int, int]:
    """The chain for a payment and how much of it was topped up and waterfalled. With a
    `benefit`, a refund credits the payee's account of it, any other payment debits the
    payer's (no top-up: a benefit is spent from its own balance only)."""
    if payer.id == payee.id:
        raise InvalidRequest("payer and payee are the same wallet")
    wallets.require_usable(payer)
    wallets.require_usable(payee)
    if kind is not PaymentKind.REFUND:
        wallets.require_within_payment_limit(ctx, payer, amount_tyiyn)
    spends_benefit = benefit is not None and kind is not PaymentKind.REFUND
    refunds_benefit = benefit is not None and kind is PaymentKind.REFUND
    payer_account, payee_account = accounts.wallet_account_id(payer.id), accounts.wallet_account_id(payee.id)
    if benefit is not None and spends_benefit:
        payer_account = accounts.benefit_account_id(benefit.id, payer.id)
    elif benefit is not None:
        payee_account = accounts.benefit_account_id(benefit.id, payee.id)
    source_label = "benefit balance" if spends_benefit else "wallet"
    found = ctx.ledger.accounts([payer_account, payee_account])
    if benefit is not None and (payer_account not in found or payee_account not in found):
        raise InsufficientFunds(f"the wallet holds nothing of benefit {benefit.id}", account="benefit balance")
    topup = 0 if spends_benefit else max(0, amount_tyiyn - accounts.available_tyiyn(found[payer_account]))
    payee_tier = ctx.policy.tier(payee.tier)
    code = TransferCode.BENEFIT_PAYMENT if spends_benefit else _CODES[kind]
    # The payee's side is the rule of every credit (`credits`): room under the holding
    # limit, the rest waterfalled; back into a benefit: no limit, no waterfall.
    held_tyiyn = accounts.held_tyiyn(found[payee_account])
    room = None if refunds_benefit else wallets.holding_room_tyiyn(ctx, payee, held_tyiyn)
    credit = credits.credit_legs(payee, amount_tyiyn, room, payer_account, source_label, code, TransferCode.WATERFALL,
                                 payee_account)
    to_wallet, waterfall = credit.to_wallet_tyiyn, credit.waterfall_tyiyn
    if payee_tier.monthly_inflow_limit_tyiyn is not None and to_wallet and kind is not PaymentKind.REFUND:
        inflow_room = payee_tier.monthly_inflow_limit_tyiyn - wallets.month_inflow_tyiyn(ctx, payee.id)
        if to_wallet > inflow_room:
            raise LimitExceeded("monthly_inflow_limit_tyiyn", payee_tier.monthly_inflow_limit_tyiyn, inflow_room,
                                "the payee's wallet may receive less this month")
    legs = wallets.funding_legs(payer, topup, TransferCode.REVERSE_WATERFALL) if topup else []
    legs += credit.legs
    return legs, topup, waterfall


def _execute(
    ctx: Context,
    operation: str,
    payment_id: str,
    kind: PaymentKind,
    payer: Wallet,
    payee: Wallet,
    amount_tyiyn: int,
    reference: str | None,
    refund_of: Payment | None = None,
    benefit: BenefitScheme | None = None,
) -> Payment:
    """Plan, record (pending), submit and finish one payment; or resume the one this
    operation already made."""
    benefit_id = benefit.id if benefit else None
    with ctx.locks.hold(payer.id, payee.id):
        existing = _get(ctx, payment_id)
        if existing is None:
            # Read again under the locks: a freeze or a close may have landed meanwhile.
            payer, payee = wallets.load(ctx, payer.id), wallets.load(ctx, payee.id)
            legs, topup, waterfall = plan(ctx, payer, payee, amount_tyiyn, kind, benefit)
            payment = Payment(payment_id, kind, payer.id, payee.id, amount_tyiyn, 0, topup, waterfall, "pending",
                              reference, refund_of.id if refund_of else None, ctx.now_iso(), benefit_id)
            try:
                with ctx.engine.begin() as conn:
                    repository.insert_payment(conn, payment, operation, legs)
                    if refund_of is not None:
                        _reserve_refund(conn, refund_of, payment, operation)
            except IntegrityError as error:
                reraise_unless_unique(error)
                existing = _get(ctx, payment_id)
                if existing is None:
                    raise Conflict("this payment could not be recorded; retry with a new idempotency key") from None
        if existing is not None:
            if (existing.kind, existing.payer_wallet_id, existing.payee_wallet_id, existing.amount_tyiyn,
                    existing.benefit_scheme_id) != (kind, payer.id, payee.id, amount_tyiyn, benefit_id):
                raise InvalidRequest("this idempotency key was used for another payment")
            with ctx.engine.connect() as conn:
                legs, failure = repository.payment_legs(conn, payment_id)
            if failure:
                raise replay(failure)
            if existing.status == "completed":
                return existing
        chains.run(ctx, operation, legs, _finisher(payment_id, refund_of, amount_tyiyn))
    found = _get(ctx, payment_id)
    if found is None:
        raise NotFound("no such payment")
    return found


def recover_pending(ctx: Context) -> int:
    """Finish payments a crash left pending: resubmit their stored chains (the ledger
    answers `exists` for what it applied) and record how each ended. Runs at start-up,
    while other processes may be serving: each row is taken under its wallets' locks (the
    ones its live path holds from planning to finishing) and read again there, so a
    payment another process is finishing is waited for, then left alone. Only rows that
    existed when recovery began are looked at. Returns how many were finished here."""
    finished = 0
    with ctx.engine.connect() as conn:
        upto_seq = repository.last_payment_seq(conn)
    after_seq = 0
    while rows := _pending(ctx, after_seq, upto_seq):
        for row in rows:
            finished += _recover_one(ctx, row)
        after_seq = rows[-1].seq
    return finished


def _recover_one(ctx: Context, row: Any) -> int:
    """Finish one pending payment under its wallets' locks; 1 if this call finished it."""
    with ctx.locks.hold(row.payer_wallet_id, row.payee_wallet_id):
        current = _get(ctx, row.id)
        if current is None or current.status != "pending":
            return 0  # finished meanwhile by the process that made it
        original = _get(ctx, row.refund_of) if row.refund_of else None
        with contextlib.suppress(CbdcError):  # a refusal is recorded; the caller's retry gets it
            chains.run(ctx, row.operation_id, repository.legs_from_json(row.legs),
                       _finisher(row.id, original, row.amount_tyiyn))
    return 1


def _pending(ctx: Context, after_seq: int, upto_seq: int) -> list[Any]:
    with ctx.engine.connect() as conn:
        return repository.pending_payments(conn, after_seq, upto_seq, RECOVERY_BATCH_MAX)


def _finisher(
    payment_id: str, refund_of: Payment | None, amount_tyiyn: int
) -> Callable[[Connection, str | None], None]:
    def finish(conn: Connection, failure: str | None) -> None:
        changed = repository.finish_payment(conn, payment_id, failure)
        if changed and failure and refund_of is not None:
            repository.release_refund(conn, refund_of.id, amount_tyiyn)  # the refund did not happen

    return finish


def _reserve_refund(conn: Connection, original: Payment, refund: Payment, operation: str) -> None:
    if not repository.reserve_refund(conn, original.id, refund.amount_tyiyn):
        current = repository.get_payment(conn, original.id)
        room = current.amount_tyiyn - current.refunded_tyiyn if current else 0
        raise LimitExceeded("refundable_tyiyn", original.amount_tyiyn, room,
                            "a refund can never exceed what is left of the payment")
    repository.insert_refund(conn, public_id("r", operation), operation, original.id, refund.id,
                             refund.amount_tyiyn, refund.created_at)


def _get(ctx: Context, payment_id: str) -> Payment | None:
    with ctx.engine.connect() as conn:
        return repository.get_payment(conn, payment_id)


def _spendable_benefit(ctx: Context, benefit_scheme_id: str | None, payee: Wallet) -> BenefitScheme | None:
    if benefit_scheme_id is None:
        return None
    scheme = benefits.load(ctx, benefit_scheme_id)
    benefits.require_spendable(ctx, scheme, payee)
    return scheme


def pay(ctx: Context, actor: Actor, key: str, payer_wallet_id: str, payee_wallet_id: str, amount_tyiyn: int,
        reference: str | None, benefit_scheme_id: str | None = None) -> Payment:
    """Pay another wallet (person to person, or a merchant by its wallet id), from the
    wallet or, with `benefit_scheme_id`, from that benefit (merchants of its categories only)."""
    payer = wallets.load(ctx, payer_wallet_id)
    require_operate(actor, payer)
    payee = wallets.load(ctx, payee_wallet_id)
    benefit = _spendable_benefit(ctx, benefit_scheme_id, payee)
    kind = PaymentKind.MERCHANT if payee.holder_kind is HolderKind.MERCHANT else PaymentKind.P2P
    operation = operation_id(actor, key)
    return _execute(ctx, operation, public_id("p", operation), kind, payer, payee, amount_tyiyn, reference,
                    benefit=benefit)


def pay_qr(ctx: Context, actor: Actor, key: str, payer_wallet_id: str, payload: str, amount_tyiyn: int | None,
           benefit_scheme_id: str | None = None) -> Payment:
    """Pay a merchant-presented QR code: decode and check it, then pay its wallet (from
    the wallet, or from a benefit whose categories include the merchant's)."""
    payer = wallets.load(ctx, payer_wallet_id)
    require_operate(actor, payer)
    code = qr.decode(payload)
    if code.amount_tyiyn is not None and amount_tyiyn is not None and amount_tyiyn != code.amount_tyiyn:
        raise InvalidRequest("the amount differs from the one in the QR code")
    amount = code.amount_tyiyn if code.amount_tyiyn is not None else amount_tyiyn
    if amount is None:
        raise InvalidRequest("this QR code has no amount: send amount_tyiyn")
    payee = wallets.load(ctx, code.wallet_id)
    if payee.holder_kind is not HolderKind.MERCHANT or payee.merchant is None:
        raise qr.QrInvalidField("the QR code's wallet is not a merchant's")
    benefit = _spendable_benefit(ctx, benefit_scheme_id, payee)
    operation = operation_id(actor, key)
    return _execute(ctx, operation, public_id("p", operation), PaymentKind.MERCHANT, payer, payee, amount,
                    code.bill_number, benefit=benefit)


def refund(ctx: Context, actor: Actor, key: str, payment_id: str, amount_tyiyn: int) -> Payment:
    """Refund part or all of a payment, from the payee back to the payer. The total
    refunded never exceeds the payment (a guarded update and a CHECK constraint)."""
    original = get(ctx, actor, payment_id)
    payee = wallets.load(ctx, original.payee_wallet_id)
    require_operate(actor, payee)
    if original.kind is PaymentKind.REFUND or original.status != "completed":
        raise Conflict("only a completed payment can be refunded")
    payer = wallets.load(ctx, original.payer_wallet_id)
    benefit = None
    if original.benefit_scheme_id is not None:
        # Back into the benefit it was paid from, while the benefit lasts.
        benefit = benefits.load(ctx, original.benefit_scheme_id)
        benefits.require_unexpired(ctx, benefit)
    operation = operation_id(actor, key)
    return _execute(ctx, operation, public_id("p", operation), PaymentKind.REFUND, payee, payer, amount_tyiyn,
                    f"refund of {original.id}", refund_of=original, benefit=benefit)


def get(ctx: Context, actor: Actor, payment_id: str) -> Payment:
    """A payment, for whoever may read its payer's or payee's wallet."""
    found = _get(ctx, payment_id)
    if found is None:
        raise NotFound("no such payment")
    sides = [wallets.load(ctx, found.payer_wallet_id), wallets.load(ctx, found.payee_wallet_id)]
    if not any(can_read_wallet(actor, w) for w in sides):
        raise NotFound("no such payment")  # the same answer as an unknown id: nothing about other banks
    return found


def page(ctx: Context, actor: Actor, wallet_id: str, after_seq: int, limit: int) -> Page[Payment]:
    """A page of the payments a wallet made or received."""
    require_read(actor, wallets.load(ctx, wallet_id))
    with ctx.engine.connect() as conn:
        rows = repository.list_payments(conn, wallet_id, after_seq, limit)
    return page_of(rows, limit)


# -- requests to pay -----------------------------------------------------------------


def request(ctx: Context, actor: Actor, key: str, payee_wallet_id: str, payer_wallet_id: str, amount_tyiyn: int,
            message: str | None) -> PaymentRequest:
    """The payee asks the payer's wallet for a payment."""
    payee = wallets.load(ctx, payee_wallet_id)
    require_operate(actor, payee)
    payer = wallets.load(ctx, payer_wallet_id)
    if payer.id == payee.id:
        raise InvalidRequest("payer and payee are the same wallet")
    operation = operation_id(actor, key)
    created = PaymentRequest(public_id("q", operation), payee.id, payer.id, amount_tyiyn, message, "open", None,
                             ctx.now_iso())
    try:
        with ctx.engine.begin() as conn:
            repository.insert_request(conn, created, operation)
    except IntegrityError as error:
        reraise_unless_unique(error)
        return get_request(ctx, actor, created.id)
    return created


def get_request(ctx: Context, actor: Actor, request_id: str) -> PaymentRequest:
    """A request to pay, for either side."""
    with ctx.engine.connect() as conn:
        found = repository.get_request(conn, request_id)
    if found is None:
        raise NotFound("no such request to pay")
    sides = [wallets.load(ctx, found.payer_wallet_id), wallets.load(ctx, found.payee_wallet_id)]
    if not any(can_read_wallet(actor, w) for w in sides):
        raise NotFound("no such request to pay")  # the same answer as an unknown id
    return found


def request_page(ctx: Context, actor: Actor, wallet_id: str, after_seq: int, limit: int) -> Page[PaymentRequest]:
    """A page of the requests to pay a wallet sent or received (the payer's inbox)."""
    require_read(actor, wallets.load(ctx, wallet_id))
    with ctx.engine.connect() as conn:
        rows = repository.list_requests(conn, wallet_id, after_seq, limit)
    return page_of(rows, limit)


def answer_request(ctx: Context, actor: Actor, request_id: str, accept: bool) -> PaymentRequest:
    """The payer pays or declines. A request is paid at most once: the payment's ids
    derive from the request, not from the caller's key."""
    found = get_request(ctx, actor, request_id)
    payer = wallets.load(ctx, found.payer_wallet_id)
    require_operate(actor, payer)
    payee = wallets.load(ctx, found.payee_wallet_id)
    with ctx.locks.hold(payer.id, payee.id):
        found = get_request(ctx, actor, request_id)
        if found.status != "open":
            raise Conflict(f"the request is {found.status}")
        payment_id = None
        if accept:
            operation = f"request|{found.id}"
            payment = _execute(ctx, operation, public_id("p", operation), PaymentKind.REQUEST, payer, payee,
                               found.amount_tyiyn, found.message)
            payment_id = payment.id
        with ctx.engine.begin() as conn:
            repository.close_request(conn, found.id, "paid" if accept else "declined", payment_id)
    return get_request(ctx, actor, request_id)


def merchant_qr(ctx: Context, actor: Actor, wallet_id: str, amount_tyiyn: int | None, bill_number: str | None) -> str:
    """The EMV payload a merchant shows, with or without an amount."""
    wallet = wallets.load(ctx, wallet_id)
    require_operate(actor, wallet)
    if wallet.merchant is None:
        raise InvalidRequest("only a merchant wallet has a QR code")
    m = wallet.merchant
    return qr.encode(qr.MerchantQr(wallet.id, m.name, m.city, m.mcc, amount_tyiyn, bill_number))
