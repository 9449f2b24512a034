"""Reads and writes of the digital som's tables. Functions take an open SQLAlchemy
`Connection`, so the caller decides what goes into one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Connection, Row, Select, and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from digisom.cbdc import tables as t
from digisom.cbdc.accounts import TransferCode
from digisom.cbdc.ledger_port import Leg
from digisom.cbdc.model import (
    Alias,
    BenefitScheme,
    HolderKind,
    IssuanceEvent,
    MerchantProfile,
    Participant,
    ParticipantKind,
    Payment,
    PaymentKind,
    PaymentRequest,
    Wallet,
    WalletStatus,
)

ISSUANCE_KINDS: Final = ("issue", "redeem")


# -- participants --------------------------------------------------------------------


def _participant(row: Row[Any]) -> Participant:
    return Participant(row.id, ParticipantKind(row.kind), row.name, row.bank_code, row.created_at)


def insert_participant(conn: Connection, p: Participant) -> None:
    """Add a participant (UNIQUE on id and bank code)."""
    conn.execute(
        t.participants.insert().values(
            id=p.id, kind=p.kind.value, name=p.name, bank_code=p.bank_code, created_at=p.created_at
        )
    )


def get_participant(conn: Connection, participant_id: str) -> Participant | None:
    """The participant with `participant_id`, or None."""
    row = conn.execute(select(t.participants).where(t.participants.c.id == participant_id)).first()
    return _participant(row) if row else None


def participant_by_bank(conn: Connection, bank_code: str) -> Participant | None:
    """The bank or payment provider with `bank_code`, or None."""
    row = conn.execute(select(t.participants).where(t.participants.c.bank_code == bank_code)).first()
    return _participant(row) if row else None


def list_participants(conn: Connection, after_seq: int, limit: int) -> list[tuple[int, Participant]]:
    """A page of participants in registration order, with their seq."""
    query = select(t.participants).where(t.participants.c.seq > after_seq).order_by(t.participants.c.seq)
    return [(row.seq, _participant(row)) for row in conn.execute(query.limit(limit))]


def bank_codes(conn: Connection) -> list[str]:
    """Every registered bank code, sorted."""
    query = select(t.participants.c.bank_code).where(t.participants.c.bank_code.is_not(None))
    return sorted(code for code in conn.execute(query).scalars() if code)


# -- wallets -------------------------------------------------------------------------


def _wallet(row: Row[Any]) -> Wallet:
    merchant = MerchantProfile(row.merchant_name, row.merchant_city, row.mcc) if row.mcc else None
    return Wallet(
        row.id, row.bank_code, row.holder_id, HolderKind(row.holder_kind), row.tier,
        WalletStatus(row.status), merchant, row.created_at,
    )


def insert_wallet(conn: Connection, w: Wallet, operation_id: str) -> None:
    """Add a wallet (UNIQUE on id and on the operation that opened it)."""
    conn.execute(
        t.wallets.insert().values(
            id=w.id, operation_id=operation_id, bank_code=w.bank_code, holder_id=w.holder_id,
            holder_kind=w.holder_kind.value, tier=w.tier, status=w.status.value,
            merchant_name=w.merchant.name if w.merchant else None,
            merchant_city=w.merchant.city if w.merchant else None,
            mcc=w.merchant.mcc if w.merchant else None, created_at=w.created_at,
        )
    )


def get_wallet(conn: Connection, wallet_id: str) -> Wallet | None:
    """The wallet with `wallet_id`, or None."""
    row = conn.execute(select(t.wallets).where(t.wallets.c.id == wallet_id)).first()
    return _wallet(row) if row else None


def get_wallets(conn: Connection, wallet_ids: Sequence[str]) -> dict[str, Wallet]:
    """The existing wallets among `wallet_ids`, by id, in one query."""
    rows = conn.execute(select(t.wallets).where(t.wallets.c.id.in_(wallet_ids)))
    return {row.id: _wallet(row) for row in rows}


def list_wallets(
    conn: Connection, after_seq: int, limit: int, bank_code: str | None = None, holder_id: str | None = None
) -> list[tuple[int, Wallet]]:
    """A page of wallets in opening order, optionally of one bank and one holder."""
    query = select(t.wallets).where(t.wallets.c.seq > after_seq)
    if bank_code is not None:
        query = query.where(t.wallets.c.bank_code == bank_code)
    if holder_id is not None:
        query = query.where(t.wallets.c.holder_id == holder_id)
    return [(row.seq, _wallet(row)) for row in conn.execute(query.order_by(t.wallets.c.seq).limit(limit))]


def count_open_wallets(conn: Connection) -> int:
    """Wallets not closed."""
    query = select(func.count()).select_from(t.wallets).where(t.wallets.c.status != WalletStatus.CLOSED.value)
    return int(conn.execute(query).scalar_one())


def set_wallet_status(conn: Connection, wallet_id: str, status: WalletStatus, tier: int | None = None) -> None:
    """Change a wallet's status (and tier when given)."""
    values: dict[str, object] = {"status": status.value}
    if tier is not None:
        values["tier"] = tier
    conn.execute(update(t.wallets).where(t.wallets.c.id == wallet_id).values(**values))


