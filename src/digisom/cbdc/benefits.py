"""Purpose-bound benefits: digital som the treasury pays that can be spent only at
merchants of given categories (MCCs) until a date, after which the unspent part returns
to the treasury (e.g. a school-supplies grant).

A treasury operator creates a scheme. Each (wallet, scheme) gets its own ledger account
(`AccountCode.BENEFIT`): the disbursement domain credits it, a merchant payment from the
benefit debits it, and after the scheme's last day the expiry sweep moves what is left to
the scheme's treasury wallet and closes the account. The balance is digital som in
circulation, shown apart from the wallet's own balance, and does not count toward the
wallet's holding limit.

Days are Asia/Bishkek days (UTC+6 all year): a scheme expiring on 2026-09-30 is
spendable until 2026-09-30 23:59:59 in Bishkek, which is 17:59:59 UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta, timezone
from typing import Final

from sqlalchemy.exc import IntegrityError

from digisom.cbdc import accounts, repository, wallets
from digisom.cbdc.accounts import AccountCode, TransferCode
from digisom.cbdc.context import Context
from digisom.cbdc.errors import (
    BenefitExpired,
    BenefitNotExpired,
    Forbidden,
    InvalidRequest,
    MerchantCategoryNotAllowed,
    NotFound,
)
from digisom.cbdc.ids import operation_id, public_id
from digisom.cbdc.ledger_port import Leg
from digisom.cbdc.model import BenefitExpiry, BenefitScheme, HolderKind, Wallet, WalletStatus
from digisom.cbdc.tables import BENEFIT_CATEGORIES_MAX, TEXT_CHARS_MAX
from digisom.kernel.access import Actor, Role
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.ledger.model import AMOUNT_MAX, BATCH_EVENTS_MAX, TransferFlags

# Kyrgyzstan keeps UTC+6 all year (no daylight saving since 2005); a fixed offset needs no tz database.
BISHKEK: Final = timezone(timedelta(hours=6), "Asia/Bishkek")
MCC_PATTERN: Final = re.compile(r"[0-9]{4}")
# Wallets per `account_ids` call: one ledger batch of accounts.
ACCOUNTS_PER_CALL_MAX: Final = BATCH_EVENTS_MAX
# The sweep of one account is two linked legs: the balance out, then the account closed.
_SWEEP_LEGS: Final = 2
SWEEP_ACCOUNTS_PER_BATCH: Final = BATCH_EVENTS_MAX // _SWEEP_LEGS


def today(ctx: Context) -> date:
    """The current day in Bishkek."""
    return ctx.clock().astimezone(BISHKEK).date()


def is_expired(ctx: Context, scheme: BenefitScheme) -> bool:
    """True once the scheme's last day has passed in Bishkek."""
    return today(ctx) > date.fromisoformat(scheme.expires_on)


def create(ctx: Context, actor: Actor, key: str, name: str, categories: Sequence[str], expires_on: date,
           treasury_wallet_id: str) -> BenefitScheme:
    """A treasury operator creates a scheme. The same key again returns it; the same key
    with other terms is refused."""
    if actor.role is not Role.TREASURY_OPERATOR:
        raise Forbidden("only a treasury operator creates benefit schemes")
    if not 0 < len(name) <= TEXT_CHARS_MAX:
        raise InvalidRequest(f"name needs 1..{TEXT_CHARS_MAX} characters")
    codes = tuple(sorted(set(categories)))
    if not 0 < len(codes) <= BENEFIT_CATEGORIES_MAX or not all(MCC_PATTERN.fullmatch(c) for c in codes):
        raise InvalidRequest(f"categories: 1..{BENEFIT_CATEGORIES_MAX} merchant category codes of four digits")
    if expires_on < today(ctx):
        raise InvalidRequest(f"expires_on {expires_on.isoformat()} is already past in Bishkek")
    treasury = wallets.load(ctx, treasury_wallet_id)
    if treasury.holder_kind is not HolderKind.GOVERNMENT:
        raise InvalidRequest("the unspent part returns to a government wallet: name the treasury's")
    wallets.require_usable(treasury)
    operation = operation_id(actor, key)
    scheme = BenefitScheme(public_id("b", operation), name, codes, expires_on.isoformat(), treasury.id,
                           actor.principal, ctx.now_iso())
    try:
        with ctx.engine.begin() as conn:
            repository.insert_scheme(conn, scheme, operation)
    except IntegrityError as error:
        reraise_unless_unique(error)
        existing = load(ctx, scheme.id)
        if (existing.name, existing.categories, existing.expires_on, existing.treasury_wallet_id) != (
            scheme.name, scheme.categories, scheme.expires_on, scheme.treasury_wallet_id
        ):
            raise InvalidRequest("this idempotency key was used for another scheme") from None
        return existing
    return scheme


def load(ctx: Context, scheme_id: str) -> BenefitScheme:
    """The scheme, or `NotFound`."""
    with ctx.engine.connect() as conn:
        found = repository.get_scheme(conn, scheme_id)
    if found is None:
        raise NotFound(f"no benefit scheme {scheme_id!r}")
    return found


def require_unexpired(ctx: Context, scheme: BenefitScheme) -> None:
    """`BenefitExpired` after the scheme's last day."""
    if is_expired(ctx, scheme):
        raise BenefitExpired(f"benefit scheme {scheme.id} ({scheme.name}) expired after {scheme.expires_on}",
                             scheme_id=scheme.id, expires_on=scheme.expires_on)


