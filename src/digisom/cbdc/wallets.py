"""Wallets: opened by a bank for its customer, under a KYC tier of the policy.

The central bank sees the wallet's pseudonymous id, bank, tier and balance; the
holder's identity (name, phone, a hash of the PIN) stays in the bank's table. Each
wallet has a linked deposit: the mirror of the holder's commercial-bank account that
the waterfall fills and the reverse waterfall draws on.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from typing import Final

from sqlalchemy.exc import IntegrityError

from digisom.cbdc import accounts, participants, repository
from digisom.cbdc.access import require_bank, require_legal_authority, require_operate, require_read
from digisom.cbdc.accounts import AccountCode, TransferCode
from digisom.cbdc.context import Context
from digisom.cbdc.errors import (
    NO_SUCH_WALLET,
    Conflict,
    Forbidden,
    HolderSanctioned,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    WalletClosed,
    WalletFrozen,
)
from digisom.cbdc.ids import operation_id, public_id
from digisom.cbdc.ledger_port import Leg
from digisom.cbdc.model import (
    BenefitBalance,
    Hold,
    HolderKind,
    Identity,
    MerchantProfile,
    Page,
    ParticipantKind,
    StatementEntry,
    Wallet,
    WalletLimits,
    WalletStatus,
    WalletView,
    page_of,
)
from digisom.cbdc.ports import ScreeningDecision
from digisom.cbdc.tables import ID_CHARS_MAX, TEXT_CHARS_MAX
from digisom.kernel.access import Actor, Role
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.ledger.model import PAGE_LIMIT_MAX, AccountFilter, Transfer, TransferFlags

# Who froze a wallet opened while its holder's screening awaits review.
SCREENING_ACTOR: Final = "system:holder-screening"
# How the hold records of a decided review begin (the rest names the review and both officers).
SCREENING_CLEARED: Final = "sanctions screening review cleared"
SCREENING_CONFIRMED: Final = "sanctions screening review confirmed"
PHONE_PATTERN: Final = re.compile(r"\+996[0-9]{9}")
PIN_PATTERN: Final = re.compile(r"[0-9]{4,6}")
# scrypt cost: about 50 ms per PIN on a server core, hard to brute-force offline.
_SCRYPT_N: Final = 2**14
# Transfer kinds that count as value flowing in from others (a tier-0 AML limit); the
# holder's own top-ups from the linked account do not, nor do refunds of the holder's own payments.
INFLOW_CODES: Final = frozenset(
    {TransferCode.P2P, TransferCode.MERCHANT, TransferCode.REQUEST_TO_PAY, TransferCode.BENEFIT_PAYMENT}
)


# Participants whose wallets are public money: programmes pay only from these.
PUBLIC_BODY_KINDS: Final = frozenset({ParticipantKind.TREASURY, ParticipantKind.MINISTRY})


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of the PIN, as stored."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_SCRYPT_N, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def open_wallet(
    ctx: Context,
    actor: Actor,
    key: str,
    holder_id: str,
    holder_kind: HolderKind,
    tier: int,
    full_name: str,
    phone: str,
    pin: str,
    merchant: MerchantProfile | None,
) -> Wallet:
    """A bank opens a wallet for its customer. Retrying with the same key returns it.
    The holder is screened first (`ctx.screening`): a `hit` refuses (`HolderSanctioned`,
    nothing written); a `review` opens the wallet frozen, with a hold naming the screening."""
    if actor.role is not Role.BANK_OPERATOR or actor.bank_code is None:
        raise Forbidden("only a bank operator opens wallets, for its own bank")
    ctx.policy.tier(tier)
    if (holder_kind is HolderKind.MERCHANT) != (merchant is not None):
        raise InvalidRequest("a merchant wallet needs a merchant profile (name, city, category code); others none")
    if not PHONE_PATTERN.fullmatch(phone):
        raise InvalidRequest("phone must be +996 and nine digits")
    if not PIN_PATTERN.fullmatch(pin):
        raise InvalidRequest("PIN must be 4 to 6 digits")
    participants.require_bank(ctx, actor.bank_code)
    operation = operation_id(actor, key)
    wallet_id = public_id("w", operation)
    with ctx.engine.connect() as conn:
        opened = repository.get_wallet(conn, wallet_id)
    if opened is not None:  # a retry: screened when it opened, not again
        return opened
    # Screened before anything is written: a `hit` leaves no row and no ledger account.
    verdict = ctx.screening.screen_holder(full_name, holder_kind)
    if verdict.decision is ScreeningDecision.HIT:
        raise HolderSanctioned("the holder's name matches a sanctions list; no wallet was opened",
                               screening=verdict.reference)
    status = WalletStatus.FROZEN if verdict.decision is ScreeningDecision.REVIEW else WalletStatus.ACTIVE
    wallet = Wallet(wallet_id, actor.bank_code, holder_id, holder_kind, tier, status, merchant, ctx.now_iso())
    ctx.ledger.ensure_accounts(accounts.wallet_accounts(wallet.id))
    try:
        with ctx.engine.begin() as conn:
            repository.insert_wallet(conn, wallet, operation)
            repository.insert_identity(conn, wallet.id, wallet.bank_code, full_name, phone, hash_pin(pin))
            if status is WalletStatus.FROZEN:  # the hold names the review that may lift it
                reason = f"sanctions screening review: {verdict.reason}"[:TEXT_CHARS_MAX]
                repository.insert_hold(conn, wallet.id, "freeze", reason, verdict.reference[:ID_CHARS_MAX],
                                       SCREENING_ACTOR, wallet.created_at)
    except IntegrityError as error:
        reraise_unless_unique(error)
        with ctx.engine.connect() as conn:
            existing = repository.get_wallet(conn, wallet.id)
        if existing is None:
            raise Conflict("this wallet could not be opened; retry with a new idempotency key") from None
        return existing
    return wallet


def load(ctx: Context, wallet_id: str) -> Wallet:
    """The wallet, or `NotFound`."""
    with ctx.engine.connect() as conn:
        found = repository.get_wallet(conn, wallet_id)
    if found is None:
        raise NotFound(NO_SUCH_WALLET)
    return found


def held_by_public_body(ctx: Context, wallet: Wallet) -> bool:
    """Whether the treasury or a ministry holds `wallet`: its holder kind is `government`
    and its holder is a registered participant of kind treasury or ministry. A bank can
    open a `government` wallet for any holder id; only the central bank's participant
    register says who is a public body."""
    if wallet.holder_kind is not HolderKind.GOVERNMENT:
        return False
    with ctx.engine.connect() as conn:
        holder = repository.get_participant(conn, wallet.holder_id)
    return holder is not None and holder.kind in PUBLIC_BODY_KINDS


def require_usable(wallet: Wallet) -> None:
    """A frozen or closed wallet neither pays nor receives."""
    if wallet.status is WalletStatus.FROZEN:
        raise WalletFrozen(f"wallet {wallet.id} is frozen under a legal order")
    if wallet.status in (WalletStatus.CLOSED, WalletStatus.CLOSING):
        raise WalletClosed(f"wallet {wallet.id} is closed")


def require_within_payment_limit(ctx: Context, payer: Wallet, amount_tyiyn: int) -> None:
    """A payment from `payer` may not exceed its tier's per-payment limit."""
    payment_limit = ctx.policy.tier(payer.tier).payment_limit_tyiyn
    if payment_limit is not None and amount_tyiyn > payment_limit:
        raise LimitExceeded("payment_limit_tyiyn", payment_limit, payment_limit,
                            "the payer's tier allows smaller payments")


