"""Purpose-bound benefits: spent only at merchants of the scheme's categories, refused
after the last Bishkek day, swept back to the treasury exactly once (resumably), and
always inside circulation = issuance."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digisom.cbdc import accounts, benefits, repository
from digisom.cbdc.accounts import CIRCULATING_CODES, AccountCode, TransferCode
from digisom.cbdc.errors import (
    BenefitExpired,
    BenefitNotExpired,
    Forbidden,
    InsufficientFunds,
    InvalidRequest,
    MerchantCategoryNotAllowed,
    NotFound,
)
from digisom.cbdc.model import HolderKind, MerchantProfile
from digisom.disbursement.model import TransferCode as DisbursementCode
from digisom.kernel.access import Actor, Role
from digisom.kernel.chart import CHART, LEDGER_KGS
from digisom.kernel.chart import Domain as Dom
from digisom.kernel.gateway import LedgerGateway
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from tests.cbdc.conftest import CENTRAL_BANK, COMMERCIAL_BANK, SECOND_BANK, Domain, build_domain

SOM = 100
TREASURY_OPERATOR = Actor(Role.TREASURY_OPERATOR, "treasury-clerk")
STATIONER = MerchantProfile("Bilim Books", "Osh", "5943")
LAST_DAY = date(2026, 9, 30)
_keys = itertools.count()


@dataclass
class Clock:
    """A settable clock for the domain."""

    now: datetime = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class School:
    """A world with a school-supplies grant: a treasury, a stationer, a grocery, pupils' parents."""

    domain: Domain
    clock: Clock
    disbursement: LedgerGateway  # the disbursement domain's way to the ledger: it posts the grants
    scheme_id: str = ""
    wallets: dict[str, str] = field(default_factory=dict)

    @property
    def service(self) -> Any:
        return self.domain.service

    def grant(self, who: str, amount_tyiyn: int) -> None:
        """What the disbursement domain does: credit the benefit account the service names."""
        ids = self.service.benefit_account_ids(self.scheme_id, [self.wallets[who]])
        assert self.pay_out(f"test-grant|{next(_keys)}", ids[self.wallets[who]], amount_tyiyn) == [
            CreateTransferResult.ok]

    def pay_out(self, key: str, account_id: int, amount_tyiyn: int) -> list[CreateTransferResult]:
        """A disbursement from the treasury's wallet to `account_id`, through the disbursement gateway."""
        treasury = accounts.wallet_account_id(self.wallets["treasury"])
        payment = Transfer(accounts.transfer_id(key, "disbursement"), treasury, account_id, amount_tyiyn, LEDGER_KGS,
                           int(DisbursementCode.DISBURSEMENT))
        return self.disbursement.create_transfers([payment])

    def benefit(self, who: str) -> int:
        account = accounts.benefit_account_id(self.scheme_id, self.wallets[who])
        return accounts.balance_tyiyn(self.service.ctx.ledger.account(account))

    def wallet(self, who: str) -> int:
        return self.service.wallet(CENTRAL_BANK, self.wallets[who]).balance_tyiyn

    def spend(self, who: str, payee: str, amount_tyiyn: int, scheme_id: str | None = None) -> Any:
        parent = Actor(Role.WALLET_HOLDER, who, "AYIL")
        return self.service.pay(parent, f"spend-{next(_keys)}", self.wallets[who], self.wallets[payee], amount_tyiyn,
                                None, scheme_id or self.scheme_id)

    def balanced(self) -> int:
        """Circulation = issuance, by the service and independently over every ledger account."""
        circulation = self.domain.balanced()
        every = self.domain.store.scan_accounts(0, 100_000)
        circulating = sum(accounts.balance_tyiyn(a) for a in every if a.code in CIRCULATING_CODES)
        issued = sum(accounts.balance_tyiyn(a) for a in every if a.code == AccountCode.ISSUANCE)
        assert circulating == issued == circulation
        return circulation


