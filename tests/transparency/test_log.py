"""The log on the database (SQLite and PostgreSQL): idempotent appends, signed heads,
proofs that verify against them, and typed refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.transparency import merkle, migrations, sth
from digisom.transparency.errors import LogNotFound, OutOfRange, RecordConflict, RecordInvalid
from digisom.transparency.log import ENTRIES_PAGE_MAX, TransparencyLog


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else f"sqlite:///{tmp_path}/log.db"
    made = domain_engine(url)
    migrations.migrate(made)
    yield made
    made.dispose()


def _log(engine: Engine) -> TransparencyLog:
    return TransparencyLog(engine, Ed25519PrivateKey.generate(), lambda: datetime(2026, 12, 7, tzinfo=UTC))


def test_appending_is_idempotent_by_record_id_and_a_changed_body_is_a_conflict(engine: Engine) -> None:
    log = _log(engine)
    assert log.append("por_root:aa", "por_root", {"total": "5"}) == (0, True)
    assert log.append("por_root:bb", "por_root", {"total": "6"}) == (1, True)
    assert log.append("por_root:aa", "por_root", {"total": "5"}) == (0, False)
    with pytest.raises(RecordConflict):
        log.append("por_root:aa", "por_root", {"total": "7"})
    with pytest.raises(RecordInvalid):
        log.append("x:1", "no_such_kind", {})
    with pytest.raises(RecordInvalid):
        log.append("x:1", "por_root", {"total": 1.5})  # money is never a float
    with pytest.raises(RecordInvalid):
        log.append("has space", "por_root", {})
    assert log.size() == 2


def test_signed_heads_prove_every_record_and_every_earlier_head(engine: Engine) -> None:
    log = _log(engine)
    heads = []
    for i in range(7):
        log.append(f"ledger_head:{i}", "ledger_head", {"journal_seq": i, "journal_hash": "00"})
        if i in (0, 2, 6):
            heads.append(log.sign_head())
    assert log.sign_head() == heads[-1]  # nothing new: the same head
    newest = heads[-1]
    assert sth.signed_by(newest, log.public_key)
    assert [h.tree_size for h in log.heads()] == [1, 3, 7]
    for i in range(7):
        found = log.inclusion(f"ledger_head:{i}")
        assert merkle.verify_inclusion(i, newest.tree_size, merkle.leaf_hash(found.entry.entry), found.path,
                                       newest.root_hash)
    for older in heads:
        proof = log.consistency(older.tree_size, newest.tree_size)
        assert merkle.verify_consistency(older.tree_size, newest.tree_size, proof, older.root_hash, newest.root_hash)


def test_unsigned_records_and_bad_ranges_are_typed_refusals(engine: Engine) -> None:
    log = _log(engine)
    with pytest.raises(LogNotFound):
        log.newest_head()
    log.append("ledger_head:1", "ledger_head", {"journal_seq": 1, "journal_hash": "00"})
    log.sign_head()
    log.append("ledger_head:2", "ledger_head", {"journal_seq": 2, "journal_hash": "00"})
    with pytest.raises(LogNotFound):
        log.inclusion("ledger_head:2")  # logged, not yet under a signed head
    with pytest.raises(LogNotFound):
        log.inclusion("ledger_head:404")
    with pytest.raises(OutOfRange):
        log.entries(1, 2)  # past the signed tree
    with pytest.raises(OutOfRange):
        log.entries(0, ENTRIES_PAGE_MAX + 1)
    with pytest.raises(OutOfRange):
        log.consistency(2, 1)
    with pytest.raises(LogNotFound):
        log.consistency(0, 2)  # size 2 was never signed