def balance_tyiyn(ctx: Context, wallet_id: str) -> int:
    """What the wallet can pay right now."""
    return accounts.available_tyiyn(ctx.ledger.account(accounts.wallet_account_id(wallet_id)))


def month_start_ns(now: datetime) -> int:
    """The first instant of `now`'s calendar month (UTC), in ledger nanoseconds."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(start.timestamp()) * 1_000_000_000


def month_inflow_tyiyn(ctx: Context, wallet_id: str) -> int:
    """Value received from others this calendar month (see `INFLOW_CODES`)."""
    account_id = accounts.wallet_account_id(wallet_id)
    total, after = 0, month_start_ns(ctx.clock())
    while True:
        page = ctx.ledger.transfers(
            AccountFilter(account_id, timestamp_min=after, limit=PAGE_LIMIT_MAX, debits=False, credits=True)
        )
        total += sum(t.amount for t in page if t.code in INFLOW_CODES)
        if len(page) < PAGE_LIMIT_MAX:
            return total
        after = page[-1].timestamp + 1


def holding_room_tyiyn(ctx: Context, wallet: Wallet, held_tyiyn: int) -> int | None:
    """What `wallet` may still take on top of `held_tyiyn` (`accounts.held_tyiyn`: pending
    credits count) under its tier's holding limit; None without one. Every credit and every
    funding asks this one rule."""
    limit = ctx.policy.tier(wallet.tier).balance_limit_tyiyn
    return None if limit is None else max(limit - held_tyiyn, 0)


def limits(ctx: Context, wallet: Wallet, held_tyiyn: int) -> WalletLimits:
    """The wallet's tier limits and the room left under each."""
    tier = ctx.policy.tier(wallet.tier)
    balance_room = holding_room_tyiyn(ctx, wallet, held_tyiyn)
    inflow_room = None
    if tier.monthly_inflow_limit_tyiyn is not None:
        inflow_room = max(tier.monthly_inflow_limit_tyiyn - month_inflow_tyiyn(ctx, wallet.id), 0)
    return WalletLimits(
        tier.balance_limit_tyiyn, balance_room, tier.monthly_inflow_limit_tyiyn, inflow_room, tier.payment_limit_tyiyn
    )


