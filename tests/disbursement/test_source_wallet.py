"""A programme pays only from an active government wallet: checked at creation and before
each batch, so a wallet frozen between two batches stops the run there."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from digisom.disbursement.model import RunStatus, SourceRefusal, SourceWalletRefused
from digisom.disbursement.ports import SourceWallet
from digisom.disbursement.service import DisbursementService
from digisom.ledger.service import Ledger
from tests.disbursement.directory import TREASURY_WALLET, FakeDirectory, FakeSources
from tests.disbursement.test_execute import TREASURY, approved_run, balance, build


@pytest.mark.parametrize(
    ("wallet", "reason"),
    [
        (SourceWallet("wcitizen", 7, False, False, False), SourceRefusal.NOT_GOVERNMENT),
        (SourceWallet("wministry", 8, True, True, False), SourceRefusal.FROZEN),
        (SourceWallet("wministry", 8, True, False, True), SourceRefusal.CLOSED),
        (None, SourceRefusal.NOT_FOUND),
    ],
)
def test_creation_refuses_any_wallet_but_an_active_government_one(
    engine: Engine, ledger: Ledger, wallet: SourceWallet | None, reason: SourceRefusal
) -> None:
    sources = FakeSources(TREASURY)
    if wallet is not None:
        sources.wallets[wallet.wallet_id] = wallet
    service = DisbursementService(engine, FakeDirectory(), ledger, sources)
    with pytest.raises(SourceWalletRefused) as refused:
        service.create_programme("pensions", "Pensions", "wcitizen" if wallet is None else wallet.wallet_id, 1)
    assert refused.value.reason is reason


def test_a_wallet_frozen_between_batches_stops_the_run_there(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    run_id = approved_run(service)
    sources = FakeSources(TREASURY)
    acting = DisbursementService(engine, directory, ledger, sources)

    def freeze_after_first(_progress: object) -> None:
        sources.freeze(TREASURY_WALLET)

    with pytest.raises(SourceWalletRefused):
        acting.execute(run_id, batch_size=10, on_batch=freeze_after_first)
    progress = service.progress(run_id)
    assert (progress.status, progress.batches_done) == (RunStatus.EXECUTING, 1)
    debits, _ = balance(ledger, TREASURY)
    assert debits == progress.paid_tyiyn  # the first batch only
    assert service.programme("pensions").remaining_tyiyn == 100_000_000 - progress.paid_tyiyn