def insert_identity(
    conn: Connection, wallet_id: str, bank_code: str, full_name: str, phone: str, pin_hash: str
) -> None:
    """Store the holder's identity with the bank."""
    conn.execute(
        t.identities.insert().values(
            wallet_id=wallet_id, bank_code=bank_code, full_name=full_name, phone=phone, pin_hash=pin_hash
        )
    )


def get_identity(conn: Connection, wallet_id: str) -> Row[Any] | None:
    """The identity row of a wallet, or None."""
    return conn.execute(select(t.identities).where(t.identities.c.wallet_id == wallet_id)).first()


def insert_hold(conn: Connection, wallet_id: str, action: str, reason: str, order: str, actor: str, at: str) -> None:
    """Record a freeze or unfreeze."""
    conn.execute(
        t.wallet_holds.insert().values(
            wallet_id=wallet_id, action=action, reason=reason, legal_order_ref=order, actor=actor, created_at=at
        )
    )


def list_holds(conn: Connection, wallet_id: str) -> list[Row[Any]]:
    """A wallet's freezes and unfreezes, oldest first."""
    query = select(t.wallet_holds).where(t.wallet_holds.c.wallet_id == wallet_id).order_by(t.wallet_holds.c.seq)
    return list(conn.execute(query))


def wallets_frozen_by(conn: Connection, order: str, actor: str) -> list[str]:
    """The wallets that `actor` froze under the order reference `order` (a screening's review)."""
    h = t.wallet_holds.c
    query = select(h.wallet_id).where(h.legal_order_ref == order, h.actor == actor, h.action == "freeze")
    return sorted({str(x) for x in conn.execute(query.distinct()).scalars()})


# -- payments ------------------------------------------------------------------------


def _payment(row: Row[Any]) -> Payment:
    return Payment(
        row.id, PaymentKind(row.kind), row.payer_wallet_id, row.payee_wallet_id, row.amount_tyiyn,
        row.refunded_tyiyn, row.topup_tyiyn, row.waterfall_tyiyn, row.status, row.reference, row.refund_of,
        row.created_at, row.benefit_scheme_id,
    )


def _payments_query() -> Select[Any]:
    # With the benefit a payment was made from, if any.
    bp = t.benefit_payments
    return select(t.payments, bp.c.scheme_id.label("benefit_scheme_id")).select_from(
        t.payments.outerjoin(bp, bp.c.payment_id == t.payments.c.id)
    )


def legs_json(legs: Sequence[Leg]) -> str:
    """The planned chain, stored with the payment so that a retry resubmits exactly it."""
    return json.dumps(
        [[leg.name, str(leg.debit_account_id), str(leg.credit_account_id), str(leg.amount_tyiyn), int(leg.code),
          leg.debit_label, leg.flags] for leg in legs]
    )


def legs_from_json(text: str) -> list[Leg]:
    """The inverse of `legs_json`."""
    return [
        Leg(name, int(debit), int(credit), int(amount), TransferCode(code), label, flags)
        for name, debit, credit, amount, code, label, flags in json.loads(text)
    ]


def insert_payment(conn: Connection, p: Payment, operation_id: str, legs: Sequence[Leg]) -> None:
    """Add a payment (status pending) with its planned chain (and its benefit, if any)."""
    conn.execute(
        t.payments.insert().values(
            id=p.id, operation_id=operation_id, kind=p.kind.value, payer_wallet_id=p.payer_wallet_id,
            payee_wallet_id=p.payee_wallet_id, amount_tyiyn=p.amount_tyiyn, refunded_tyiyn=0,
            topup_tyiyn=p.topup_tyiyn, waterfall_tyiyn=p.waterfall_tyiyn, status=p.status,
            reference=p.reference, refund_of=p.refund_of, legs=legs_json(legs), created_at=p.created_at,
        )
    )
    if p.benefit_scheme_id is not None:
        conn.execute(t.benefit_payments.insert().values(payment_id=p.id, scheme_id=p.benefit_scheme_id))