def view(ctx: Context, actor: Actor, wallet_id: str) -> WalletView:
    """A wallet with its balance, linked deposit and limits, if the actor may read it."""
    wallet = load(ctx, wallet_id)
    require_read(actor, wallet)
    found = ctx.ledger.accounts([accounts.wallet_account_id(wallet_id), accounts.deposit_account_id(wallet_id)])
    wallet_account = found[accounts.wallet_account_id(wallet_id)]
    balance = accounts.balance_tyiyn(wallet_account)
    deposit = accounts.balance_tyiyn(found[accounts.deposit_account_id(wallet_id)])
    return WalletView(wallet, balance, deposit, limits(ctx, wallet, accounts.held_tyiyn(wallet_account)),
                      benefit_balances(ctx, wallet_id))


def benefit_balances(ctx: Context, wallet_id: str) -> list[BenefitBalance]:
    """The wallet's benefits, each with its own balance (see `digisom.cbdc.benefits`)."""
    with ctx.engine.connect() as conn:
        schemes = repository.wallet_schemes(conn, wallet_id)
    ids = {s.id: accounts.benefit_account_id(s.id, wallet_id) for s in schemes}
    found = ctx.ledger.accounts(list(ids.values()))
    return [BenefitBalance(s.id, s.name, accounts.balance_tyiyn(found[ids[s.id]]), s.categories, s.expires_on)
            for s in schemes if ids[s.id] in found]


def page(ctx: Context, actor: Actor, after_seq: int, limit: int) -> Page[Wallet]:
    """The wallets the actor may see: all (central bank), its bank's, or its own."""
    bank, holder = None, None
    if actor.role is Role.BANK_OPERATOR:
        bank = actor.bank_code
    elif actor.role is Role.WALLET_HOLDER:
        bank, holder = actor.bank_code, actor.subject
    elif actor.role is not Role.CENTRAL_BANK_OPERATOR:
        raise Forbidden("this role does not list wallets")
    with ctx.engine.connect() as conn:
        rows = repository.list_wallets(conn, after_seq, limit, bank, holder)
    return page_of(rows, limit)