def _school(tmp_path: Path) -> tuple[School, Any]:
    clock = Clock()
    domain, submitter = build_domain(tmp_path, clock=clock)
    service = domain.service
    service.convert(COMMERCIAL_BANK, "issue", "AYIL", 1_000_000 * SOM, "issue-ayil")
    service.convert(SECOND_BANK, "issue", "BAKAI", 1_000_000 * SOM, "issue-bakai")
    school = School(domain, clock, LedgerGateway(Dom.DISBURSEMENT, CHART, submitter, Ledger(domain.store)))
    school.wallets = {
        "parent": domain.open(COMMERCIAL_BANK, "parent", 0),
        "other-parent": domain.open(COMMERCIAL_BANK, "other-parent", 1),
        "grocery": domain.open(COMMERCIAL_BANK, "grocery", 2, merchant=True),  # MCC 5411
        "stationer": service.open_wallet(COMMERCIAL_BANK, "open-stationer", "stationer", HolderKind.MERCHANT, 2,
                                         "Bilim Books LLC", "+996700000002", "1234", STATIONER).id,
        "treasury": service.open_wallet(SECOND_BANK, "open-treasury", "treasury", HolderKind.GOVERNMENT, 2,
                                        "Central Treasury", "+996700000003", "1234", None).id,
    }
    service.credit_deposit(SECOND_BANK, school.wallets["treasury"], 500_000 * SOM, "treasury-deposit")
    service.fund(SECOND_BANK, school.wallets["treasury"], 200_000 * SOM, "treasury-fund")
    school.scheme_id = service.create_benefit_scheme(
        TREASURY_OPERATOR, "school-2026", "School supplies 2026", ["5943", "5942"], LAST_DAY,
        school.wallets["treasury"]).id
    return school, submitter


@pytest.fixture
def school(tmp_path: Path) -> Iterator[School]:
    built, submitter = _school(tmp_path)
    yield built
    submitter.close()
    built.domain.engine.dispose()


def test_a_benefit_is_spent_at_an_allowed_merchant_from_its_own_balance(school: School) -> None:
    school.grant("parent", 5_000 * SOM)
    before = school.balanced()
    wallet_before = school.wallet("parent")
    payment = school.spend("parent", "stationer", 1_200 * SOM)
    assert payment.benefit_scheme_id == school.scheme_id and payment.topup_tyiyn == 0
    assert school.benefit("parent") == 3_800 * SOM
    assert school.wallet("parent") == wallet_before  # the wallet's own balance is untouched
    assert school.wallet("stationer") == 1_200 * SOM
    assert school.balanced() == before
    view = school.service.wallet(Actor(Role.WALLET_HOLDER, "parent", "AYIL"), school.wallets["parent"])
    [held] = view.benefits
    assert (held.scheme_id, held.name, held.balance_tyiyn, held.categories, held.expires_on) == (
        school.scheme_id, "School supplies 2026", 3_800 * SOM, ("5942", "5943"), "2026-09-30")
    lines = school.service.statement(COMMERCIAL_BANK, school.wallets["parent"], 0, 50).items
    assert [(e.kind, e.direction, e.amount_tyiyn, e.benefit_scheme_id) for e in lines] == [
        ("disbursement", "credit", 5_000 * SOM, school.scheme_id),
        ("benefit_payment", "debit", 1_200 * SOM, school.scheme_id),
    ]


def test_another_category_p2p_and_too_much_are_refused_with_a_reason(school: School) -> None:
    school.grant("parent", 1_000 * SOM)
    with pytest.raises(MerchantCategoryNotAllowed) as refused:
        school.spend("parent", "grocery", 100 * SOM)
    assert "5411" in refused.value.detail and school.scheme_id in refused.value.detail
    assert refused.value.extensions["merchant_category"] == "5411"
    with pytest.raises(MerchantCategoryNotAllowed):
        school.spend("parent", "other-parent", 100 * SOM)  # not a merchant: no P2P from a benefit
    with pytest.raises(InsufficientFunds):
        school.spend("parent", "stationer", 1_001 * SOM)  # never topped up from the bank
    with pytest.raises(InsufficientFunds):
        school.spend("other-parent", "stationer", 1 * SOM)  # holds nothing of this benefit
    with pytest.raises(NotFound):
        school.spend("parent", "stationer", 1 * SOM, scheme_id="b" + "a" * 24)
    assert school.benefit("parent") == 1_000 * SOM
    school.balanced()


def test_a_refund_goes_back_into_the_benefit(school: School) -> None:
    school.grant("parent", 1_000 * SOM)
    payment = school.spend("parent", "stationer", 600 * SOM)
    merchant = Actor(Role.WALLET_HOLDER, "stationer", "AYIL")
    refund = school.service.refund(merchant, "refund-1", payment.id, 200 * SOM)
    assert refund.benefit_scheme_id == school.scheme_id
    assert (school.benefit("parent"), school.wallet("stationer")) == (600 * SOM, 400 * SOM)
    school.balanced()


