"""Taxes and fees: a validated ISO 11649 reference, one transfer per request, a receipt."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from digisom.disbursement.taxes import (
    InvalidReference,
    PaymentRefused,
    TaxService,
    is_valid_reference,
    make_reference,
)
from digisom.ledger.model import Account, AccountFlags, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger

CENTRAL_BANK = 1
TREASURY_REVENUE = 2
MERCHANT_WALLET = 3
LEDGER = 417


def service(engine: Engine, ledger: Ledger) -> TaxService:
    accounts = [
        Account(CENTRAL_BANK, LEDGER, 1),
        Account(TREASURY_REVENUE, LEDGER, 2),
        Account(MERCHANT_WALLET, LEDGER, 5, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
    ]
    assert set(ledger.create_accounts(accounts)) == {CreateAccountResult.ok}
    funded = ledger.create_transfers([Transfer(1, CENTRAL_BANK, MERCHANT_WALLET, 100_000, LEDGER, 1)])
    assert funded == [CreateTransferResult.ok]
    return TaxService(engine, ledger, TREASURY_REVENUE)


def test_the_iso_11649_example_and_round_trip() -> None:
    assert is_valid_reference("RF18539007547034")  # the standard's own example
    assert not is_valid_reference("RF19539007547034")
    assert not is_valid_reference("RF18 539007547034")
    assert make_reference("539007547034") == "RF18539007547034"


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=21))
def test_made_references_validate_and_other_check_digits_do_not(body: str) -> None:
    reference = make_reference(body)
    assert is_valid_reference(reference)
    check_digits = int(reference[2:4])
    other = check_digits + 1 if check_digits < 98 else check_digits - 1
    assert not is_valid_reference(f"RF{other:02d}{reference[4:]}")


def test_a_tax_payment_moves_the_amount_once_and_gives_a_receipt(engine: Engine, ledger: Ledger) -> None:
    taxes = service(engine, ledger)
    reference = make_reference("PATENT2026NARYN")
    receipt = taxes.pay("merchant", "tax-1", MERCHANT_WALLET, reference, 25_000)
    again = taxes.pay("merchant", "tax-1", MERCHANT_WALLET, reference, 25_000)
    assert again == receipt
    assert (receipt.reference, receipt.amount_tyiyn, receipt.currency) == (reference, 25_000, "KGS")
    assert taxes.receipt(receipt.receipt_id) == receipt
    (revenue,) = ledger.lookup_accounts([TREASURY_REVENUE])
    assert revenue.credits_posted == 25_000
    (transfer,) = ledger.lookup_transfers([receipt.transfer_id])
    assert (transfer.debit_account_id, transfer.amount) == (MERCHANT_WALLET, 25_000)


def test_a_bad_reference_or_no_funds_moves_nothing(engine: Engine, ledger: Ledger) -> None:
    taxes = service(engine, ledger)
    with pytest.raises(InvalidReference):
        taxes.pay("merchant", "tax-1", MERCHANT_WALLET, "RF19539007547034", 25_000)
    with pytest.raises(PaymentRefused) as refused:
        taxes.pay("merchant", "tax-2", MERCHANT_WALLET, make_reference("VAT2026"), 1_000_000)
    assert refused.value.result == "exceeds_credits"
    (revenue,) = ledger.lookup_accounts([TREASURY_REVENUE])
    assert revenue.credits_posted == 0