def identity(ctx: Context, actor: Actor, wallet_id: str) -> Identity:
    """The holder's identity: for the wallet's own bank only."""
    wallet = load(ctx, wallet_id)
    require_bank(actor, wallet)
    with ctx.engine.connect() as conn:
        row = repository.get_identity(conn, wallet_id)
    if row is None:
        raise NotFound("no identity for this wallet")
    return Identity(row.wallet_id, row.bank_code, row.full_name, row.phone)


def set_tier(ctx: Context, actor: Actor, wallet_id: str, tier: int) -> Wallet:
    """The bank moves its customer to another KYC tier of the policy."""
    wallet = load(ctx, wallet_id)
    require_bank(actor, wallet)
    ctx.policy.tier(tier)
    require_usable(wallet)
    with ctx.engine.begin() as conn:
        repository.set_wallet_status(conn, wallet_id, wallet.status, tier)
    return load(ctx, wallet_id)


def set_frozen(ctx: Context, actor: Actor, wallet_id: str, frozen: bool, reason: str, legal_order_ref: str) -> Hold:
    """Freeze or unfreeze under a legal order; the reason and the order are recorded."""
    wallet = load(ctx, wallet_id)
    require_legal_authority(actor, wallet)
    before, after = (WalletStatus.ACTIVE, WalletStatus.FROZEN) if frozen else (WalletStatus.FROZEN, WalletStatus.ACTIVE)
    action = "freeze" if frozen else "unfreeze"
    with ctx.locks.hold(wallet_id):
        wallet = load(ctx, wallet_id)
        if wallet.status is not before:
            raise Conflict(f"cannot {action} a wallet that is {wallet.status.value}")
        hold = Hold(wallet_id, action, reason, legal_order_ref, actor.principal, ctx.now_iso())
        with ctx.engine.begin() as conn:
            repository.set_wallet_status(conn, wallet_id, after)
            repository.insert_hold(conn, wallet_id, action, reason, legal_order_ref, actor.principal, hold.created_at)
    return hold


def release_screening_freeze(ctx: Context, screening_ref: str, cleared: bool, decision: str) -> list[str]:
    """A review of a holder's screening is finally decided (two officers, `decision` says who
    and why): each wallet opened frozen on it (a `freeze` by `SCREENING_ACTOR` naming
    `screening_ref`) is unfrozen when cleared, or stays frozen with a `freeze` record naming
    the confirmation. A wallet whose latest hold is no longer that freeze (a bank lifted it,
    a later order froze it) is left as it is. Idempotent: a retry finds the step done.
    Returns one note per wallet."""
    with ctx.engine.connect() as conn:
        frozen = repository.wallets_frozen_by(conn, screening_ref, SCREENING_ACTOR)
    notes = []
    for wallet_id in frozen:
        with ctx.locks.hold(wallet_id), ctx.engine.begin() as conn:
            latest = repository.list_holds(conn, wallet_id)[-1]
            ours = latest.actor == SCREENING_ACTOR and latest.legal_order_ref == screening_ref
            wallet = repository.get_wallet(conn, wallet_id)
            if not ours or wallet is None or wallet.status is not WalletStatus.FROZEN:
                notes.append(f"{wallet_id}: left as it is (its latest hold is not the screening's freeze)")
                continue
            if not cleared and latest.reason.startswith(SCREENING_CONFIRMED):
                notes.append(f"{wallet_id}: stays frozen (confirmed before)")
                continue
            now = ctx.now_iso()
            if cleared:
                repository.set_wallet_status(conn, wallet_id, WalletStatus.ACTIVE)
            reason = f"{SCREENING_CLEARED if cleared else SCREENING_CONFIRMED}: {decision}"[:TEXT_CHARS_MAX]
            repository.insert_hold(conn, wallet_id, "unfreeze" if cleared else "freeze", reason, screening_ref,
                                   SCREENING_ACTOR, now)
            notes.append(f"{wallet_id}: {'unfrozen' if cleared else 'stays frozen'}")
    return notes


