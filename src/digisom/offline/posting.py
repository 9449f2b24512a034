"""Turn a settlement run into ledger transfers, and commit them in batches.

Per paid payment, one linked chain, so it is paid in full or not at all:
- reserve part: device reserve -> payee wallet (`OFFLINE_PAYOUT`);
- guarantee part: bank float -> bank guarantee account (`OFFLINE_GUARANTEE_ADVANCE`),
  then guarantee account -> payee wallet (`OFFLINE_GUARANTEE_PAYOUT`).
Returning unspent value is one transfer, device reserve -> wallet (`OFFLINE_DEFUNDING`).

Every id is derived from the payment (payer key id, counter, payment hash) or from the
run, so posting a run again — after a crash, or a re-upload — makes the ledger answer
`exists` and moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.gateway import TransferWriter
from digisom.kernel.results import TRANSFER_OK as _ACCEPTED
from digisom.ledger.model import BATCH_EVENTS_MAX, Transfer, TransferFlags
from digisom.offline.accounts import (
    OfflineTransferCode,
    derive_id,
    guarantee_account_id,
    payment_transfer_id,
    reserve_account_id,
)
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.settlement import Verdict

_LINKED: Final = int(TransferFlags.LINKED)


@dataclass(frozen=True, slots=True)
class PaidPayment:
    """One paid payment of a run, as stored: who pays whom, from where, how much."""

    payer_key_id: bytes
    counter: int
    payment_hash: bytes
    payee_id: bytes
    reserve_tyiyn: int
    guarantee_tyiyn: int


@dataclass(frozen=True, slots=True)
class Accounts:
    """Ledger accounts a run pays into and from, resolved by the caller."""

    payee_wallet: Callable[[bytes], int]  # payee device key id -> wallet account id
    payer_reserve: Callable[[bytes], int]  # payer device key id -> its reserve account id
    payer_bank: Callable[[bytes], str]  # payer device key id -> its bank's code
    bank_float: Callable[[str], int]  # bank code -> the bank's float account id


def payment_chain(paid: PaidPayment, accounts: Accounts) -> list[Transfer]:
    """The linked transfers that pay one payment (the last one closes the chain)."""
    wallet = accounts.payee_wallet(paid.payee_id)
    ids = (paid.payer_key_id, paid.counter, paid.payment_hash)
    legs: list[tuple[int, int, int, int, OfflineTransferCode]] = []
    if paid.reserve_tyiyn:
        legs.append((payment_transfer_id(*ids, Verdict.RESERVE.value), accounts.payer_reserve(paid.payer_key_id),
                     wallet, paid.reserve_tyiyn, OfflineTransferCode.OFFLINE_PAYOUT))
    if paid.guarantee_tyiyn:
        bank = accounts.payer_bank(paid.payer_key_id)
        guarantee = guarantee_account_id(bank)
        legs.append((payment_transfer_id(*ids, "advance"), accounts.bank_float(bank), guarantee,
                     paid.guarantee_tyiyn, OfflineTransferCode.OFFLINE_GUARANTEE_ADVANCE))
        legs.append((payment_transfer_id(*ids, Verdict.GUARANTEE.value), guarantee, wallet,
                     paid.guarantee_tyiyn, OfflineTransferCode.OFFLINE_GUARANTEE_PAYOUT))
    return [
        Transfer(id=i, debit_account_id=debit, credit_account_id=credit, amount=amount, ledger=LEDGER_KGS,
                 code=int(code), flags=_LINKED if n < len(legs) - 1 else 0)
        for n, (i, debit, credit, amount, code) in enumerate(legs)
    ]


def defund_transfer(run_id: int, device_key_id: bytes, wallet_account_id: int, amount_tyiyn: int) -> Transfer:
    """Unspent offline value back from the device's reserve to its wallet."""
    return Transfer(
        id=derive_id("defund", device_key_id, run_id), debit_account_id=reserve_account_id(device_key_id),
        credit_account_id=wallet_account_id, amount=amount_tyiyn, ledger=LEDGER_KGS,
        code=int(OfflineTransferCode.OFFLINE_DEFUNDING),
    )


def post(ledger: TransferWriter, chains: Iterable[Sequence[Transfer]], batch_events_max: int = BATCH_EVENTS_MAX) -> int:
    """Commit `chains` in batches of whole chains; returns the transfers posted.

    Anything but `ok` or `exists` means the context was stale or a bank's float is short:
    `LEDGER_REFUSED`, and the service parks the run for an operator (the ledger remembers
    the failed ids, so a blind retry would not help)."""
    batch: list[Transfer] = []
    posted = 0

    def flush() -> None:
        nonlocal posted
        if not batch:
            return
        results = ledger.create_transfers(batch)
        refused = [(tr, r) for tr, r in zip(batch, results, strict=True) if r not in _ACCEPTED]
        if refused:
            transfer, result = refused[0]
            raise OfflineError(Reason.LEDGER_REFUSED, f"transfer {transfer.id:x}: {result.name}")
        posted += len(batch)
        batch.clear()

    for chain in chains:
        if len(batch) + len(chain) > batch_events_max:
            flush()
        batch.extend(chain)
    flush()
    return posted
