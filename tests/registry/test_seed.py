"""The synthetic demo register: 100+ VASPs and the KGST and USDKG entries written through
the services (four eyes on every licence), deterministic keys a demo signs with, a log
that verifies, quick on SQLite, and seeding twice adds nothing. And the log's batch it
relies on: all of it durable, or none."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import Engine

from digisom.devtools.seed_register import DEFAULT_REGISTRARS, Fate, plan, seed_register, vasp_key
from digisom.registry import chain
from digisom.registry.assets import AssetRegister, AssetStatus
from digisom.registry.documents import Documents
from digisom.registry.errors import IllegalTransition
from digisom.registry.licensing import Activity, Licensing, VaspStatus
from tests.registry.conftest import NOW

SEED_SECONDS_MAX_SQLITE = 10.0  # measured 0.7-1.8 s on the shared 2-core machine


def test_the_seed_is_a_realistic_register_written_through_the_services(
        assets: AssetRegister, licensing: Licensing, engine: Engine) -> None:
    started = time.perf_counter()
    seeded = seed_register(assets, licensing, Documents(engine, lambda: NOW))
    elapsed_s = time.perf_counter() - started
    if engine.dialect.name == "sqlite":
        assert elapsed_s < SEED_SECONDS_MAX_SQLITE, elapsed_s
    vasps = {v.application.vasp_id: v for v in licensing.vasps()}
    assert len(vasps) == len(seeded.vasps) >= 100
    statuses = Counter(v.status for v in vasps.values())
    assert statuses[VaspStatus.REVOKED] == 1 and statuses[VaspStatus.SUSPENDED] >= 3
    assert statuses[VaspStatus.LICENSED] >= 90
    assert {statuses[VaspStatus.REFUSED], statuses[VaspStatus.PROPOSED], statuses[VaspStatus.APPLIED]} == {1}
    for planned in seeded.vasps:
        assert vasps[planned.vasp_id].status.value == planned.fate.value
    cities = Counter(v.application.address.split(", ")[1].split()[0] for v in vasps.values())
    assert set(cities) == {"Bishkek", "Osh", "Karakol"}
    assert len({v.application.activities for v in vasps.values()}) >= 4
    licences = licensing.licences()
    assert len(licences) == len(seeded.vasps) - 3 and len({x.number for x in licences}) == len(licences)
    for licence in licences:  # four eyes on every one, by the two registrars
        assert licence.proposed_by != licence.approved_by
        assert {licence.proposed_by, licence.approved_by} == set(DEFAULT_REGISTRARS)
        assert len(licensing.vasp(licence.vasp_id).application.documents) == 2
    # A demo signs as a seeded VASP with the key its licence holds.
    exchange = seeded.with_fate(Fate.LICENSED)[5]
    licence = licensing.licence_for(exchange.vasp_id)
    assert licence is not None and licence.public_key == exchange.public_key
    assert chain.public_key_hex(vasp_key("digisom-register-demo-v1", exchange.vasp_id)) == licence.public_key
    # The assets, listed by the issuers the seed licensed for issuance.
    kgst, usdkg = assets.entry("KGST"), assets.entry("USDKG")
    assert kgst.status is AssetStatus.REGISTERED and usdkg.status is AssetStatus.REGISTERED
    issuers = {licensing.licence_for(v.vasp_id).number: v for v in seeded.vasps[:2]}  # type: ignore[union-attr]
    assert {kgst.application.issuer_licence, usdkg.application.issuer_licence} == set(issuers)
    assert all(Activity.ISSUANCE in v.activities for v in issuers.values())
    assert [c.chain_id for c in usdkg.application.chains] == [1, 56]
    export = licensing.log.export()
    assert chain.verify_chain(export["events"], bytes.fromhex(export["public_key"])) == []
    # Seeding again adds nothing.
    head = licensing.log.head_seq()
    again = seed_register(assets, licensing, Documents(engine, lambda: NOW))
    assert again.vasps == seeded.vasps and [v.public_key for v in again.vasps] == [v.public_key for v in seeded.vasps]
    assert licensing.log.head_seq() == head


def test_the_seed_is_deterministic_per_seed_string() -> None:
    first, again, other = plan("s-1"), plan("s-1"), plan("s-2")
    assert [(v.vasp_id, v.legal_name, v.address, v.activities, v.licence_number, v.public_key) for v in first] == \
        [(v.vasp_id, v.legal_name, v.address, v.activities, v.licence_number, v.public_key) for v in again]
    assert {v.public_key for v in first}.isdisjoint({v.public_key for v in other})
    assert len({v.vasp_id for v in first}) == len(first)
    with pytest.raises(ValueError, match="distinct"):
        seed_register(None, None, None, registrars=("registrar:-:a", "registrar:-:a"))  # type: ignore[arg-type]


def test_a_batch_is_durable_whole_or_not_at_all(licensing: Licensing) -> None:
    def half_way() -> None:
        with licensing.log.batch():
            licensing.apply("vasp-one", "One LLC", "Bishkek", frozenset({Activity.EXCHANGE}), "ab" * 32, [],
                            "vasp:-:one")
            assert licensing.vasp("vasp-one").status is VaspStatus.APPLIED  # the batch reads its own writes
            raise RuntimeError("the seed stops half-way")

    with pytest.raises(RuntimeError):
        half_way()
    assert licensing.log.head_seq() == 0 and licensing.vasps() == []
    with licensing.log.batch():
        licensing.apply("vasp-one", "One LLC", "Bishkek", frozenset({Activity.EXCHANGE}), "ab" * 32, [], "vasp:-:one")
        with pytest.raises(IllegalTransition):  # a refused change leaves the others in the batch
            licensing.suspend("vasp-one", "not licensed", "registrar:-:a")
        licensing.apply("vasp-two", "Two LLC", "Osh", frozenset({Activity.CUSTODY}), "cd" * 32, [], "vasp:-:two")
    assert [v.application.vasp_id for v in licensing.vasps()] == ["vasp-one", "vasp-two"]
    assert chain.verify_chain([e.as_json() for e in licensing.log.everything()],
                              bytes.fromhex(licensing.log.public_key_hex)) == []