def get_payment(conn: Connection, payment_id: str) -> Payment | None:
    """The payment with `payment_id`, or None."""
    row = conn.execute(_payments_query().where(t.payments.c.id == payment_id)).first()
    return _payment(row) if row else None


def payment_legs(conn: Connection, payment_id: str) -> tuple[list[Leg], str | None]:
    """A payment's planned chain and its stored failure (JSON), if any."""
    row = conn.execute(select(t.payments.c.legs, t.payments.c.failure).where(t.payments.c.id == payment_id)).one()
    return legs_from_json(row.legs), row.failure


def list_payments(conn: Connection, wallet_id: str, after_seq: int, limit: int) -> list[tuple[int, Payment]]:
    """A page of the payments a wallet made or received."""
    query = (
        _payments_query()
        .where(
            and_(
                t.payments.c.seq > after_seq,
                or_(t.payments.c.payer_wallet_id == wallet_id, t.payments.c.payee_wallet_id == wallet_id),
            )
        )
        .order_by(t.payments.c.seq)
        .limit(limit)
    )
    return [(row.seq, _payment(row)) for row in conn.execute(query)]


def pending_payments(conn: Connection, after_seq: int, upto_seq: int, limit: int) -> list[Row[Any]]:
    """Payments pending with `after_seq < seq <= upto_seq`, oldest first: left by a crash
    between their row and the ledger, or being finished by another process right now."""
    p = t.payments
    query = select(p.c.seq, p.c.id, p.c.operation_id, p.c.payer_wallet_id, p.c.payee_wallet_id, p.c.refund_of,
                   p.c.amount_tyiyn, p.c.legs).where(p.c.status == "pending", p.c.seq > after_seq,
                                                     p.c.seq <= upto_seq)
    return list(conn.execute(query.order_by(p.c.seq).limit(limit)))


def last_payment_seq(conn: Connection) -> int:
    """The highest payment seq so far (0: none)."""
    return int(conn.execute(select(func.coalesce(func.max(t.payments.c.seq), 0))).scalar_one())


def finish_payment(conn: Connection, payment_id: str, failure: str | None) -> bool:
    """Move a pending payment to completed (failure None) or failed; False if not pending."""
    status = "failed" if failure else "completed"
    result = conn.execute(
        update(t.payments)
        .where(and_(t.payments.c.id == payment_id, t.payments.c.status == "pending"))
        .values(status=status, failure=failure)
    )
    return result.rowcount == 1


def reserve_refund(conn: Connection, payment_id: str, amount_tyiyn: int) -> bool:
    """Count `amount_tyiyn` as refunded if that keeps the total within the payment.

    One guarded UPDATE, so concurrent refunds cannot both pass; the CHECK constraint
    `cbdc_payments_refund_cap` refuses it again should this guard ever be skipped.
    """
    refunded = t.payments.c.refunded_tyiyn
    result = conn.execute(
        update(t.payments)
        .where(and_(t.payments.c.id == payment_id, refunded + amount_tyiyn <= t.payments.c.amount_tyiyn))
        .values(refunded_tyiyn=refunded + amount_tyiyn)
    )
    return result.rowcount == 1


def release_refund(conn: Connection, payment_id: str, amount_tyiyn: int) -> None:
    """Give back refund room after the ledger refused the refund."""
    refunded = t.payments.c.refunded_tyiyn
    conn.execute(update(t.payments).where(t.payments.c.id == payment_id).values(refunded_tyiyn=refunded - amount_tyiyn))


def insert_refund(conn: Connection, refund_id: str, operation_id: str, payment_id: str, refund_payment_id: str,
                  amount_tyiyn: int, at: str) -> None:
    """Record a refund of `payment_id`, paid by `refund_payment_id`."""
    conn.execute(
        t.refunds.insert().values(
            id=refund_id, operation_id=operation_id, payment_id=payment_id, refund_payment_id=refund_payment_id,
            amount_tyiyn=amount_tyiyn, created_at=at,
        )
    )


