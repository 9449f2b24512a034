"""The State Register of Digital Assets: entries, transitions, the append-only signed log
(refused by the database too), the export an outsider verifies, and the old readers."""

from __future__ import annotations

import copy
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from digisom.registry import chain, register
from digisom.registry.assets import TRANSITIONS, AssetRegister, AssetStatus, Report, ReportKind, fold, stream_of
from digisom.registry.errors import AssetExists, BadSha256, IllegalTransition, UnknownAsset
from digisom.registry.known_assets import kgst_application
from digisom.registry.log import EventLog

ADDRESS = "0x912817DF5ee9b07a002D0F24D024d8C328091088"
PAPER = hashlib.sha256(b"KGST white paper").hexdigest()
ACTOR = "registrar:-:registrar-aida"


def test_an_entry_is_applied_registered_and_read_by_the_old_readers(assets: AssetRegister, engine: Engine) -> None:
    application = kgst_application(56, ADDRESS, 2, PAPER, "KG-VAI-2026-001")
    entry = assets.apply(application, ACTOR)
    assert entry.status is AssetStatus.APPLIED and register.entries(engine) == []
    assert assets.apply(application, ACTOR) == entry  # the same application again: no new event
    assert len(assets.history("KGST")) == 1
    entry = assets.transition("KGST", AssetStatus.REGISTERED, "reserve verified", ACTOR)
    assert entry.status is AssetStatus.REGISTERED
    (old,) = register.entries(engine)  # the first register's reads keep working
    assert (old.symbol, old.chain_id, old.contract_address, old.decimals) == ("KGST", 56, ADDRESS, 2)
    with pytest.raises(AssetExists):
        assets.apply(kgst_application(56, ADDRESS, 6, PAPER, "KG-VAI-2026-001"), ACTOR)
    with pytest.raises(IllegalTransition):
        assets.transition("KGST", AssetStatus.APPLIED, "back", ACTOR)
    with pytest.raises(UnknownAsset):
        assets.transition("NOPE", AssetStatus.REGISTERED, "x", ACTOR)
    with pytest.raises(BadSha256):
        assets.add_report("KGST", Report(ReportKind.AUDIT, "https://kgst.example/a.pdf", "abc"), ACTOR)


def test_the_log_refuses_update_and_delete_in_the_database(assets: AssetRegister, engine: Engine) -> None:
    assets.apply(kgst_application(56, ADDRESS, 2, PAPER, "KG-VAI-2026-001"), ACTOR)
    for statement in ("UPDATE registry_events SET actor = 'mallory'", "DELETE FROM registry_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert assets.history("KGST")[0].actor == ACTOR


def _export(log: EventLog) -> list[dict[str, object]]:
    return [event.as_json() for event in log.everything()]


def test_a_tampered_export_fails_naming_the_event(assets: AssetRegister, key: Ed25519PrivateKey) -> None:
    assets.ensure_registered(kgst_application(56, ADDRESS, 2, PAPER, "KG-VAI-2026-001"), ACTOR, "listed")
    assets.transition("KGST", AssetStatus.SUSPENDED, "audit overdue", ACTOR)
    events = _export(assets.log)
    public = bytes.fromhex(chain.public_key_hex(key))
    assert chain.verify_chain(events, public) == []
    altered = copy.deepcopy(events)
    altered[1]["body"] = {"status": "delisted", "reason": "registered"}  # type: ignore[index]
    (problem,) = [p for p in chain.verify_chain(altered, public) if "altered" in p]
    assert problem.startswith("event seq 2 ")
    assert any("seq 2" in p for p in chain.verify_chain(events[:1] + events[2:], public))  # one removed
    other = bytes.fromhex(chain.public_key_hex(Ed25519PrivateKey.generate()))
    assert "event seq 1 " in chain.verify_chain(events, other)[0]


ACTIONS = st.lists(st.tuples(st.sampled_from([*AssetStatus, "report"]), st.sampled_from([ACTOR, "registrar:-:b"])),
                   max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_any_sequence_keeps_the_history_append_only_and_the_view_its_fold(
        assets: AssetRegister, key: Ed25519PrivateKey, actions: list[tuple[object, str]]) -> None:
    symbol = f"T{abs(hash(tuple(actions))) % 10**12}"
    application = kgst_application(56, ADDRESS, 2, PAPER, "L-1")
    application = type(application)(symbol, *[getattr(application, f) for f in (
        "name", "kind", "issuer", "issuer_licence", "peg", "chains", "white_paper_sha256")])
    assets.apply(application, ACTOR)
    seen = assets.log.everything()
    for n, (action, actor) in enumerate(actions):
        status = fold(assets.log.stream(stream_of(symbol)))
        assert status is not None
        try:
            if action == "report":
                legal = status.status is not AssetStatus.DELISTED
                report = Report(ReportKind.RESERVE, f"https://r.example/{n}", hashlib.sha256(bytes([n])).hexdigest())
                assets.add_report(symbol, report, actor)
            else:
                legal = action in TRANSITIONS[status.status]
                assets.transition(symbol, AssetStatus(action), "why", actor)
            assert legal, f"{action} from {status.status} was accepted"
        except IllegalTransition:
            assert not legal, f"{action} from {status.status} was refused"
        now = assets.log.everything()
        assert now[: len(seen)] == seen and len(now) == len(seen) + legal  # only appended, one per legal change
        seen = now
        assert assets.entry(symbol) == fold(assets.log.stream(stream_of(symbol)))
    assert chain.verify_chain(_export(assets.log), bytes.fromhex(chain.public_key_hex(key))) == []


def test_the_first_registers_rows_are_adopted_once(assets: AssetRegister, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(register.assets.insert().values(
            entry_id=f"KGST@56:{ADDRESS.lower()}", symbol="KGST", asset="KGST", issuer="KGST issuer", peg="1:1",
            standard="BEP-20", chain_id=56, contract_address=ADDRESS, decimals=2,
            reserve_report_url="https://kgst.example/r.json", registered_at="2026-11-23T00:00:00Z"))
    assert assets.adopt_legacy("system:registry-migration") == ["KGST"]
    assert assets.adopt_legacy("system:registry-migration") == []
    entry = assets.entry("KGST")
    assert entry.status is AssetStatus.REGISTERED and entry.reports[0].url == "https://kgst.example/r.json"
    assert len(register.entries(engine)) == 1  # the old row kept, not duplicated
    # The bridge registering the same deployment again changes nothing.
    assert assets.ensure_registered(kgst_application(56, ADDRESS, 2, PAPER, "L"), ACTOR, "x").status \
        is AssetStatus.REGISTERED
