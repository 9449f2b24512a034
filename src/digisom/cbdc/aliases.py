"""The banks' alias directory: a person's 14-digit personal number -> where the
treasury pays them (a wallet at the bank, or the customer's account at the bank).

Registrations are per bank and number (UNIQUE on both): each bank registers, replaces,
removes and reads only its own, and its answers never depend on other banks' rows, so
registering a number another bank holds is answered exactly like a fresh one (a bank
never learns that a person is another bank's customer). The central bank reads none (it
sees wallets pseudonymously, and a personal number names a person).

Only the treasury's disbursement wiring resolves numbers, through `resolve`: a number
with several registrations is paid to the earliest registered one that can receive
(earliest `created_at`, then row order; replacing a destination keeps its place).

An alias to a wallet that is frozen, closing or closed cannot receive: it is skipped,
and a number with no registration that can receive resolves to nothing, so the answer
does not tell the treasury that a legal order exists (docs/benefits.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from sqlalchemy.exc import IntegrityError

from digisom.cbdc import accounts, participants, repository, wallets
from digisom.cbdc.access import require_bank
from digisom.cbdc.accounts import AccountCode
from digisom.cbdc.context import Context
from digisom.cbdc.errors import Conflict, Forbidden, InvalidRequest, NotFound, WalletClosed
from digisom.cbdc.model import Alias, AliasChannel, AliasTarget, HolderKind, WalletStatus
from digisom.cbdc.tables import BANK_ACCOUNT_CHARS_MAX, PERSONAL_NUMBER_DIGITS
from digisom.kernel.access import Actor, Role
from digisom.kernel.db_errors import reraise_unless_unique

PERSONAL_NUMBER_PATTERN: Final = re.compile(rf"[0-9]{{{PERSONAL_NUMBER_DIGITS}}}")
BANK_ACCOUNT_PATTERN: Final = re.compile(rf"[A-Z0-9]{{1,{BANK_ACCOUNT_CHARS_MAX}}}")
# Personal numbers per `resolve` call: one ledger batch's worth of payees.
RESOLVE_MAX: Final = 8190


def _require_bank_operator(actor: Actor) -> str:
    if actor.role is not Role.BANK_OPERATOR or actor.bank_code is None:
        raise Forbidden("only a bank operator keeps aliases, for its own customers")
    return actor.bank_code


def _check_number(personal_number: str) -> None:
    if not PERSONAL_NUMBER_PATTERN.fullmatch(personal_number):
        raise InvalidRequest(f"a personal number is {PERSONAL_NUMBER_DIGITS} digits")


def register(ctx: Context, actor: Actor, personal_number: str, wallet_id: str | None, bank_account: str | None
             ) -> Alias:
    """Register or replace the alias of one of the bank's customers. The same request
    again changes nothing and returns the alias. Other banks' registrations of the number
    play no part (see the module's docstring)."""
    bank_code = _require_bank_operator(actor)
    _check_number(personal_number)
    if (wallet_id is None) == (bank_account is None):
        raise InvalidRequest("give exactly one destination: wallet_id or bank_account")
    if bank_account is not None and not BANK_ACCOUNT_PATTERN.fullmatch(bank_account):
        raise InvalidRequest(f"bank_account is 1..{BANK_ACCOUNT_CHARS_MAX} characters A-Z and 0-9")
    participants.require_bank(ctx, bank_code)
    if wallet_id is not None:
        wallet = wallets.load(ctx, wallet_id)
        require_bank(actor, wallet)
        if wallet.status in (WalletStatus.CLOSING, WalletStatus.CLOSED):
            raise WalletClosed(f"wallet {wallet.id} is closed")
        if wallet.holder_kind is HolderKind.GOVERNMENT:
            raise InvalidRequest("a personal number cannot point to a public body's wallet")
    now = ctx.now_iso()
    wanted = Alias(personal_number, bank_code, wallet_id, bank_account, now, now)
    try:
        with ctx.engine.begin() as conn:
            existing = repository.get_alias(conn, personal_number, bank_code)
            if existing is None:
                repository.insert_alias(conn, wanted)
                return wanted
            if (existing.wallet_id, existing.bank_account) == (wallet_id, bank_account):
                return existing
            replaced = Alias(personal_number, bank_code, wallet_id, bank_account, existing.created_at, now)
            repository.update_alias(conn, replaced)
            return replaced
    except IntegrityError as error:
        reraise_unless_unique(error)
        # A concurrent registration of the same number by this same bank won the insert.
        with ctx.engine.connect() as conn:
            existing = repository.get_alias(conn, personal_number, bank_code)
        if existing is not None and (existing.wallet_id, existing.bank_account) == (wallet_id, bank_account):
            return existing
        raise Conflict("this bank registered the number concurrently with another destination; retry") from None


def remove(ctx: Context, actor: Actor, personal_number: str) -> None:
    """Remove the bank's alias of `personal_number`. Afterwards the bank holds none;
    removing again, or a number the bank never held, is the same success (it reveals
    nothing about other banks' aliases)."""
    bank_code = _require_bank_operator(actor)
    _check_number(personal_number)
    with ctx.engine.begin() as conn:
        repository.delete_alias(conn, personal_number, bank_code)


def get(ctx: Context, actor: Actor, personal_number: str) -> Alias:
    """The bank's own alias of `personal_number`; another bank's is `NotFound` like an absent one."""
    bank_code = _require_bank_operator(actor)
    _check_number(personal_number)
    with ctx.engine.connect() as conn:
        found = repository.get_alias(conn, personal_number, bank_code)
    if found is None:
        raise NotFound("no alias of this bank for that personal number")
    return found


def resolve(ctx: Context, personal_numbers: Sequence[str]) -> dict[str, AliasTarget]:
    """Trusted (no actor: the entry point's treasury wiring calls it). Where each known
    number is paid, in one query: its earliest registration that can receive (a bank
    account, or an active wallet). Unknown numbers, malformed ones, and numbers whose
    every registration is to a frozen or closed wallet are absent from the answer."""
    if len(personal_numbers) > RESOLVE_MAX:
        raise InvalidRequest(f"at most {RESOLVE_MAX} personal numbers per call, not {len(personal_numbers)}")
    wanted = sorted({n for n in personal_numbers if PERSONAL_NUMBER_PATTERN.fullmatch(n)})
    if not wanted:
        return {}
    with ctx.engine.connect() as conn:
        rows = repository.resolve_aliases(conn, wanted)
    found: dict[str, AliasTarget] = {}
    for alias, wallet_status in rows:  # earliest registered first
        if alias.personal_number in found:
            continue
        if alias.wallet_id is not None:
            if wallet_status != WalletStatus.ACTIVE.value:
                continue
            found[alias.personal_number] = AliasTarget(
                AliasChannel.WALLET.value, accounts.wallet_account_id(alias.wallet_id), alias.bank_code,
                alias.wallet_id, None,
            )
        else:
            found[alias.personal_number] = AliasTarget(
                AliasChannel.BANK_ACCOUNT.value, accounts.bank_account_id(alias.bank_code, AccountCode.BANK_FLOAT),
                alias.bank_code, None, alias.bank_account,
            )
    return found