def require_spendable(ctx: Context, scheme: BenefitScheme, payee: Wallet) -> None:
    """A benefit pays a merchant of one of the scheme's categories, before it expires."""
    require_unexpired(ctx, scheme)
    allowed = ", ".join(scheme.categories)
    if payee.holder_kind is not HolderKind.MERCHANT or payee.merchant is None:
        raise MerchantCategoryNotAllowed(
            f"benefit scheme {scheme.id} ({scheme.name}) pays only merchants of categories {allowed}; "
            "the payee is not a merchant", scheme_id=scheme.id, allowed_categories=allowed)
    if payee.merchant.mcc not in scheme.categories:
        raise MerchantCategoryNotAllowed(
            f"merchant category {payee.merchant.mcc} is not one of benefit scheme {scheme.id} ({scheme.name}): "
            f"{allowed}", scheme_id=scheme.id, merchant_category=payee.merchant.mcc, allowed_categories=allowed)


def account_ids(ctx: Context, scheme_id: str, wallet_ids: Sequence[str]) -> dict[str, int]:
    """Trusted (the treasury's disbursement wiring): the scheme's ledger account of each
    active wallet among `wallet_ids`, created if new (idempotent). Unknown, frozen and
    closed wallets are absent, as in alias resolution."""
    if len(wallet_ids) > ACCOUNTS_PER_CALL_MAX:
        raise InvalidRequest(f"at most {ACCOUNTS_PER_CALL_MAX} wallets per call, not {len(wallet_ids)}")
    scheme = load(ctx, scheme_id)
    require_unexpired(ctx, scheme)
    wanted = sorted(set(wallet_ids))
    if not wanted:
        return {}
    with ctx.engine.connect() as conn:
        statuses = repository.wallet_statuses(conn, wanted)
        known = repository.benefit_wallets(conn, scheme_id, wanted)
    active = [w for w in wanted if statuses.get(w) == WalletStatus.ACTIVE.value]
    new = [w for w in active if w not in known]
    if new:
        # Ledger accounts first (idempotent), then the rows the sweep walks: an id is handed
        # out only once its row exists, so the sweep never misses a credited account.
        ctx.ledger.ensure_accounts([accounts.account(accounts.benefit_account_id(scheme_id, w), AccountCode.BENEFIT)
                                    for w in new])
        with ctx.engine.begin() as conn:
            repository.insert_benefit_accounts(conn, scheme_id, new, ctx.now_iso())
    return {w: accounts.benefit_account_id(scheme_id, w) for w in active}


def sweep_legs(scheme: BenefitScheme, wallet_id: str) -> tuple[str, list[Leg]]:
    """The chain that returns one account's unspent benefit to the treasury and closes the
    account. Its ids derive from the scheme and the wallet alone, so a retry by anyone names
    the same transfers; the balancing debit moves whatever is left (possibly nothing)."""
    source = accounts.benefit_account_id(scheme.id, wallet_id)
    treasury = accounts.wallet_account_id(scheme.treasury_wallet_id)
    return f"benefit-expiry|{scheme.id}|{wallet_id}", [
        Leg("sweep", source, treasury, AMOUNT_MAX, TransferCode.BENEFIT_EXPIRY, "benefit balance",
            int(TransferFlags.BALANCING_DEBIT)),
        Leg("close", source, treasury, 0, TransferCode.BENEFIT_CLOSE, "benefit balance",
            int(TransferFlags.PENDING | TransferFlags.CLOSING_DEBIT)),
    ]


def expire(ctx: Context, actor: Actor, scheme_id: str, batch_accounts: int = SWEEP_ACCOUNTS_PER_BATCH
           ) -> BenefitExpiry:
    """Return every unspent benefit of an expired scheme to its treasury wallet, in ledger
    batches. Resumable and idempotent: a retry resubmits the same transfer ids, the ledger
    answers `exists`, and the totals are read back from the ledger, so nothing moves twice
    and the answer is the same every time."""
    if actor.role is not Role.TREASURY_OPERATOR:
        raise Forbidden("only a treasury operator returns expired benefits")
    if not 0 < batch_accounts <= SWEEP_ACCOUNTS_PER_BATCH:
        raise InvalidRequest(f"batch_accounts must be 1..{SWEEP_ACCOUNTS_PER_BATCH}")
    scheme = load(ctx, scheme_id)
    if not is_expired(ctx, scheme):
        raise BenefitNotExpired(f"benefit scheme {scheme.id} is spendable through {scheme.expires_on} (Bishkek); "
                                "its unspent part returns after that day", expires_on=scheme.expires_on)
    swept = with_balance = returned = 0
    after = 0
    while True:
        with ctx.engine.connect() as conn:
            page = repository.scheme_wallets(conn, scheme.id, after, batch_accounts)
        if not page:
            return BenefitExpiry(scheme.id, swept, with_balance, returned)
        chains = [sweep_legs(scheme, wallet_id) for _, wallet_id in page]
        for error in ctx.ledger.submit_chains(chains):
            if error is not None:
                raise error
        ids = [accounts.transfer_id(operation, "sweep") for operation, _ in chains]
        moved = ctx.ledger.transfers_by_id(ids)
        amounts = [moved[i].amount for i in ids]
        swept += len(page)
        with_balance += sum(1 for a in amounts if a)
        returned += sum(amounts)
        after = page[-1][0]
