"""Decoders behind a database write, fuzzed through their service on SQLite: a refused
input leaves every table as it was (no half-written row); an accepted one writes whole.

CSV and pain.001 uploads become a disbursement run; a device's sync request settles
offline payments. `FUZZ_SERVICE_EXAMPLES` inputs each here, 20x that in the slow job.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, MetaData, func, select

from digisom.api.runtime import domain_engine
from digisom.disbursement import tables as disbursement_tables
from digisom.disbursement.migrations import migrate
from digisom.disbursement.model import FileFormat
from digisom.disbursement.service import DisbursementService
from digisom.kernel.errors import DomainError
from digisom.ledger.service import Ledger
from digisom.offline import tables as offline_tables
from digisom.offline.sync_request import sign_sync_request
from digisom.offline.upload import Receipt, Upload
from digisom.stores.url import open_store
from tests.disbursement.test_execute import build, pension_file, pin
from tests.disbursement.test_pain001 import document, transaction
from tests.fuzz import structured
from tests.fuzz.mutate import inputs
from tests.fuzz.targets import CSV, XML, all_targets
from tests.offline.ledger_world import LedgerWorld
from tests.offline.world import signer

FUZZ_SERVICE_EXAMPLES: Final = 300
SLOW_FACTOR: Final = 20
SEEDS: Final = {target.name: target.seeds() for target in all_targets() if target.name in ("csv_upload", "pain001")}


def _counts(engine: Engine, metadata: MetaData) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def _settings(slow: bool) -> settings:
    count = FUZZ_SERVICE_EXAMPLES * (SLOW_FACTOR if slow else 1)
    return settings(max_examples=count, deadline=None, derandomize=True, database=None,
                    phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))


@pytest.fixture
def disbursement(tmp_path: Path) -> Iterator[tuple[DisbursementService, Engine]]:
    engine = domain_engine(f"sqlite:///{tmp_path / 'disbursement.db'}")
    migrate(engine)
    store = open_store(f"sqlite:///{tmp_path / 'ledger.db'}")
    service, _ = build(engine, Ledger(store))
    yield service, engine
    store.close()
    engine.dispose()


def _upload_inputs() -> st.SearchStrategy[tuple[FileFormat, bytes]]:
    # Seeds whose pins the test directory knows, so that mutants reach the budget and the insert.
    csv_seeds = [pension_file(), *SEEDS["csv_upload"]]
    xml_seeds = [document(transaction(pin(1), "5000"), transaction(pin(2), "12.5")), *SEEDS["pain001"]]
    return st.one_of(
        st.tuples(st.just(FileFormat.CSV), inputs(csv_seeds, CSV, structured.csv_rows(csv_seeds))),
        st.tuples(st.just(FileFormat.PAIN001), inputs(xml_seeds, XML)),
    )


def _check_uploads(service: DisbursementService, engine: Engine, slow: bool) -> None:
    keys = itertools.count()
    seen: Counter[str] = Counter()

    @_settings(slow)
    @given(_upload_inputs())
    def upload(case: tuple[FileFormat, bytes]) -> None:
        file_format, data = case
        before = _counts(engine, disbursement_tables.metadata)
        try:
            run = service.upload("treasury-clerk", f"fuzz-{next(keys)}", "pensions", "2026-11", data, file_format)
        except DomainError:
            assert _counts(engine, disbursement_tables.metadata) == before
            seen["refused"] += 1
            return
        seen["accepted"] += 1
        after = _counts(engine, disbursement_tables.metadata)
        runs, payments = disbursement_tables.runs.name, disbursement_tables.payments.name
        assert after[runs] == before[runs] + 1
        assert after[payments] == before[payments] + run.rows

    upload()
    assert seen["refused"] > 0 and seen["accepted"] > 0, seen  # both paths were fuzzed


def test_a_refused_upload_writes_no_row(disbursement: tuple[DisbursementService, Engine]) -> None:
    _check_uploads(*disbursement, slow=False)


@pytest.mark.slow
def test_a_refused_upload_writes_no_row_long_run(disbursement: tuple[DisbursementService, Engine]) -> None:
    _check_uploads(*disbursement, slow=True)


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[LedgerWorld]:
    world = LedgerWorld(f"sqlite:///{tmp_path / 'offline.db'}")
    yield world
    world.close()


def _ledger_total(world: LedgerWorld) -> int:
    return sum(a.debits_posted + a.credits_posted + a.debits_pending + a.credits_pending for a in world._accounts())


def _check_syncs(world: LedgerWorld, slow: bool) -> None:
    payer = world.device("pensioner", fund_tyiyn=1_000_000)
    payee = world.device("merchant")
    now_s = world.clock()
    payments = [payer.pay(payee.device_id, 1_000 + n, now_s) for n in range(3)]
    sent = sign_sync_request(signer("pensioner"), Upload(payer.device_id, tuple(payments), ()), now_s, 3_003, False,
                             payer.funding_total_tyiyn)

    @st.composite
    def requests(draw: st.DrawFn) -> bytes:
        """Signed by the payee's device, holding received payments mutated (structure intact)."""
        received = []
        for payment in draw(st.lists(st.sampled_from(payments), min_size=1, max_size=3)):
            bad = draw(inputs([payment], ()) | structured.cbor_envelopes([payment]))
            received.append(Receipt(bad, now_s, 0))
        upload = Upload(payee.device_id, (), tuple(received))
        return sign_sync_request(signer("merchant"), upload, now_s, 0, False, payee.funding_total_tyiyn)

    seen: Counter[str] = Counter()

    @_settings(slow)
    @given(st.one_of(inputs([sent], ()), requests()))
    def sync(request: bytes) -> None:
        before = (_counts(world.engine, offline_tables.metadata), _ledger_total(world))
        try:
            outcome = world.service.sync(request)
        except DomainError:
            assert (_counts(world.engine, offline_tables.metadata), _ledger_total(world)) == before
            seen["refused"] += 1
            return
        seen["settled"] += 1
        seen["malformed payments"] += len(outcome.result.malformed)

    sync()
    assert seen["refused"] > 0 and seen["settled"] > 0, seen


def test_a_refused_sync_writes_no_row(offline: LedgerWorld) -> None:
    _check_syncs(offline, slow=False)


@pytest.mark.slow
def test_a_refused_sync_writes_no_row_long_run(offline: LedgerWorld) -> None:
    _check_syncs(offline, slow=True)
