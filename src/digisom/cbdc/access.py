"""Who may do what to whose wallet: roles and the scope rules the domain enforces.

The API decides which roles may call an operation at all (its permission matrix);
these rules decide, for an allowed role, which wallets and banks are its own.
"""

from __future__ import annotations

from typing import NoReturn

from digisom.cbdc.errors import NO_SUCH_WALLET, Forbidden, NotFound
from digisom.cbdc.model import Wallet
from digisom.kernel.access import Actor, Role

# One message for every scope refusal of a wallet the caller may read (it knows the wallet exists).
_NOT_YOURS = "this token does not give access to that resource"


def can_read_wallet(actor: Actor, wallet: Wallet) -> bool:
    """The central bank sees every (pseudonymous) wallet; a bank its own; a holder theirs."""
    if actor.role is Role.CENTRAL_BANK_OPERATOR:
        return True
    return can_operate_wallet(actor, wallet)


def can_operate_wallet(actor: Actor, wallet: Wallet) -> bool:
    """Pay from, fund, or refund from: the wallet's bank or its holder."""
    if actor.role is Role.BANK_OPERATOR:
        return actor.bank_code == wallet.bank_code
    if actor.role is Role.WALLET_HOLDER:
        return actor.bank_code == wallet.bank_code and actor.subject == wallet.holder_id
    return False


def refuse(actor: Actor, wallet: Wallet) -> NoReturn:
    """The refusal of `actor` on `wallet`: to a caller who may not even read the wallet
    (another bank, another holder) it is the very `NotFound` of a wallet that does not
    exist, so no answer tells a bank that a wallet exists elsewhere; a caller who may
    read it (the central bank) already knows, and gets `Forbidden`."""
    if can_read_wallet(actor, wallet):
        raise Forbidden(_NOT_YOURS)
    raise NotFound(NO_SUCH_WALLET)


def require_read(actor: Actor, wallet: Wallet) -> None:
    """Refused (see `refuse`) unless the actor may read the wallet."""
    if not can_read_wallet(actor, wallet):
        refuse(actor, wallet)


def require_operate(actor: Actor, wallet: Wallet) -> None:
    """Refused (see `refuse`) unless the actor may move the wallet's value."""
    if not can_operate_wallet(actor, wallet):
        refuse(actor, wallet)


def require_bank(actor: Actor, wallet: Wallet) -> None:
    """Refused (see `refuse`) unless the actor is an operator of the wallet's bank."""
    if actor.role is not Role.BANK_OPERATOR or actor.bank_code != wallet.bank_code:
        refuse(actor, wallet)


def require_legal_authority(actor: Actor, wallet: Wallet) -> None:
    """Freezing needs a legal order: the central bank, or the wallet's own bank, may apply one."""
    if actor.role is Role.CENTRAL_BANK_OPERATOR:
        return
    require_bank(actor, wallet)


def require_bank_code(actor: Actor, bank_code: str) -> None:
    """Issuance and redemption: the central bank for any bank, a bank operator for its own."""
    if actor.role is Role.CENTRAL_BANK_OPERATOR:
        return
    if actor.role is not Role.BANK_OPERATOR or actor.bank_code != bank_code:
        raise Forbidden(_NOT_YOURS)