def test_the_last_day_is_a_bishkek_day(school: School) -> None:
    school.grant("parent", 1_000 * SOM)
    school.clock.now = datetime(2026, 9, 30, 17, 59, 59, tzinfo=UTC)  # 23:59:59 in Bishkek
    school.spend("parent", "stationer", 100 * SOM)
    school.clock.now = datetime(2026, 9, 30, 18, 0, tzinfo=UTC)  # midnight in Bishkek
    with pytest.raises(BenefitExpired):
        school.spend("parent", "stationer", 100 * SOM)
    with pytest.raises(BenefitExpired):
        school.service.benefit_account_ids(school.scheme_id, [school.wallets["other-parent"]])


def test_the_expiry_sweep_returns_exactly_the_unspent_part_once(school: School) -> None:
    school.grant("parent", 3_000 * SOM)
    school.grant("other-parent", 2_000 * SOM)
    school.spend("parent", "stationer", 500 * SOM)
    with pytest.raises(BenefitNotExpired):
        school.service.expire_benefits(TREASURY_OPERATOR, school.scheme_id, "expire-1")
    circulation = school.balanced()
    treasury_before = school.wallet("treasury")
    school.clock.now = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    with pytest.raises(Forbidden):
        school.service.expire_benefits(CENTRAL_BANK, school.scheme_id, "expire-1")
    result = school.service.expire_benefits(TREASURY_OPERATOR, school.scheme_id, "expire-1")
    assert (result.accounts_swept, result.accounts_with_balance, result.returned_tyiyn) == (2, 2, 4_500 * SOM)
    assert school.wallet("treasury") == treasury_before + 4_500 * SOM
    assert (school.benefit("parent"), school.benefit("other-parent")) == (0, 0)
    assert school.balanced() == circulation
    # Again, under another key: the same answer, nothing moves.
    assert school.service.expire_benefits(TREASURY_OPERATOR, school.scheme_id, "expire-2") == result
    assert school.wallet("treasury") == treasury_before + 4_500 * SOM
    # The swept accounts are closed: a late credit (an old disbursement id) is refused.
    late = school.pay_out("late-grant", accounts.benefit_account_id(school.scheme_id, school.wallets["parent"]), 1)
    assert late == [CreateTransferResult.credit_account_already_closed]
    assert school.service.wallet(CENTRAL_BANK, school.wallets["parent"]).benefits[0].balance_tyiyn == 0


