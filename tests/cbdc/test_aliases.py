"""The banks' alias directory: own customers only, one destination per bank and person, resolution
for the treasury in one query, frozen and closed wallets absent, and the database's checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from digisom.api.runtime import domain_engine
from digisom.cbdc import accounts
from digisom.cbdc.accounts import AccountCode
from digisom.cbdc.aliases import RESOLVE_MAX
from digisom.cbdc.errors import Forbidden, InvalidRequest, NotFound, WalletClosed
from digisom.cbdc.migrations import migrate
from digisom.cbdc.model import AliasTarget, HolderKind
from digisom.kernel.access import Actor, Role
from tests.cbdc.conftest import CENTRAL_BANK, COMMERCIAL_BANK, SECOND_BANK, Domain

PN = "21204199000123"
OTHER_PN = "11503198500077"
TREASURY_OPERATOR = Actor(Role.TREASURY_OPERATOR, "treasury-clerk")


def test_a_bank_registers_replaces_and_removes_its_customers_alias(domain: Domain) -> None:
    service = domain.service
    wallet = domain.open(COMMERCIAL_BANK, "pensioner", 0)
    first = service.register_alias(COMMERCIAL_BANK, PN, wallet, None)
    assert (first.bank_code, first.wallet_id, first.bank_account) == ("AYIL", wallet, None)
    assert service.register_alias(COMMERCIAL_BANK, PN, wallet, None) == first  # idempotent
    replaced = service.register_alias(COMMERCIAL_BANK, PN, None, "KG21AYIL0001")
    assert (replaced.wallet_id, replaced.bank_account, replaced.created_at) == (None, "KG21AYIL0001", first.created_at)
    assert service.alias(COMMERCIAL_BANK, PN) == replaced
    service.remove_alias(COMMERCIAL_BANK, PN)
    service.remove_alias(COMMERCIAL_BANK, PN)  # again: the same success
    with pytest.raises(NotFound):
        service.alias(COMMERCIAL_BANK, PN)
    assert service.resolve_aliases([PN]) == {}


def test_a_bank_neither_points_to_another_banks_wallet_nor_sees_or_learns_of_its_aliases(domain: Domain) -> None:
    service = domain.service
    ayil_wallet = domain.open(COMMERCIAL_BANK, "pensioner", 0)
    bakai_wallet = domain.open(SECOND_BANK, "teacher", 1)
    with pytest.raises(NotFound):  # another bank's wallet: as if it did not exist
        service.register_alias(COMMERCIAL_BANK, PN, bakai_wallet, None)
    service.register_alias(COMMERCIAL_BANK, PN, ayil_wallet, None)
    with pytest.raises(NotFound):
        service.alias(SECOND_BANK, PN)
    # Bakai registers the number Ayil holds exactly as a fresh one, and sees only its own.
    bakai = service.register_alias(SECOND_BANK, PN, bakai_wallet, None)
    assert (bakai.bank_code, bakai.wallet_id) == ("BAKAI", bakai_wallet)
    assert service.alias(SECOND_BANK, PN) == bakai
    service.remove_alias(SECOND_BANK, PN)  # removes nothing of Ayil's
    assert service.alias(COMMERCIAL_BANK, PN).wallet_id == ayil_wallet


def test_a_number_two_banks_registered_is_paid_to_the_earliest_that_can_receive(domain: Domain) -> None:
    service = domain.service
    ayil_wallet = domain.open(COMMERCIAL_BANK, "pensioner", 0)
    bakai_wallet = domain.open(SECOND_BANK, "teacher", 1)
    service.register_alias(COMMERCIAL_BANK, PN, ayil_wallet, None)
    service.register_alias(SECOND_BANK, PN, bakai_wallet, None)
    assert service.resolve_aliases([PN])[PN].wallet_id == ayil_wallet
    service.register_alias(COMMERCIAL_BANK, PN, None, "KG21AYIL0001")  # a replacement keeps its place
    assert service.resolve_aliases([PN])[PN].bank_code == "AYIL"
    service.register_alias(COMMERCIAL_BANK, PN, ayil_wallet, None)
    service.set_frozen(CENTRAL_BANK, ayil_wallet, True, "court order", "case-1")
    assert service.resolve_aliases([PN])[PN].wallet_id == bakai_wallet  # the earliest that can receive
    service.set_frozen(CENTRAL_BANK, ayil_wallet, False, "lifted", "case-1")
    service.remove_alias(COMMERCIAL_BANK, PN)
    assert service.resolve_aliases([PN])[PN].wallet_id == bakai_wallet


@pytest.mark.parametrize("actor", [CENTRAL_BANK, TREASURY_OPERATOR, Actor(Role.WALLET_HOLDER, "pensioner", "AYIL")])
def test_only_bank_operators_touch_aliases(domain: Domain, actor: Actor) -> None:
    wallet = domain.open(COMMERCIAL_BANK, "pensioner", 0)
    domain.service.register_alias(COMMERCIAL_BANK, PN, wallet, None)
    with pytest.raises(Forbidden):
        domain.service.alias(actor, PN)
    with pytest.raises(Forbidden):
        domain.service.register_alias(actor, PN, wallet, None)
    with pytest.raises(Forbidden):
        domain.service.remove_alias(actor, PN)


@pytest.mark.parametrize(
    ("number", "wallet", "account"),
    [
        ("2120419900012", True, None),  # 13 digits
        ("2120419900012x", True, None),
        (PN, True, "KG21"),  # two destinations
        (PN, False, None),  # none
        (PN, False, "kg21lower"),
        (PN, False, "K" * 35),
    ],
)
def test_bad_aliases_are_refused(domain: Domain, number: str, wallet: bool, account: str | None) -> None:
    wallet_id = domain.open(COMMERCIAL_BANK, "pensioner", 0) if wallet else None
    with pytest.raises(InvalidRequest):
        domain.service.register_alias(COMMERCIAL_BANK, number, wallet_id, account)


def test_a_government_or_closed_wallet_takes_no_alias(domain: Domain) -> None:
    service = domain.service
    public_body = service.open_wallet(COMMERCIAL_BANK, "open-ministry", "ministry", HolderKind.GOVERNMENT, 2,
                                      "Ministry", "+996700000001", "1234", None).id
    with pytest.raises(InvalidRequest):
        service.register_alias(COMMERCIAL_BANK, PN, public_body, None)
    closed = domain.open(COMMERCIAL_BANK, "leaver", 0)
    service.close_wallet(COMMERCIAL_BANK, closed, "close-leaver")
    with pytest.raises(WalletClosed):
        service.register_alias(COMMERCIAL_BANK, PN, closed, None)


def test_resolve_names_the_ledger_account_to_credit_and_leaves_out_frozen_and_closed(domain: Domain) -> None:
    service = domain.service
    active = domain.open(COMMERCIAL_BANK, "pensioner", 0)
    frozen = domain.open(COMMERCIAL_BANK, "debtor", 0)
    closing = domain.open(SECOND_BANK, "leaver", 0)
    numbers = [f"2{n:013d}" for n in range(5)]
    service.register_alias(COMMERCIAL_BANK, numbers[0], active, None)
    service.register_alias(SECOND_BANK, numbers[1], None, "KG99BAKAI42")
    service.register_alias(COMMERCIAL_BANK, numbers[2], frozen, None)
    service.register_alias(SECOND_BANK, numbers[3], closing, None)
    service.set_frozen(CENTRAL_BANK, frozen, True, "court order", "case-1")
    service.close_wallet(SECOND_BANK, closing, "close-leaver")
    found = service.resolve_aliases([*numbers, numbers[0], "not-a-number"])
    assert found == {
        numbers[0]: AliasTarget("wallet", accounts.wallet_account_id(active), "AYIL", active, None),
        numbers[1]: AliasTarget("bank_account", accounts.bank_account_id("BAKAI", AccountCode.BANK_FLOAT), "BAKAI",
                                None, "KG99BAKAI42"),
    }
    service.set_frozen(CENTRAL_BANK, frozen, False, "lifted", "case-1")
    assert set(service.resolve_aliases(numbers)) == {numbers[0], numbers[1], numbers[2]}


def test_resolve_is_one_query_and_bounded(domain: Domain) -> None:
    wallet = domain.open(COMMERCIAL_BANK, "pensioner", 0)
    domain.service.register_alias(COMMERCIAL_BANK, PN, wallet, None)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(domain.engine, "before_cursor_execute", count)
    try:
        asked = [f"1{n:013d}" for n in range(RESOLVE_MAX - 1)] + [PN]
        assert set(domain.service.resolve_aliases(asked)) == {PN}
    finally:
        event.remove(domain.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    with pytest.raises(InvalidRequest):
        domain.service.resolve_aliases(["1" * 14] * (RESOLVE_MAX + 1))


def test_the_database_refuses_an_alias_to_another_banks_wallet_and_two_destinations(tmp_path: Path) -> None:
    engine = domain_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")  # foreign keys on, as in the server
    try:
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO cbdc_wallets (id, operation_id, bank_code, holder_id, holder_kind, tier, status, "
                "created_at) VALUES ('w1', 'op', 'AYIL', 'h', 'individual', 0, 'active', 't')"))
        insert = ("INSERT INTO cbdc_alias_registrations (personal_number, bank_code, wallet_id, bank_account, "
                  "created_at, updated_at) VALUES (:pn, :bank, :wallet, :account, 't', 't')")
        for bad in (
            {"pn": PN, "bank": "BAKAI", "wallet": "w1", "account": None},  # the wallet is Ayil's
            {"pn": PN, "bank": "AYIL", "wallet": "w1", "account": "KG1"},  # two destinations
            {"pn": PN, "bank": "AYIL", "wallet": None, "account": None},  # none
            {"pn": "123", "bank": "AYIL", "wallet": "w1", "account": None},  # not 14 characters
        ):
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(insert), bad)
        with engine.begin() as conn:
            conn.execute(text(insert), {"pn": PN, "bank": "AYIL", "wallet": "w1", "account": None})
        with pytest.raises(IntegrityError), engine.begin() as conn:  # one destination per bank and person
            conn.execute(text(insert), {"pn": PN, "bank": "AYIL", "wallet": None, "account": "KG1"})
        with engine.begin() as conn:  # another bank's registration of the same person is its own row
            conn.execute(text(insert), {"pn": PN, "bank": "BAKAI", "wallet": None, "account": "KG1"})
    finally:
        engine.dispose()


def test_other_numbers_are_independent(domain: Domain) -> None:
    wallet = domain.open(COMMERCIAL_BANK, "pensioner", 0)
    domain.service.register_alias(COMMERCIAL_BANK, PN, wallet, None)
    domain.service.register_alias(SECOND_BANK, OTHER_PN, None, "KG1")
    assert {n: t.bank_code for n, t in domain.service.resolve_aliases([PN, OTHER_PN]).items()} == {
        PN: "AYIL", OTHER_PN: "BAKAI"}


def test_two_banks_racing_for_one_number_each_keep_one_registration(domain: Domain) -> None:
    banks = (COMMERCIAL_BANK, SECOND_BANK)
    wallets = {str(bank.bank_code): domain.open(bank, f"twin-{bank.bank_code}", 0) for bank in banks}

    def register(bank: Actor) -> str:
        return domain.service.register_alias(bank, PN, wallets[str(bank.bank_code)], None).bank_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(register, [COMMERCIAL_BANK, SECOND_BANK] * 4))
    assert outcomes == ["AYIL", "BAKAI"] * 4  # every call succeeds, the same as alone
    for bank in banks:
        assert domain.service.alias(bank, PN).wallet_id == wallets[str(bank.bank_code)]
    with domain.engine.connect() as conn:
        rows = conn.execute(text("SELECT bank_code FROM cbdc_alias_registrations WHERE personal_number = :pn"),
                            {"pn": PN}).scalars()
        assert sorted(rows) == ["AYIL", "BAKAI"]
    assert domain.service.resolve_aliases([PN])[PN].bank_code in ("AYIL", "BAKAI")
