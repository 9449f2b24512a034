"""`digisom verify-public` against the API served in process, anchoring on the in-process
EVM: a clean log passes every check; a record edited in the database, a consistent
rewrite of a leaf, a forged anchor and a figure that does not add up each fail, naming
the first discrepancy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from digisom.api.public_verifier import verify_public_log
from digisom.api.runtime import Runtime, build, domain_engine
from digisom.api.transparency_wiring import CHECKPOINT
from digisom.chain.anchor import ChainAnchorer
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.keys import generate_key
from digisom.chain.transactor import Transactor
from digisom.cli import verify_public as cli
from digisom.cli.main import app as cli_app
from digisom.http.services import filled
from digisom.transparency import merkle
from digisom.transparency.records import record
from digisom.transparency.verify import Discrepancy, Findings, check_figures
from tests.api.world import World, kgs

ONE_ETH_WEI = 10**18


@pytest.fixture(scope="module")
def chain() -> EmbeddedChain:
    return EmbeddedChain(31337)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory, chain: EmbeddedChain) -> Iterator[World]:
    """A world with issuance, payments and a licensed VASP, checkpointed twice (the journal
    moved between the two), each head anchored on `chain`. One for the module (building
    it is most of the cost): a test that edits the database puts the row back (`_edited`)."""
    key = generate_key()
    chain.fund(key.address, ONE_ETH_WEI)
    runtime: Runtime = build(data_dir=tmp_path_factory.mktemp("log") / "data",
                             log_anchorer=ChainAnchorer(Transactor(chain, key)))
    world = World.create(runtime).setup()
    checkpoint = filled(runtime.app, CHECKPOINT)
    world.license_vasp()
    checkpoint()
    world.ok(world.pay("treasury", "treasury", "pensioner", 1_000), 201)
    world.ok(world.post("commercial_bank", "/v1/issuance/issues", {"bank_code": "AYIL", **kgs(5)}), 201)
    checkpoint()
    yield world
    runtime.close()


@contextmanager
def _edited(world: World, entry: Callable[[str], str], rehash: bool = False) -> Iterator[None]:
    """Leaf 0's entry rewritten in the database (and its leaf hash, if `rehash`), as a
    script with a database login would; put back afterwards."""
    engine = domain_engine(world.runtime.db_url)
    select_row = text("SELECT entry, leaf_hash FROM transparency_entries WHERE leaf_index = 0")
    update = text("UPDATE transparency_entries SET entry = :entry, leaf_hash = :leaf_hash WHERE leaf_index = 0")
    with engine.begin() as conn:
        original, leaf_hash = conn.execute(select_row).one()
        forged = entry(original)
        assert forged != original
        conn.execute(update, {"entry": forged,
                              "leaf_hash": merkle.leaf_hash(forged.encode()).hex() if rehash else leaf_hash})
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(update, {"entry": original, "leaf_hash": leaf_hash})
        engine.dispose()


def _more_circulation(entry: str) -> str:
    return entry.replace('"circulation_tyiyn":"', '"circulation_tyiyn":"9')


def test_a_clean_log_passes_every_check_with_its_anchors_on_chain(logged: World, chain: EmbeddedChain,
                                                                  tmp_path: Path) -> None:
    state = tmp_path / "seen.json"
    found = verify_public_log(logged.client, chain=chain, state_path=state)
    assert found.heads == 2 and found.anchors == 2 and found.consistency_proofs == 1
    # two issuance reports, two journal heads, the licence's three events (application, proposal, approval)
    assert found.entries == found.inclusion_proofs == 7
    assert {"issuance_report", "ledger_head"} <= set(found.figures)
    filled(logged.runtime.app, CHECKPOINT)()  # nothing new: the same head
    again = verify_public_log(logged.client, chain=chain, state_path=state)  # consistent with the remembered head
    assert again.consistency_proofs == 2


def test_a_record_edited_in_the_database_fails_naming_it(logged: World, chain: EmbeddedChain) -> None:
    with _edited(logged, _more_circulation), pytest.raises(
            Discrepancy, match=r"entry 0 \(issuance_report:[0-9a-f]+\): its content does not match"):
        verify_public_log(logged.client, chain=chain)


def test_a_rewritten_leaf_with_its_hash_fails_on_the_signed_heads(logged: World, chain: EmbeddedChain) -> None:
    with _edited(logged, _more_circulation, rehash=True), pytest.raises(
            Discrepancy, match="signed tree heads 5 and 7 are not consistent: the log was rewritten"):
        verify_public_log(logged.client, chain=chain)


def test_an_anchor_that_is_not_on_the_chain_fails(logged: World) -> None:
    with pytest.raises(Discrepancy, match="not on the chain"):
        verify_public_log(logged.client, chain=EmbeddedChain(31337))  # another chain of the same id: no such tx


def test_the_command_exits_0_when_clean_and_1_naming_the_discrepancy(logged: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def served(base_url: str, timeout: float) -> httpx.Client:
        return TestClient(logged.runtime.app, base_url=base_url)

    monkeypatch.setattr(cli.httpx, "Client", served)
    runner = CliRunner()
    clean = runner.invoke(cli_app, ["verify-public", "--base-url", "http://testserver"])
    assert clean.exit_code == 0, clean.output
    assert '"ok": true' in clean.output
    with _edited(logged, lambda entry: entry.replace("KGS", "USD")):
        tampered = runner.invoke(cli_app, ["verify-public", "--base-url", "http://testserver"])
    assert tampered.exit_code == 1
    assert "DISCREPANCY: entry 0" in tampered.output


def _run(run_id: str, programme: str, paid_tyiyn: int, paid: int = 1) -> Any:
    return record(f"disbursement_run:{run_id}:0", "disbursement_run", "t", {
        "run_id": run_id, "programme_id": programme, "period": "2026-11", "rows": paid, "total_tyiyn": str(paid_tyiyn),
        "by_status": {"paid": {"count": paid, "amount_tyiyn": str(paid_tyiyn)}}})


def _spending(paid_tyiyn: int, payees: int) -> Any:
    return record("public_spending:0", "public_spending", "t", {
        "programmes": {"pension": {"payees": payees, "paid_tyiyn": str(paid_tyiyn)}},
        "cells": [{"programme_id": "pension", "period": "2026-11", "region": "Naryn", "payees": payees,
                   "paid_tyiyn": str(paid_tyiyn)}]})


def test_programme_totals_are_recomputed_from_the_logged_runs() -> None:
    runs = [_run("r1", "pension", 700, 5), _run("r2", "pension", 300, 2)]
    check_figures([*runs, _spending(1000, 7)], Findings())
    with pytest.raises(Discrepancy, match="programme pension is published as 1001 tyiyn"):
        check_figures([*runs, _spending(1001, 7)], Findings())
    bad = record("disbursement_run:r3:0", "disbursement_run", "t", {
        "run_id": "r3", "programme_id": "p", "rows": 2, "total_tyiyn": "10",
        "by_status": {"paid": {"count": 2, "amount_tyiyn": "9"}}})
    with pytest.raises(Discrepancy, match="do not add up to the run"):
        check_figures([bad], Findings())