# -- requests to pay -----------------------------------------------------------------


def _request(row: Row[Any]) -> PaymentRequest:
    return PaymentRequest(
        row.id, row.payee_wallet_id, row.payer_wallet_id, row.amount_tyiyn, row.message, row.status,
        row.payment_id, row.created_at,
    )


def insert_request(conn: Connection, r: PaymentRequest, operation_id: str) -> None:
    """Add a request to pay."""
    conn.execute(
        t.payment_requests.insert().values(
            id=r.id, operation_id=operation_id, payee_wallet_id=r.payee_wallet_id, payer_wallet_id=r.payer_wallet_id,
            amount_tyiyn=r.amount_tyiyn, message=r.message, status=r.status, payment_id=None, created_at=r.created_at,
        )
    )


def get_request(conn: Connection, request_id: str) -> PaymentRequest | None:
    """The request with `request_id`, or None."""
    row = conn.execute(select(t.payment_requests).where(t.payment_requests.c.id == request_id)).first()
    return _request(row) if row else None


def list_requests(conn: Connection, wallet_id: str, after_seq: int, limit: int) -> list[tuple[int, PaymentRequest]]:
    """A page of the requests to pay a wallet sent or received."""
    r = t.payment_requests
    query = (
        select(r)
        .where(and_(r.c.seq > after_seq, or_(r.c.payer_wallet_id == wallet_id, r.c.payee_wallet_id == wallet_id)))
        .order_by(r.c.seq)
        .limit(limit)
    )
    return [(row.seq, _request(row)) for row in conn.execute(query)]


def close_request(conn: Connection, request_id: str, status: str, payment_id: str | None) -> bool:
    """Mark an open request paid or declined; False if it was not open."""
    result = conn.execute(
        update(t.payment_requests)
        .where(and_(t.payment_requests.c.id == request_id, t.payment_requests.c.status == "open"))
        .values(status=status, payment_id=payment_id)
    )
    return result.rowcount == 1


# -- issuance ------------------------------------------------------------------------


def _event(row: Row[Any]) -> IssuanceEvent:
    return IssuanceEvent(row.id, row.bank_code, row.kind, row.amount_tyiyn, row.status, row.created_at)


def insert_event(conn: Connection, e: IssuanceEvent, operation_id: str, day: str) -> None:
    """Record a reserve credit, issuance or redemption (status pending)."""
    conn.execute(
        t.issuance_events.insert().values(
            id=e.id, operation_id=operation_id, bank_code=e.bank_code, kind=e.kind, amount_tyiyn=e.amount_tyiyn,
            status=e.status, day=day, created_at=e.created_at,
        )
    )


def get_event(conn: Connection, event_id: str) -> IssuanceEvent | None:
    """The event with `event_id`, or None."""
    row = conn.execute(select(t.issuance_events).where(t.issuance_events.c.id == event_id)).first()
    return _event(row) if row else None


def finish_event(conn: Connection, event_id: str, failure: str | None) -> None:
    """Mark a pending event completed (failure None) or failed."""
    conn.execute(
        update(t.issuance_events)
        .where(and_(t.issuance_events.c.id == event_id, t.issuance_events.c.status == "pending"))
        .values(status="failed" if failure else "completed", failure=failure)
    )


def pending_events(conn: Connection, after_seq: int, upto_seq: int, limit: int) -> list[tuple[int, IssuanceEvent]]:
    """(seq, event) of the issuance events pending with `after_seq < seq <= upto_seq`,
    oldest first: left by a crash, or being finished by another process right now."""
    e = t.issuance_events
    query = select(e).where(e.c.status == "pending", e.c.seq > after_seq, e.c.seq <= upto_seq)
    return [(row.seq, _event(row)) for row in conn.execute(query.order_by(e.c.seq).limit(limit))]


def last_event_seq(conn: Connection) -> int:
    """The highest issuance event seq so far (0: none)."""
    return int(conn.execute(select(func.coalesce(func.max(t.issuance_events.c.seq), 0))).scalar_one())


def event_operation(conn: Connection, event_id: str) -> str:
    """The operation id that created an event."""
    operation: str = conn.execute(
        select(t.issuance_events.c.operation_id).where(t.issuance_events.c.id == event_id)
    ).scalar_one()
    return operation