def holds(ctx: Context, actor: Actor, wallet_id: str) -> list[Hold]:
    """A wallet's freezes and unfreezes, oldest first."""
    wallet = load(ctx, wallet_id)
    require_legal_authority(actor, wallet)
    with ctx.engine.connect() as conn:
        rows = repository.list_holds(conn, wallet_id)
    return [Hold(r.wallet_id, r.action, r.reason, r.legal_order_ref, r.actor, r.created_at) for r in rows]


def credit_deposit(ctx: Context, actor: Actor, wallet_id: str, amount_tyiyn: int, key: str) -> WalletView:
    """The bank mirrors money arriving on the holder's linked bank account."""
    wallet = load(ctx, wallet_id)
    require_bank(actor, wallet)
    require_usable(wallet)
    funding = accounts.bank_account_id(wallet.bank_code, AccountCode.DEPOSIT_FUNDING)
    leg = Leg("deposit-credit", funding, accounts.deposit_account_id(wallet_id), amount_tyiyn,
              TransferCode.DEPOSIT_CREDIT, "bank deposit funding")
    ctx.ledger.submit(operation_id(actor, key), [leg])
    return view(ctx, actor, wallet_id)


def fund(ctx: Context, actor: Actor, wallet_id: str, amount_tyiyn: int, key: str) -> WalletView:
    """Load the wallet from its linked bank account, within the holding limit."""
    wallet = load(ctx, wallet_id)
    require_operate(actor, wallet)
    require_usable(wallet)
    with ctx.locks.hold(wallet_id):
        wallet = load(ctx, wallet_id)  # again, under the lock: a freeze may just have landed
        require_usable(wallet)
        held = accounts.held_tyiyn(ctx.ledger.account(accounts.wallet_account_id(wallet_id)))
        limit = ctx.policy.tier(wallet.tier).balance_limit_tyiyn
        room = holding_room_tyiyn(ctx, wallet, held)
        if limit is not None and room is not None and amount_tyiyn > room:
            raise LimitExceeded("balance_limit_tyiyn", limit, room,
                                "funding would take the wallet over its holding limit")
        ctx.ledger.submit(operation_id(actor, key), funding_legs(wallet, amount_tyiyn, TransferCode.FUNDING))
    return view(ctx, actor, wallet_id)


def funding_legs(wallet: Wallet, amount_tyiyn: int, code: TransferCode) -> list[Leg]:
    """Commercial-bank money out of the linked account, digital som out of the bank's
    float into the wallet: the legs of funding and of the reverse waterfall."""
    bank = wallet.bank_code
    return [
        Leg(f"{code.name.lower()}-deposit", accounts.deposit_account_id(wallet.id),
            accounts.bank_account_id(bank, AccountCode.DEPOSIT_FUNDING), amount_tyiyn, code, "linked bank account"),
        Leg(f"{code.name.lower()}-float", accounts.bank_account_id(bank, AccountCode.BANK_FLOAT),
            accounts.wallet_account_id(wallet.id), amount_tyiyn, code, "bank float"),
    ]


