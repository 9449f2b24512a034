"""The chart of accounts: one meaning per code across every domain, every domain's codes
in it under their own names, and docs/ledger.md showing it as it is."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

import pytest

from digisom.cbdc import accounts as cbdc
from digisom.disbursement import model as disbursement
from digisom.disbursement import service as disbursement_service
from digisom.disbursement import taxes
from digisom.interbank import accounts as interbank
from digisom.kernel.chart import (
    ACCOUNT_CODES,
    CHART,
    LEDGERS,
    TRANSFER_CODES,
    AccountCodeEntry,
    Domain,
    DuplicateCode,
    TransferCodeEntry,
    build_chart,
    markdown,
)
from digisom.offline import accounts as offline
from digisom.remittance import accounts as remittance
from digisom.reserve import books as reserve_books
from digisom.stablecoin import accounts as stablecoin

LEDGER_DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"
BEGIN, END = "<!-- chart:begin (generated from digisom.kernel.chart) -->", "<!-- chart:end -->"

ACCOUNT_ENUMS: list[tuple[Domain, type[IntEnum]]] = [
    (Domain.CBDC, cbdc.AccountCode),
    (Domain.INTERBANK, interbank.AccountCode),
    (Domain.OFFLINE, offline.OfflineAccountCode),
    (Domain.STABLECOIN, stablecoin.StablecoinAccountCode),
    (Domain.REMITTANCE, remittance.RemittanceAccountCode),
    (Domain.RESERVE, reserve_books.ReserveAccountCode),
]
TRANSFER_ENUMS: list[tuple[Domain, type[IntEnum]]] = [
    (Domain.CBDC, cbdc.TransferCode),
    (Domain.INTERBANK, interbank.TransferCode),
    (Domain.DISBURSEMENT, disbursement.TransferCode),
    (Domain.DISBURSEMENT, taxes.TaxTransferCode),
    (Domain.OFFLINE, offline.OfflineTransferCode),
    (Domain.STABLECOIN, stablecoin.StablecoinTransferCode),
    (Domain.REMITTANCE, remittance.RemittanceTransferCode),
    (Domain.RESERVE, reserve_books.ReserveTransferCode),
]
# Codes a domain names only to show another domain's transfers by name in its statements.
MIRRORS = {(Domain.CBDC, "DISBURSEMENT")}


def test_a_duplicate_code_is_refused_when_the_chart_is_built() -> None:
    twice = TransferCodeEntry(20, "BENEFIT_PAYMENT", Domain.CBDC, "the old benefit code, clashing with the RTGS")
    with pytest.raises(DuplicateCode, match="transfer code 20"):
        build_chart(LEDGERS, ACCOUNT_CODES, (*TRANSFER_CODES, twice))
    same_account = AccountCodeEntry(5, "TREASURY", Domain.DISBURSEMENT, "a clash", frozenset())
    with pytest.raises(DuplicateCode, match="account code 5"):
        build_chart(LEDGERS, (*ACCOUNT_CODES, same_account), TRANSFER_CODES)
    with pytest.raises(DuplicateCode, match="name P2P"):
        build_chart(LEDGERS, ACCOUNT_CODES, (*TRANSFER_CODES, TransferCodeEntry(99, "P2P", Domain.CBDC, "again")))


def test_every_code_means_one_thing() -> None:
    assert len({e.code for e in TRANSFER_CODES}) == len(TRANSFER_CODES)
    assert len({e.code for e in ACCOUNT_CODES}) == len(ACCOUNT_CODES)
    assert len(CHART.transfers) == len(TRANSFER_CODES)


@pytest.mark.parametrize(("domain", "enum"), ACCOUNT_ENUMS, ids=lambda v: getattr(v, "__qualname__", str(v)))
def test_every_account_code_a_domain_defines_is_in_the_chart(domain: Domain, enum: type[IntEnum]) -> None:
    for member in enum:
        entry = CHART.accounts.get(member.value)
        assert entry is not None, f"{enum.__qualname__}.{member.name} = {member.value} is not in the chart"
        assert (entry.name, entry.owner) == (member.name, domain)


@pytest.mark.parametrize(("domain", "enum"), TRANSFER_ENUMS, ids=lambda v: getattr(v, "__qualname__", str(v)))
def test_every_transfer_code_a_domain_defines_is_in_the_chart(domain: Domain, enum: type[IntEnum]) -> None:
    for member in enum:
        entry = CHART.transfers.get(member.value)
        assert entry is not None, f"{enum.__qualname__}.{member.name} = {member.value} is not in the chart"
        assert entry.name == member.name
        assert entry.owner is domain or (domain, member.name) in MIRRORS


def test_every_domain_posts_on_the_charts_ledger() -> None:
    for module in (cbdc, interbank, offline, stablecoin, disbursement_service):
        assert module.LEDGER_KGS in CHART.ledgers


def test_the_ledger_doc_shows_the_chart() -> None:
    text = LEDGER_DOC.read_text()
    assert BEGIN in text and END in text, f"docs/ledger.md needs the chart between {BEGIN} and {END}"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert shown == markdown(CHART), "docs/ledger.md's chart differs from digisom.kernel.chart; paste markdown(CHART)"


def test_the_chart_lets_a_programme_debit_only_a_wallet() -> None:
    wallet, issuance, reserve = 5, 1, 3
    assert CHART.may_debit(Domain.DISBURSEMENT, wallet, disbursement.TransferCode.DISBURSEMENT)
    assert not CHART.may_debit(Domain.DISBURSEMENT, issuance, disbursement.TransferCode.DISBURSEMENT)
    assert not CHART.may_debit(Domain.DISBURSEMENT, reserve, disbursement.TransferCode.DISBURSEMENT)
    # Another domain's code is never the disbursement domain's to post.
    assert not CHART.may_debit(Domain.DISBURSEMENT, wallet, cbdc.TransferCode.P2P)
