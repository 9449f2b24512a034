"""Credits into a wallet: the one place that decides how any credit lands in a wallet,
whoever sends it (a payment's payee side, a government disbursement, an offline payout,
a KGST redemption).

- A frozen, closed (or closing) or unknown wallet receives nothing: a typed refusal
  (`CreditRefusal`), and the caller keeps the money where it is.
- A wallet with a holding limit takes what fits under it; the rest goes on as
  commercial-bank money to the holder's linked bank deposit (the waterfall): digital som
  into the holder bank's float, and from the bank's deposit funding to the deposit.
- A benefit account (purpose-bound money) has no holding limit and no waterfall.

The caller holds the wallets' locks (`ctx.locks.hold`, shared by every API process) from
the plan until the ledger answered, so two credits never both use the same room and a
freeze (`wallets.set_frozen` takes the same lock) lands before or after, never between.
Other domains reach this through their ports, wired in `digisom.api`; each passes its own
transfer codes (the chart of accounts gives each domain its own waterfall code).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from digisom.cbdc import accounts, repository, wallets
from digisom.cbdc.context import Context
from digisom.cbdc.errors import WalletClosed, WalletFrozen
from digisom.cbdc.ledger_port import Leg
from digisom.cbdc.model import Wallet


class CreditRefusal(StrEnum):
    """Why a wallet may not be credited now. Values are stable (reports, APIs)."""

    NOT_FOUND = "wallet_not_found"
    FROZEN = "wallet_frozen"
    CLOSED = "wallet_closed"


@dataclass(frozen=True, slots=True)
class CreditRequest:
    """Credit `amount_tyiyn` to `wallet_id` from `debit_account_id`, posted under `code`
    (the waterfall's part under `waterfall_code`). With `benefit_scheme_id`, the wallet's
    account of that benefit is credited instead: no holding limit, no waterfall."""

    wallet_id: str
    amount_tyiyn: int
    debit_account_id: int
    debit_label: str
    code: int
    waterfall_code: int
    benefit_scheme_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreditPlan:
    """The legs that credit one request, in order (one linked chain): the wallet's leg
    first when anything fits, then the waterfall's two legs."""

    legs: tuple[Leg, ...]
    to_wallet_tyiyn: int
    waterfall_tyiyn: int


def refusal(wallet: Wallet | None) -> CreditRefusal | None:
    """Why `wallet` may not receive now, or None if it may (which statuses receive is
    `wallets.require_usable`'s rule, the one payments apply)."""
    if wallet is None:
        return CreditRefusal.NOT_FOUND
    try:
        wallets.require_usable(wallet)
    except WalletFrozen:
        return CreditRefusal.FROZEN
    except WalletClosed:
        return CreditRefusal.CLOSED
    return None


def credit_legs(payee: Wallet, amount_tyiyn: int, room: int | None, debit_account_id: int, debit_label: str,
                code: int, waterfall_code: int, credit_account_id: int | None = None) -> CreditPlan:
    """The legs of one credit given the wallet's `room` (None: unlimited). The wallet's
    leg is named `payment`, the waterfall's `waterfall-float` and `waterfall-deposit`
    (the digital som's payments derive their transfer ids from these names)."""
    to_wallet = amount_tyiyn if room is None else min(amount_tyiyn, room)
    waterfall = amount_tyiyn - to_wallet
    target = credit_account_id if credit_account_id is not None else accounts.wallet_account_id(payee.id)
    legs: list[Leg] = []
    if to_wallet:
        legs.append(Leg("payment", debit_account_id, target, to_wallet, code, debit_label))
    if waterfall:
        legs += wallets.defunding_legs(debit_account_id, debit_label, payee, waterfall, waterfall_code, "waterfall")
    return CreditPlan(tuple(legs), to_wallet, waterfall)


def load_many(ctx: Context, wallet_ids: Sequence[str]) -> dict[str, Wallet]:
    """The existing wallets among `wallet_ids`, in one query."""
    if not wallet_ids:
        return {}
    with ctx.engine.connect() as conn:
        return repository.get_wallets(conn, sorted(set(wallet_ids)))


def plan_credits(ctx: Context, requests: Sequence[CreditRequest]) -> list[CreditPlan | CreditRefusal]:
    """One plan or refusal per request, in order: one query for the wallets, one ledger
    lookup for their balances, whatever the number of requests. Several credits to one
    wallet share its room in request order. Call it holding the wallets' locks (`held`)
    and keep them until the ledger answered."""
    found = load_many(ctx, [r.wallet_id for r in requests])
    limited = [w for w in found.values() if ctx.policy.tier(w.tier).balance_limit_tyiyn is not None]
    balances = ctx.ledger.accounts([accounts.wallet_account_id(w.id) for w in limited]) if limited else {}
    running = {w.id: accounts.held_tyiyn(a) for w in limited
               if (a := balances.get(accounts.wallet_account_id(w.id))) is not None}
    plans: list[CreditPlan | CreditRefusal] = []
    for request in requests:
        wallet = found.get(request.wallet_id)
        refused = refusal(wallet)
        if refused is not None or wallet is None:
            plans.append(refused or CreditRefusal.NOT_FOUND)
            continue
        if request.benefit_scheme_id is not None:
            target = accounts.benefit_account_id(request.benefit_scheme_id, wallet.id)
            plans.append(credit_legs(wallet, request.amount_tyiyn, None, request.debit_account_id,
                                     request.debit_label, request.code, request.waterfall_code, target))
            continue
        held = running.get(wallet.id, 0)
        room = wallets.holding_room_tyiyn(ctx, wallet, held)
        plan = credit_legs(wallet, request.amount_tyiyn, room, request.debit_account_id, request.debit_label,
                           request.code, request.waterfall_code)
        running[wallet.id] = held + plan.to_wallet_tyiyn
        plans.append(plan)
    return plans


def recipient_wallets(ctx: Context, payees: Sequence[tuple[str, int]], benefit_scheme_id: str | None
                      ) -> dict[str, str]:
    """For (personal number, ledger account) pairs resolved earlier: the wallet each still
    names, whatever the wallet's state (a frozen wallet is found, to be refused by name).
    The account must be a wallet registered under that number (or its account of
    `benefit_scheme_id`); a number absent from the answer no longer names that account.
    One query for up to `aliases.RESOLVE_MAX` numbers."""
    wanted = dict(payees)
    if not wanted:
        return {}
    with ctx.engine.connect() as conn:
        rows = repository.resolve_aliases(conn, sorted(wanted))
    found: dict[str, str] = {}
    for alias, _status in rows:
        if alias.wallet_id is None:
            continue
        account = (accounts.benefit_account_id(benefit_scheme_id, alias.wallet_id) if benefit_scheme_id
                   else accounts.wallet_account_id(alias.wallet_id))
        if wanted.get(alias.personal_number) == account:
            found[alias.personal_number] = alias.wallet_id
    return found


@contextmanager
def held(ctx: Context, wallet_ids: Sequence[str]) -> Iterator[None]:
    """Hold the locks of `wallet_ids` (all in one go, so holders never deadlock)."""
    with ctx.locks.hold(*wallet_ids):
        yield