def defunding_legs(source_account_id: int, source_label: str, payee: Wallet, amount_tyiyn: int, code: int,
                   name: str = "") -> list[Leg]:
    """Digital som into the payee bank's float, commercial-bank money into the payee's
    linked account: the legs of the waterfall and of closing a wallet, named `name`
    (by default the code's name) with `-float` and `-deposit`."""
    bank = payee.bank_code
    name = name or TransferCode(code).name.lower()
    return [
        Leg(f"{name}-float", source_account_id, accounts.bank_account_id(bank, AccountCode.BANK_FLOAT),
            amount_tyiyn, code, source_label),
        Leg(f"{name}-deposit", accounts.bank_account_id(bank, AccountCode.DEPOSIT_FUNDING),
            accounts.deposit_account_id(payee.id), amount_tyiyn, code, "bank deposit funding"),
    ]


def close(ctx: Context, actor: Actor, wallet_id: str, key: str) -> WalletView:
    """Close the wallet: sweep its balance to the linked bank account and close its
    ledger account with a closing transfer, all in one linked chain."""
    wallet = load(ctx, wallet_id)
    require_bank(actor, wallet)
    with ctx.locks.hold(wallet_id):
        wallet = load(ctx, wallet_id)
        if wallet.status is WalletStatus.CLOSED:
            return view(ctx, actor, wallet_id)
        if wallet.status is WalletStatus.FROZEN:
            raise WalletFrozen("a frozen wallet cannot be closed; unfreeze it first")
        with ctx.engine.begin() as conn:
            repository.set_wallet_status(conn, wallet_id, WalletStatus.CLOSING)
        wallet_account = accounts.wallet_account_id(wallet_id)
        balance = balance_tyiyn(ctx, wallet_id)
        legs = defunding_legs(wallet_account, "wallet", wallet, balance, TransferCode.CLOSE_SWEEP) if balance else []
        float_id = accounts.bank_account_id(wallet.bank_code, AccountCode.BANK_FLOAT)
        legs.append(Leg("close", wallet_account, float_id, 0, TransferCode.CLOSE, "wallet",
                        int(TransferFlags.PENDING | TransferFlags.CLOSING_DEBIT)))
        try:
            ctx.ledger.submit(operation_id(actor, key), legs)
        except WalletClosed:
            pass  # an earlier attempt closed the ledger account and crashed before the row said so
        except Exception:
            with ctx.engine.begin() as conn:
                repository.set_wallet_status(conn, wallet_id, WalletStatus.ACTIVE)
            raise
        with ctx.engine.begin() as conn:
            repository.set_wallet_status(conn, wallet_id, WalletStatus.CLOSED)
    return view(ctx, actor, wallet_id)


def statement(ctx: Context, actor: Actor, wallet_id: str, after_ns: int, limit: int) -> Page[StatementEntry]:
    """A page of the wallet's ledger transfers, oldest first, after timestamp `after_ns`:
    those of the wallet's own account and of its benefit accounts (each entry names its benefit)."""
    wallet = load(ctx, wallet_id)
    require_read(actor, wallet)
    with ctx.engine.connect() as conn:
        schemes = repository.wallet_schemes(conn, wallet_id)
    # account id -> the benefit it holds (None: the wallet's own account)
    sources: dict[int, str | None] = {accounts.wallet_account_id(wallet_id): None}
    sources.update({accounts.benefit_account_id(s.id, wallet_id): s.id for s in schemes})
    rows: list[tuple[int, Transfer]] = []
    for account_id in sources:
        found = ctx.ledger.transfers(AccountFilter(account_id, timestamp_min=after_ns + 1, limit=limit))
        rows += [(account_id, t) for t in found]
    # Each account's page is its first `limit` after the cursor, so the first `limit` of the merge are exact.
    rows = sorted(rows, key=lambda row: row[1].timestamp)[:limit]
    entries = [
        StatementEntry(
            f"{t.id:032x}", t.timestamp, _kind(t.code), "credit" if t.credit_account_id == account_id else "debit",
            t.amount, sources[account_id],
        )
        for account_id, t in rows
    ]
    return Page(entries, rows[-1][1].timestamp if len(rows) == limit else None)


def _kind(code: int) -> str:
    try:
        return TransferCode(code).name.lower()
    except ValueError:
        return str(code)