def event_failure(conn: Connection, event_id: str) -> str | None:
    """The stored failure (JSON) of an event, if it failed."""
    query = select(t.issuance_events.c.failure).where(t.issuance_events.c.id == event_id)
    failure: str | None = conn.execute(query).scalar_one()
    return failure


def issuance_totals(conn: Connection, day_from: str | None, day_to: str) -> dict[tuple[str, str], int]:
    """Completed issuance and redemption per (bank, kind) over days [day_from, day_to]."""
    e = t.issuance_events
    query = (
        select(e.c.bank_code, e.c.kind, func.sum(e.c.amount_tyiyn))
        .where(and_(e.c.status == "completed", e.c.kind.in_(ISSUANCE_KINDS), e.c.day <= day_to))
        .group_by(e.c.bank_code, e.c.kind)
    )
    if day_from is not None:
        query = query.where(e.c.day >= day_from)
    return {(bank, kind): int(total) for bank, kind, total in conn.execute(query)}


def issuance_by_month(conn: Connection, months_max: int) -> list[tuple[str, int, int]]:
    """Completed issuance and redemption per month (YYYY-MM), the newest `months_max` months, oldest first."""
    e = t.issuance_events
    month = func.substr(e.c.day, 1, 7)
    issued = func.sum(case((e.c.kind == "issue", e.c.amount_tyiyn), else_=0))
    redeemed = func.sum(case((e.c.kind == "redeem", e.c.amount_tyiyn), else_=0))
    query = (select(month, issued, redeemed).where(and_(e.c.status == "completed", e.c.kind.in_(ISSUANCE_KINDS)))
             .group_by(month).order_by(month.desc()).limit(months_max))
    return [(str(m), int(i), int(r)) for m, i, r in reversed(conn.execute(query).all())]


# -- alias directory -----------------------------------------------------------------


def _alias(row: Row[Any]) -> Alias:
    return Alias(row.personal_number, row.bank_code, row.wallet_id, row.bank_account, row.created_at, row.updated_at)


def get_alias(conn: Connection, personal_number: str, bank_code: str) -> Alias | None:
    """`bank_code`'s registration of `personal_number` (never another bank's)."""
    a_ = t.aliases.c
    row = conn.execute(
        select(t.aliases).where(and_(a_.personal_number == personal_number, a_.bank_code == bank_code))
    ).first()
    return _alias(row) if row else None


def insert_alias(conn: Connection, a: Alias) -> None:
    """Add a bank's registration (UNIQUE per bank and personal number)."""
    conn.execute(
        t.aliases.insert().values(
            personal_number=a.personal_number, bank_code=a.bank_code, wallet_id=a.wallet_id,
            bank_account=a.bank_account, created_at=a.created_at, updated_at=a.updated_at,
        )
    )


def update_alias(conn: Connection, a: Alias) -> bool:
    """Point the bank's own alias elsewhere; False if the bank holds no such alias."""
    a_ = t.aliases.c
    result = conn.execute(
        update(t.aliases)
        .where(and_(a_.personal_number == a.personal_number, a_.bank_code == a.bank_code))
        .values(wallet_id=a.wallet_id, bank_account=a.bank_account, updated_at=a.updated_at)
    )
    return result.rowcount == 1


def delete_alias(conn: Connection, personal_number: str, bank_code: str) -> bool:
    """Remove the bank's own alias; False if it held none."""
    a_ = t.aliases.c
    result = conn.execute(
        t.aliases.delete().where(and_(a_.personal_number == personal_number, a_.bank_code == bank_code))
    )
    return result.rowcount == 1


def resolve_aliases(conn: Connection, personal_numbers: Sequence[str]) -> list[tuple[Alias, str | None]]:
    """Every bank's registrations of `personal_numbers`, each with its wallet's status
    (None for a bank-account alias), earliest registered first (`created_at`, then row
    order): one query, whatever the number of personal numbers."""
    a_, w = t.aliases, t.wallets
    query = (
        select(a_, w.c.status.label("wallet_status"))
        .select_from(a_.outerjoin(w, w.c.id == a_.c.wallet_id))
        .where(a_.c.personal_number.in_(personal_numbers))
        .order_by(a_.c.created_at, a_.c.seq)
    )
    return [(_alias(row), row.wallet_status) for row in conn.execute(query)]


# -- benefits ------------------------------------------------------------------------


