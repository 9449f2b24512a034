"""The ledger gateway: a domain posts only its own codes, and debits only the account
codes the chart lets it; a refused batch reaches the ledger not at all."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from digisom.kernel.chart import CHART, Domain
from digisom.kernel.gateway import CacheSizeInvalid, DebitNotAllowed, LedgerGateway
from digisom.ledger.model import Account, AccountFlags, Transfer, TransferFlags
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.memory import MemoryStore

LEDGER = 417
ISSUANCE, TREASURY_WALLET, PENSIONER_WALLET, NOWHERE = 1, 2, 3, 99
ISSUE, DISBURSEMENT, P2P = 2, 30, 10


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger(MemoryStore())
    dmnec = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    accounts = [Account(ISSUANCE, LEDGER, 1), Account(TREASURY_WALLET, LEDGER, 5, flags=dmnec),
                Account(PENSIONER_WALLET, LEDGER, 5, flags=dmnec)]
    assert set(ledger.create_accounts(accounts)) == {CreateAccountResult.ok}
    assert ledger.create_transfers([Transfer(1, ISSUANCE, TREASURY_WALLET, 1_000, LEDGER, ISSUE)]) == [
        CreateTransferResult.ok]
    return ledger


def gateway(ledger: Ledger) -> LedgerGateway:
    return LedgerGateway(Domain.DISBURSEMENT, CHART, ledger, ledger)


def test_a_programme_payment_from_a_wallet_goes_through(ledger: Ledger) -> None:
    payment = Transfer(10, TREASURY_WALLET, PENSIONER_WALLET, 100, LEDGER, DISBURSEMENT)
    assert gateway(ledger).create_transfers([payment]) == [CreateTransferResult.ok]


def test_debiting_the_issuance_account_refuses_the_whole_batch(ledger: Ledger) -> None:
    fine = Transfer(10, TREASURY_WALLET, PENSIONER_WALLET, 100, LEDGER, DISBURSEMENT)
    minting = Transfer(11, ISSUANCE, PENSIONER_WALLET, 100, LEDGER, DISBURSEMENT)
    with pytest.raises(DebitNotAllowed) as refused:
        gateway(ledger).create_transfers([fine, minting])
    assert (refused.value.account_code, refused.value.transfer_code) == (1, DISBURSEMENT)
    assert ledger.lookup_transfers([10, 11]) == []  # nothing reached the ledger


def test_another_domains_code_is_refused_even_to_an_unknown_account(ledger: Ledger) -> None:
    with pytest.raises(DebitNotAllowed):
        gateway(ledger).create_transfers([Transfer(12, TREASURY_WALLET, PENSIONER_WALLET, 1, LEDGER, P2P)])
    with pytest.raises(DebitNotAllowed):
        gateway(ledger).create_transfers([Transfer(13, NOWHERE, PENSIONER_WALLET, 1, LEDGER, P2P)])
    # Its own code to an unknown account: left to the ledger, which refuses it.
    assert gateway(ledger).create_transfers([Transfer(14, NOWHERE, PENSIONER_WALLET, 1, LEDGER, DISBURSEMENT)]) == [
        CreateTransferResult.debit_account_not_found]


def test_posting_a_hold_names_no_account_and_passes(ledger: Ledger) -> None:
    hold = Transfer(20, TREASURY_WALLET, PENSIONER_WALLET, 100, LEDGER, DISBURSEMENT, flags=TransferFlags.PENDING)
    post = Transfer(21, 0, 0, 100, 0, 0, pending_id=20, flags=TransferFlags.POST_PENDING_TRANSFER)
    assert gateway(ledger).create_transfers([hold]) == [CreateTransferResult.ok]
    assert gateway(ledger).create_transfers([post]) == [CreateTransferResult.ok]


class CountingReader:
    """The ledger's read side, counting the accounts asked for."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.asked: list[list[int]] = []

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        self.asked.append(list(ids))
        return self.ledger.lookup_accounts(ids)