def test_an_interrupted_sweep_resumes_without_paying_twice(school: School, monkeypatch: pytest.MonkeyPatch) -> None:
    parents = [school.domain.open(COMMERCIAL_BANK, f"parent-{n}", 1) for n in range(5)]
    for n, wallet in enumerate(parents):
        school.wallets[f"parent-{n}"] = wallet
        school.grant(f"parent-{n}", (n + 1) * 100 * SOM)
    school.clock.now = datetime(2026, 10, 2, tzinfo=UTC)
    treasury_before = school.wallet("treasury")
    ledger = school.service.ctx.ledger
    real = ledger.submit_chains
    calls = itertools.count()

    def crash_on_second_batch(chains: Any) -> Any:
        if next(calls) == 1:
            raise RuntimeError("the process died")
        return real(chains)

    monkeypatch.setattr(ledger, "submit_chains", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        benefits.expire(school.service.ctx, TREASURY_OPERATOR, school.scheme_id, batch_accounts=2)
    assert school.wallet("treasury") == treasury_before + 300 * SOM  # the first batch: 100 + 200
    monkeypatch.setattr(ledger, "submit_chains", real)
    result = benefits.expire(school.service.ctx, TREASURY_OPERATOR, school.scheme_id, batch_accounts=2)
    assert (result.accounts_swept, result.returned_tyiyn) == (5, 1_500 * SOM)
    assert school.wallet("treasury") == treasury_before + 1_500 * SOM
    school.balanced()


def test_benefit_accounts_are_created_once_and_only_for_active_wallets(school: School) -> None:
    service = school.service
    parent, other = school.wallets["parent"], school.wallets["other-parent"]
    service.set_frozen(CENTRAL_BANK, other, True, "court order", "case-7")
    first = service.benefit_account_ids(school.scheme_id, [parent, other, "w" + "z" * 24, parent])
    assert first == {parent: accounts.benefit_account_id(school.scheme_id, parent)}
    assert service.benefit_account_ids(school.scheme_id, [parent]) == first
    with pytest.raises(NotFound):
        service.benefit_account_ids("b" + "a" * 24, [parent])
    with pytest.raises(InvalidRequest):
        service.benefit_account_ids(school.scheme_id, [parent] * (benefits.ACCOUNTS_PER_CALL_MAX + 1))


@pytest.mark.parametrize(
    ("actor", "categories", "expires_on", "treasury", "error"),
    [
        (COMMERCIAL_BANK, ["5943"], LAST_DAY, "treasury", Forbidden),
        (TREASURY_OPERATOR, [], LAST_DAY, "treasury", InvalidRequest),
        (TREASURY_OPERATOR, ["594"], LAST_DAY, "treasury", InvalidRequest),
        (TREASURY_OPERATOR, [f"{n:04d}" for n in range(33)], LAST_DAY, "treasury", InvalidRequest),
        (TREASURY_OPERATOR, ["5943"], date(2026, 8, 31), "treasury", InvalidRequest),  # already past
        (TREASURY_OPERATOR, ["5943"], LAST_DAY, "parent", InvalidRequest),  # not a government wallet
    ],
)
def test_bad_schemes_are_refused(school: School, actor: Actor, categories: list[str], expires_on: date,
                                 treasury: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        school.service.create_benefit_scheme(actor, "bad", "Bad", categories, expires_on, school.wallets[treasury])


def test_creating_a_scheme_is_idempotent(school: School) -> None:
    again = school.service.create_benefit_scheme(TREASURY_OPERATOR, "school-2026", "School supplies 2026",
                                                 ["5942", "5943"], LAST_DAY, school.wallets["treasury"])
    assert again.id == school.scheme_id
    with pytest.raises(InvalidRequest):
        school.service.create_benefit_scheme(TREASURY_OPERATOR, "school-2026", "Other", ["5943"], LAST_DAY,
                                             school.wallets["treasury"])


def test_the_disbursement_code_matches_the_disbursement_domain() -> None:
    assert int(TransferCode.DISBURSEMENT) == int(DisbursementCode.DISBURSEMENT)


_steps = st.lists(
    st.tuples(st.sampled_from(("grant", "spend", "grocery")), st.sampled_from(("parent", "other-parent")),
              st.integers(1, 3_000 * SOM)),
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps)
def test_whatever_happens_the_sweep_returns_granted_minus_spent(tmp_path_factory: pytest.TempPathFactory,
                                                                  steps: list[tuple[str, str, int]]) -> None:
    school, submitter = _school(tmp_path_factory.mktemp("benefits"))
    try:
        granted = spent = 0
        for action, who, amount in steps:
            if action == "grant":
                school.grant(who, amount)
                granted += amount
                continue
            try:
                school.spend(who, "stationer" if action == "spend" else "grocery", amount)
                spent += amount
            except (InsufficientFunds, MerchantCategoryNotAllowed):
                pass
        circulation = school.balanced()
        treasury_before = school.wallet("treasury")
        school.clock.now = datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), UTC)
        result = school.service.expire_benefits(TREASURY_OPERATOR, school.scheme_id, "sweep")
        assert result.returned_tyiyn == granted - spent
        assert school.wallet("treasury") == treasury_before + granted - spent
        assert school.balanced() == circulation
    finally:
        submitter.close()
        school.domain.engine.dispose()


def test_racing_calls_create_each_benefit_account_once(school: School) -> None:
    parents = [school.domain.open(COMMERCIAL_BANK, f"racer-{n}", 1) for n in range(6)]
    overlapping = [parents[:4], parents[2:], parents, parents[1:5]] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda ws: school.service.benefit_account_ids(school.scheme_id, ws), overlapping))
    expected = {w: accounts.benefit_account_id(school.scheme_id, w) for w in parents}
    assert all(answer == {w: expected[w] for w in asked} for answer, asked in zip(answers, overlapping, strict=True))
    with school.domain.engine.connect() as conn:
        assert sorted(repository.benefit_wallets(conn, school.scheme_id, parents)) == sorted(parents)
        assert len(repository.all_benefit_accounts(conn)) == len(parents)
