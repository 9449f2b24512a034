"""Purpose-bound programmes: the programme names a benefit scheme of the digital som domain,
and the directory is asked for that scheme, so wallet holders are paid into their benefit
account; an ordinary programme asks for cash ("")."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from digisom.disbursement.model import InvalidInput, RunStatus
from digisom.disbursement.ports import Channel, Destination
from digisom.ledger.model import Account
from digisom.ledger.results import CreateAccountResult
from digisom.ledger.service import Ledger
from tests.disbursement.directory import TREASURY_WALLET
from tests.disbursement.test_execute import (
    COMMERCIAL_BANK,
    LEDGER,
    TREASURY_CLERK,
    TREASURY_SUPERVISOR,
    WALLETS_FIRST,
    balance,
    build,
    pin,
)

SCHEME = "school-supplies-2026"
BENEFIT_ACCOUNT = 7_001


def test_a_purpose_bound_programme_pays_wallet_holders_into_their_benefit_account(
    engine: Engine, ledger: Ledger
) -> None:
    service, directory = build(engine, ledger)
    assert ledger.create_accounts([Account(BENEFIT_ACCOUNT, LEDGER, 6)]) == [CreateAccountResult.ok]
    directory.benefit_accounts[SCHEME] = {pin(1): BENEFIT_ACCOUNT}
    directory.known[pin(2)] = Destination(Channel.BANK_ACCOUNT, COMMERCIAL_BANK)
    programme = service.create_programme("school", "School supplies", TREASURY_WALLET, 10_000_00, benefit_scheme=SCHEME)
    assert programme.benefit_scheme == SCHEME
    directory.schemes_asked.clear()

    data = f"pin,amount_tyiyn,region\n{pin(1)},300000,Osh\n{pin(2)},200000,Osh\n".encode()
    run = service.upload(TREASURY_CLERK, "school-1", "school", "2026-08", data)
    service.approve(TREASURY_SUPERVISOR, run.id)
    progress = service.execute(run.id)

    assert directory.schemes_asked == [SCHEME]
    assert (progress.status, progress.paid) == (RunStatus.COMPLETED, 2)
    assert balance(ledger, BENEFIT_ACCOUNT) == (0, 300_000)
    assert balance(ledger, WALLETS_FIRST + 1) == (0, 0)  # not the cash wallet
    assert balance(ledger, COMMERCIAL_BANK) == (0, 200_000)


def test_an_ordinary_programme_asks_for_cash(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    assert service.programme("pensions").benefit_scheme == ""
    directory.schemes_asked.clear()
    service.upload(TREASURY_CLERK, "cash", "pensions", "2026-11", f"pin,amount_tyiyn,region\n{pin(1)},1,Osh\n".encode())
    assert directory.schemes_asked == [""]


@pytest.mark.parametrize("scheme", [" school", "school supplies", "x" * 65, "-school"])
def test_a_bad_scheme_id_is_refused(engine: Engine, ledger: Ledger, scheme: str) -> None:
    service, _ = build(engine, ledger)
    with pytest.raises(InvalidInput):
        service.create_programme("school", "School supplies", TREASURY_WALLET, 1, benefit_scheme=scheme)


def test_repay_asks_the_directory_for_the_programme_scheme(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    assert ledger.create_accounts([Account(BENEFIT_ACCOUNT, LEDGER, 6)]) == [CreateAccountResult.ok]
    directory.known[pin(1)] = Destination(Channel.NONE)
    service.create_programme("school", "School supplies", TREASURY_WALLET, 10_000_00, benefit_scheme=SCHEME)
    run = service.upload(
        TREASURY_CLERK, "school-1", "school", "2026-08", f"pin,amount_tyiyn,region\n{pin(1)},300000,Osh\n".encode()
    )
    service.approve(TREASURY_SUPERVISOR, run.id)
    assert service.execute(run.id).unclaimed == 1
    # The recipient opened a wallet; the scheme gave it a benefit account.
    directory.known[pin(1)] = Destination(Channel.WALLET, WALLETS_FIRST + 1)
    directory.benefit_accounts[SCHEME] = {pin(1): BENEFIT_ACCOUNT}
    directory.schemes_asked.clear()
    assert service.repay(TREASURY_CLERK, run.id, "p1").progress.paid == 1
    assert directory.schemes_asked == [SCHEME]
    assert balance(ledger, BENEFIT_ACCOUNT) == (0, 300_000)
