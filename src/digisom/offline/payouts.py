"""A run's credits to wallets as ledger chains: each paid payment and each return of
unspent value is a credit that obeys the digital som's rule for every credit (the
`WalletDirectory` plans it: frozen or closed wallets receive nothing, the excess over a
holding limit goes to the holder's linked deposit under `OFFLINE_WATERFALL`).

Per paid payment, one linked chain, so it is paid in full or not at all:
- reserve part: device reserve -> payee wallet (`OFFLINE_PAYOUT`), the excess
  device reserve -> the payee bank's float, and deposit funding -> linked deposit;
- guarantee part: bank float -> bank guarantee account (`OFFLINE_GUARANTEE_ADVANCE`),
  then guarantee account -> payee wallet (`OFFLINE_GUARANTEE_PAYOUT`), the excess as above.
Returning unspent value: device reserve -> wallet (`OFFLINE_DEFUNDING`), the excess as above.

Every id is derived from the payment (payer key id, counter, payment hash) or from the
run and the leg's name, so posting a chain again makes the ledger answer `exists`. The
split depends on the wallet's balance when posted, so a run posted again (after a crash,
or an operator's retry) first drops the chains the ledger already has (`chain_ids`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.credit_plans import WALLET_LEG, CreditLeg
from digisom.ledger.model import Transfer, TransferFlags
from digisom.offline.accounts import (
    OfflineTransferCode,
    derive_id,
    guarantee_account_id,
    payment_transfer_id,
    reserve_account_id,
)
from digisom.offline.ports import WalletCredit
from digisom.offline.posting import PaidPayment
from digisom.offline.settlement import Verdict

_LINKED: Final = int(TransferFlags.LINKED)
_WATERFALL: Final = int(OfflineTransferCode.OFFLINE_WATERFALL)
RESERVE: Final = Verdict.RESERVE.value
GUARANTEE: Final = Verdict.GUARANTEE.value
_ADVANCE: Final = "advance"
_DEFUND: Final = "defund"

Part = tuple[str, WalletCredit]  # (reserve | guarantee | defund, the credit)


def payment_parts(paid: PaidPayment, wallet_id: str, payer_bank: str) -> list[Part]:
    """The credits that pay one payment: its reserve part, then its guarantee part."""
    parts: list[Part] = []
    if paid.reserve_tyiyn:
        parts.append((RESERVE, WalletCredit(wallet_id, paid.reserve_tyiyn, reserve_account_id(paid.payer_key_id),
                                            int(OfflineTransferCode.OFFLINE_PAYOUT), _WATERFALL)))
    if paid.guarantee_tyiyn:
        parts.append((GUARANTEE, WalletCredit(wallet_id, paid.guarantee_tyiyn, guarantee_account_id(payer_bank),
                                              int(OfflineTransferCode.OFFLINE_GUARANTEE_PAYOUT), _WATERFALL)))
    return parts


def defund_part(device_key_id: bytes, wallet_id: str, amount_tyiyn: int) -> Part:
    """Unspent offline value back from the device's reserve to its wallet."""
    return _DEFUND, WalletCredit(wallet_id, amount_tyiyn, reserve_account_id(device_key_id),
                                 int(OfflineTransferCode.OFFLINE_DEFUNDING), _WATERFALL)


def _payment_id(paid: PaidPayment) -> Callable[[str], int]:
    return lambda name: payment_transfer_id(paid.payer_key_id, paid.counter, paid.payment_hash, name)


def _defund_id(run_id: int, device_key_id: bytes) -> Callable[[str], int]:
    # "defund" alone is the id the return had before the waterfall: kept for its leg into the wallet.
    return lambda name: derive_id(name, device_key_id, run_id)


def _leg_name(part: str, leg: CreditLeg) -> str:
    return part if leg.name == WALLET_LEG else f"{part}-{leg.name}"


def payment_chain(paid: PaidPayment, payer_bank: str, bank_float_id: int,
                  planned: Sequence[tuple[str, Sequence[CreditLeg]]]) -> list[Transfer]:
    """The linked transfers that pay one payment, from its parts' planned legs."""
    ids = _payment_id(paid)
    legs: list[tuple[int, CreditLeg]] = []
    for part, part_legs in planned:
        if part == GUARANTEE:
            advance = CreditLeg(_ADVANCE, bank_float_id, guarantee_account_id(payer_bank), paid.guarantee_tyiyn,
                                int(OfflineTransferCode.OFFLINE_GUARANTEE_ADVANCE))
            legs.append((ids(_ADVANCE), advance))
        legs += [(ids(_leg_name(part, leg)), leg) for leg in part_legs]
    return _linked(legs)


def defund_chain(run_id: int, device_key_id: bytes, planned: Sequence[CreditLeg]) -> list[Transfer]:
    """The linked transfers that return a device's unspent value."""
    ids = _defund_id(run_id, device_key_id)
    return _linked([(ids(_leg_name(_DEFUND, leg)), leg) for leg in planned])


def payment_chain_ids(paid: PaidPayment) -> list[int]:
    """Every id the first transfer of the payment's chain may have, whatever its split."""
    ids = _payment_id(paid)
    return [ids(RESERVE), ids(f"{RESERVE}-waterfall-float")] if paid.reserve_tyiyn else [ids(_ADVANCE)]


def defund_chain_ids(run_id: int, device_key_id: bytes) -> list[int]:
    """Every id the first transfer of a return's chain may have, whatever its split."""
    ids = _defund_id(run_id, device_key_id)
    return [ids(_DEFUND), ids(f"{_DEFUND}-waterfall-float")]


def _linked(legs: Sequence[tuple[int, CreditLeg]]) -> list[Transfer]:
    """The chain's transfers; each but the last linked to the next."""
    return [
        Transfer(id=transfer_id, debit_account_id=leg.debit_account_id, credit_account_id=leg.credit_account_id,
                 amount=leg.amount_tyiyn, ledger=LEDGER_KGS, code=leg.code,
                 flags=_LINKED if n < len(legs) - 1 else 0)
        for n, (transfer_id, leg) in enumerate(legs)
    ]