def _scheme(row: Row[Any]) -> BenefitScheme:
    return BenefitScheme(row.id, row.name, tuple(row.categories.split(",")), row.expires_on,
                         row.treasury_wallet_id, row.created_by, row.created_at)


def insert_scheme(conn: Connection, s: BenefitScheme, operation_id: str) -> None:
    """Add a benefit scheme (UNIQUE on id and on the operation that created it)."""
    conn.execute(
        t.benefit_schemes.insert().values(
            id=s.id, operation_id=operation_id, name=s.name, categories=",".join(s.categories),
            expires_on=s.expires_on, treasury_wallet_id=s.treasury_wallet_id, created_by=s.created_by,
            created_at=s.created_at,
        )
    )


def get_scheme(conn: Connection, scheme_id: str) -> BenefitScheme | None:
    """The scheme with `scheme_id`, or None."""
    row = conn.execute(select(t.benefit_schemes).where(t.benefit_schemes.c.id == scheme_id)).first()
    return _scheme(row) if row else None


def wallet_statuses(conn: Connection, wallet_ids: Sequence[str]) -> dict[str, str]:
    """The status of each existing wallet among `wallet_ids`, in one query."""
    w = t.wallets
    return {row.id: row.status for row in conn.execute(select(w.c.id, w.c.status).where(w.c.id.in_(wallet_ids)))}


def benefit_wallets(conn: Connection, scheme_id: str, wallet_ids: Sequence[str]) -> set[str]:
    """Those of `wallet_ids` that hold an account of the scheme already."""
    b = t.benefit_accounts
    query = select(b.c.wallet_id).where(and_(b.c.scheme_id == scheme_id, b.c.wallet_id.in_(wallet_ids)))
    return set(conn.execute(query).scalars())


def insert_benefit_accounts(conn: Connection, scheme_id: str, wallet_ids: Sequence[str], at: str) -> None:
    """Record the scheme's accounts of `wallet_ids`; rows a concurrent call recorded
    first are left as they are (UNIQUE per scheme and wallet, ON CONFLICT DO NOTHING)."""
    if not wallet_ids:
        return
    dialect_insert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    statement = dialect_insert(t.benefit_accounts).on_conflict_do_nothing(index_elements=["scheme_id", "wallet_id"])
    conn.execute(statement, [{"scheme_id": scheme_id, "wallet_id": w, "created_at": at} for w in wallet_ids])


def scheme_wallets(conn: Connection, scheme_id: str, after_seq: int, limit: int) -> list[tuple[int, str]]:
    """A page of the wallets holding an account of the scheme, with their seq."""
    b = t.benefit_accounts
    query = select(b.c.seq, b.c.wallet_id).where(and_(b.c.scheme_id == scheme_id, b.c.seq > after_seq))
    return [(row.seq, row.wallet_id) for row in conn.execute(query.order_by(b.c.seq).limit(limit))]


def wallet_schemes(conn: Connection, wallet_id: str) -> list[BenefitScheme]:
    """The schemes the wallet holds an account of, oldest first."""
    b, s = t.benefit_accounts, t.benefit_schemes
    query = (
        select(s).select_from(b.join(s, s.c.id == b.c.scheme_id)).where(b.c.wallet_id == wallet_id).order_by(b.c.seq)
    )
    return [_scheme(row) for row in conn.execute(query)]


def all_benefit_accounts(conn: Connection) -> list[tuple[str, str]]:
    """Every (scheme, wallet) benefit account (tests compare it with the sweep)."""
    b = t.benefit_accounts
    return [(row.scheme_id, row.wallet_id) for row in conn.execute(select(b.c.scheme_id, b.c.wallet_id))]


# -- idempotency keys ----------------------------------------------------------------


def get_idempotent(conn: Connection, principal: str, key: str) -> Row[Any] | None:
    """The stored response for (principal, key), or None."""
    k = t.idempotency_keys
    return conn.execute(select(k).where(and_(k.c.principal == principal, k.c.key == key))).first()


def put_idempotent(conn: Connection, principal: str, key: str, fingerprint: str, status_code: int,
                   content_type: str, body: str, at: str) -> None:
    """Store the response of (principal, key); the primary key refuses a second one."""
    conn.execute(
        t.idempotency_keys.insert().values(
            principal=principal, key=key, fingerprint=fingerprint, status_code=status_code,
            content_type=content_type, body=body, created_at=at,
        )
    )
