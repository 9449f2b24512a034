"""Domain rules under pressure: invariants over random operations, concurrent callers,
crashes between the ledger and the tables, and the database's own constraints."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from digisom.cbdc import accounts, repository
from digisom.cbdc.accounts import TransferCode
from digisom.cbdc.errors import CbdcError, LimitExceeded
from digisom.cbdc.ledger_port import Leg
from digisom.cbdc.service import CbdcService
from digisom.ledger.model import TransferFlags
from tests.cbdc.conftest import CENTRAL_BANK, COMMERCIAL_BANK, SECOND_BANK, Domain

SOM = 100
_keys = itertools.count()


def _key() -> str:
    return f"k{next(_keys)}"


@pytest.fixture
def people(domain: Domain) -> dict[str, str]:
    """Issued digital som and four wallets: two individuals, a merchant, the treasury."""
    domain.service.convert(COMMERCIAL_BANK, "issue", "AYIL", 1_000_000 * SOM, "issue-ayil")
    domain.service.convert(SECOND_BANK, "issue", "BAKAI", 1_000_000 * SOM, "issue-bakai")
    wallets = {
        "pensioner": domain.open(COMMERCIAL_BANK, "pensioner", 0),
        "merchant": domain.open(COMMERCIAL_BANK, "merchant", 2, merchant=True),
        "treasury": domain.open(SECOND_BANK, "treasury", 2),
        "teacher": domain.open(SECOND_BANK, "teacher", 1),
    }
    for name, wallet_id in wallets.items():
        domain.service.credit_deposit(_bank(name), wallet_id, 500_000 * SOM, f"deposit-{name}")
    return wallets


def _bank(name: str) -> Any:
    return SECOND_BANK if name in ("treasury", "teacher") else COMMERCIAL_BANK


_NAMES = ("pensioner", "merchant", "treasury", "teacher")
_operation = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(("AYIL", "BAKAI")), st.integers(1, 50_000 * SOM)),
    st.tuples(st.just("redeem"), st.sampled_from(("AYIL", "BAKAI")), st.integers(1, 50_000 * SOM)),
    st.tuples(st.just("fund"), st.sampled_from(_NAMES), st.integers(1, 20_000 * SOM)),
    st.tuples(st.just("pay"), st.tuples(st.sampled_from(_NAMES), st.sampled_from(_NAMES)),
              st.integers(1, 30_000 * SOM)),
    st.tuples(st.just("refund"), st.just(None), st.integers(1, 20_000 * SOM)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_operation, min_size=1, max_size=8))
def test_invariants_hold_whatever_happens(domain: Domain, people: dict[str, str], ops: list[Any]) -> None:
    svc = domain.service
    payments: list[str] = []
    for kind, target, amount in ops:
        try:
            if kind in ("issue", "redeem"):
                actor = COMMERCIAL_BANK if target == "AYIL" else SECOND_BANK
                svc.convert(actor, kind, target, amount, _key())
            elif kind == "fund":
                svc.fund(_bank(target), people[target], amount, _key())
            elif kind == "pay":
                payer, payee = target
                payments.append(svc.pay(_bank(payer), _key(), people[payer], people[payee], amount, None).id)
            elif payments:
                payee = svc.payment(CENTRAL_BANK, payments[-1]).payee_wallet_id
                owner = next(n for n, w in people.items() if w == payee)
                svc.refund(_bank(owner), _key(), payments[-1], amount)
        except CbdcError:
            pass  # a refusal is fine; what matters is that nothing was half-done
        domain.balanced()
        for name, wallet_id in people.items():
            view = svc.wallet(_bank(name), wallet_id)
            limit = view.limits.balance_limit_tyiyn
            assert view.balance_tyiyn >= 0 and view.linked_deposit_tyiyn >= 0
            assert limit is None or view.balance_tyiyn <= limit, f"{name} over its holding limit"
    with domain.engine.connect() as conn:
        over = text("SELECT count(*) FROM cbdc_payments WHERE refunded_tyiyn > amount_tyiyn")
        assert conn.execute(over).scalar() == 0


def test_concurrent_payments_into_one_wallet_never_pass_its_holding_limit(
    domain: Domain, people: dict[str, str]
) -> None:
    svc = domain.service
    svc.fund(SECOND_BANK, people["treasury"], 200_000 * SOM, "fund-treasury")
    svc.fund(SECOND_BANK, people["teacher"], 90_000 * SOM, "fund-teacher")

    def pay(index: int) -> int:
        payer = "treasury" if index % 2 else "teacher"
        paid = svc.pay(SECOND_BANK, f"c{index}", people[payer], people["pensioner"], 1_000 * SOM, None)
        return paid.waterfall_tyiyn

    with ThreadPoolExecutor(8) as pool:
        waterfalls = list(pool.map(pay, range(40)))
    view = svc.wallet(COMMERCIAL_BANK, people["pensioner"])
    assert view.balance_tyiyn == 15_000 * SOM  # tier 0's limit, exactly
    assert sum(waterfalls) == 25_000 * SOM
    domain.balanced()


def test_concurrent_refunds_never_exceed_the_payment(domain: Domain, people: dict[str, str]) -> None:
    svc = domain.service
    paid = svc.pay(SECOND_BANK, "sale", people["treasury"], people["merchant"], 10_000 * SOM, None)

    def refund(index: int) -> bool:
        try:
            svc.refund(COMMERCIAL_BANK, f"refund-{index}", paid.id, 3_000 * SOM)
        except LimitExceeded:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(refund, range(10)))
    assert outcomes.count(True) == 3
    assert svc.payment(COMMERCIAL_BANK, paid.id).refunded_tyiyn == 9_000 * SOM
    domain.balanced()


def test_the_database_refuses_a_refund_above_the_payment(domain: Domain, people: dict[str, str]) -> None:
    paid = domain.service.pay(SECOND_BANK, "sale", people["treasury"], people["merchant"], 100 * SOM, None)
    with pytest.raises(IntegrityError), domain.engine.begin() as conn:
        conn.execute(text("UPDATE cbdc_payments SET refunded_tyiyn = amount_tyiyn + 1 WHERE id = :id"), {"id": paid.id})
    with pytest.raises(IntegrityError), domain.engine.begin() as conn:
        # One idempotency key, one payment: a second row for the same operation is refused.
        conn.execute(text(
            "INSERT INTO cbdc_payments (id, operation_id, kind, payer_wallet_id, payee_wallet_id, amount_tyiyn,"
            " refunded_tyiyn, topup_tyiyn, waterfall_tyiyn, status, legs, created_at)"
            " SELECT id || 'x', operation_id, kind, payer_wallet_id, payee_wallet_id, amount_tyiyn, 0, 0, 0,"
            " status, legs, created_at FROM cbdc_payments WHERE id = :id"), {"id": paid.id})


def test_a_crash_before_the_ledger_is_completed_by_the_retry(
    domain: Domain, people: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = domain.service
    real_submit = svc.ctx.ledger.submit

    def crash(*_args: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(svc.ctx.ledger, "submit", crash)
    with pytest.raises(RuntimeError):
        svc.pay(SECOND_BANK, "crashy", people["treasury"], people["teacher"], 5 * SOM, None)
    monkeypatch.setattr(svc.ctx.ledger, "submit", real_submit)
    before = svc.wallet(SECOND_BANK, people["teacher"]).balance_tyiyn
    paid = svc.pay(SECOND_BANK, "crashy", people["treasury"], people["teacher"], 5 * SOM, None)
    again = svc.pay(SECOND_BANK, "crashy", people["treasury"], people["teacher"], 5 * SOM, None)
    assert paid.status == again.status == "completed" and paid.id == again.id
    assert svc.wallet(SECOND_BANK, people["teacher"]).balance_tyiyn == before + 5 * SOM
    domain.balanced()


def test_a_crash_after_the_ledger_never_pays_twice(
    domain: Domain, people: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = domain.service
    real_finish = repository.finish_payment

    def crash(*_args: Any) -> bool:
        raise RuntimeError("power cut after the ledger committed")

    monkeypatch.setattr(repository, "finish_payment", crash)
    with pytest.raises(RuntimeError):
        svc.pay(SECOND_BANK, "late-crash", people["treasury"], people["teacher"], 7 * SOM, None)
    monkeypatch.setattr(repository, "finish_payment", real_finish)
    payer_account = domain.store.get_accounts([accounts.wallet_account_id(people["treasury"])])
    debited = next(iter(payer_account.values())).debits_posted
    paid = svc.pay(SECOND_BANK, "late-crash", people["treasury"], people["teacher"], 7 * SOM, None)
    assert paid.status == "completed"
    after = domain.store.get_accounts([accounts.wallet_account_id(people["treasury"])])
    assert next(iter(after.values())).debits_posted == debited  # the retry moved nothing
    domain.balanced()


def test_the_same_key_for_another_payment_is_refused(domain: Domain, people: dict[str, str]) -> None:
    svc = domain.service
    svc.pay(SECOND_BANK, "once", people["treasury"], people["teacher"], 5 * SOM, None)
    with pytest.raises(CbdcError) as caught:
        svc.pay(SECOND_BANK, "once", people["treasury"], people["teacher"], 6 * SOM, None)
    assert caught.value.status == 422


def test_issuance_retried_with_its_key_issues_once(domain: Domain) -> None:
    first = domain.service.convert(COMMERCIAL_BANK, "issue", "AYIL", 10 * SOM, "same")
    second = domain.service.convert(COMMERCIAL_BANK, "issue", "AYIL", 10 * SOM, "same")
    assert first.id == second.id
    assert domain.balanced() == 10 * SOM


def test_only_the_central_bank_credits_reserves(domain: Domain) -> None:
    with pytest.raises(CbdcError) as caught:
        domain.service.convert(COMMERCIAL_BANK, "reserve_credit", "AYIL", 1, "mint-myself")
    assert caught.value.status == 403
    domain.service.convert(CENTRAL_BANK, "reserve_credit", "AYIL", 1, "ok")


def test_start_up_finishes_what_a_crash_left_pending(
    domain: Domain, people: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = domain.service
    real_submit = svc.ctx.ledger.submit

    def crash(*_args: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(svc.ctx.ledger, "submit", crash)
    with pytest.raises(RuntimeError):
        svc.pay(SECOND_BANK, "crash-1", people["treasury"], people["teacher"], 5 * SOM, None)
    with pytest.raises(RuntimeError):
        svc.convert(COMMERCIAL_BANK, "issue", "AYIL", 7 * SOM, "crash-2")
    monkeypatch.setattr(svc.ctx.ledger, "submit", real_submit)
    before = svc.wallet(SECOND_BANK, people["teacher"]).balance_tyiyn
    circulation = domain.balanced()
    restarted = CbdcService(svc.ctx)  # a new process on the same database
    assert restarted.recovered == 2
    assert restarted.wallet(SECOND_BANK, people["teacher"]).balance_tyiyn == before + 5 * SOM
    assert domain.balanced() == circulation + 7 * SOM
    assert CbdcService(svc.ctx).recovered == 0


def test_a_pending_credit_counts_against_the_holding_limit(domain: Domain, people: dict[str, str]) -> None:
    """A credit still pending (a KGST redemption's hold, until its burn confirms) will land:
    a payment or a funding that arrives meanwhile gets only the room left beside it."""
    svc = domain.service
    svc.fund(SECOND_BANK, people["treasury"], 100_000 * SOM, "fund-treasury")
    pending = Leg("hold", accounts.wallet_account_id(people["treasury"]), accounts.wallet_account_id(
        people["pensioner"]), 10_000 * SOM, int(TransferCode.P2P), "wallet", int(TransferFlags.PENDING))
    svc.ctx.ledger.submit("pending-credit", [pending])
    view = svc.wallet(COMMERCIAL_BANK, people["pensioner"])
    assert view.balance_tyiyn == 0 and view.limits.balance_room_tyiyn == 5_000 * SOM
    with pytest.raises(LimitExceeded):
        svc.fund(COMMERCIAL_BANK, people["pensioner"], 6_000 * SOM, "fund-over")
    paid = svc.pay(SECOND_BANK, "after-hold", people["treasury"], people["pensioner"], 8_000 * SOM, None)
    assert (paid.amount_tyiyn - paid.waterfall_tyiyn, paid.waterfall_tyiyn) == (5_000 * SOM, 3_000 * SOM)
    view = svc.wallet(COMMERCIAL_BANK, people["pensioner"])
    assert view.balance_tyiyn == 5_000 * SOM and view.limits.balance_room_tyiyn == 0
    domain.balanced()