def test_a_second_check_of_the_same_accounts_reads_nothing(ledger: Ledger) -> None:
    reader = CountingReader(ledger)
    gate = LedgerGateway(Domain.DISBURSEMENT, CHART, ledger, reader)
    payment = Transfer(30, TREASURY_WALLET, PENSIONER_WALLET, 100, LEDGER, DISBURSEMENT)
    gate.check([payment])
    assert reader.asked == [[TREASURY_WALLET]]
    gate.check([payment, Transfer(31, TREASURY_WALLET, PENSIONER_WALLET, 1, LEDGER, DISBURSEMENT)])
    assert gate.create_transfers([payment]) == [CreateTransferResult.ok]
    assert reader.asked == [[TREASURY_WALLET]]  # codes never change: no second read
    with pytest.raises(DebitNotAllowed):  # a remembered code is still checked
        gate.check([Transfer(32, TREASURY_WALLET, PENSIONER_WALLET, 1, LEDGER, P2P)])
    assert reader.asked == [[TREASURY_WALLET]]


def test_an_unknown_account_is_read_again_and_the_cache_is_bounded(ledger: Ledger) -> None:
    reader = CountingReader(ledger)
    gate = LedgerGateway(Domain.DISBURSEMENT, CHART, ledger, reader, codes_cached=1)
    gate.check([Transfer(40, NOWHERE, PENSIONER_WALLET, 1, LEDGER, DISBURSEMENT)])
    gate.check([Transfer(41, NOWHERE, PENSIONER_WALLET, 1, LEDGER, DISBURSEMENT)])
    assert reader.asked == [[NOWHERE], [NOWHERE]]  # it may be created in between: not remembered
    gate.check([Transfer(42, TREASURY_WALLET, PENSIONER_WALLET, 1, LEDGER, DISBURSEMENT)])
    gate.check([Transfer(43, PENSIONER_WALLET, TREASURY_WALLET, 1, LEDGER, DISBURSEMENT)])  # pushes the treasury out
    gate.check([Transfer(44, TREASURY_WALLET, PENSIONER_WALLET, 1, LEDGER, DISBURSEMENT)])
    assert reader.asked[2:] == [[TREASURY_WALLET], [PENSIONER_WALLET], [TREASURY_WALLET]]


def test_a_cache_of_no_codes_is_refused(ledger: Ledger) -> None:
    with pytest.raises(CacheSizeInvalid):
        LedgerGateway(Domain.DISBURSEMENT, CHART, ledger, ledger, codes_cached=0)


class BatchAtATime:
    """A writer without `create_transfers_many` (the gateway falls back to one batch at a time)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        return self.ledger.create_transfers(events)


@pytest.mark.parametrize("streaming", [True, False])
def test_many_batches_each_checked_when_the_ledger_takes_it(ledger: Ledger, streaming: bool) -> None:
    writer = ledger if streaming else BatchAtATime(ledger)
    gated = LedgerGateway(Domain.DISBURSEMENT, CHART, writer, ledger)
    batches = [[Transfer(30 + i, TREASURY_WALLET, PENSIONER_WALLET, 10, LEDGER, DISBURSEMENT)] for i in range(3)]
    assert list(gated.create_transfers_many(batches)) == [[CreateTransferResult.ok]] * 3
    minting = [Transfer(40, ISSUANCE, PENSIONER_WALLET, 100, LEDGER, DISBURSEMENT)]
    stream = gated.create_transfers_many([[Transfer(41, TREASURY_WALLET, PENSIONER_WALLET, 1, LEDGER, DISBURSEMENT)],
                                          minting])
    with pytest.raises(DebitNotAllowed):
        list(stream)
    assert ledger.lookup_transfers([40]) == []  # the refused batch reached the ledger not at all
    assert [t.id for t in ledger.lookup_transfers([30, 31, 32])] == [30, 31, 32]
