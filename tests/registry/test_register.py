"""The State Register of Digital Assets: KGST's entry, written once, read by anyone."""

from __future__ import annotations

from pathlib import Path

import pytest

from digisom.api.runtime import domain_engine
from digisom.registry import register


def test_kgst_entry_is_registered_once_and_readable(tmp_path: Path) -> None:
    engine = domain_engine(f"sqlite:///{tmp_path / 'register.db'}")
    register.ensure_schema(engine)
    address = "0x912817DF5ee9b07a002D0F24D024d8C328091088"
    entry = register.kgst_entry(56, address, 2, "https://kgst.example/reserve/latest.json", "2026-11-23T00:00:00Z")
    assert register.register(engine, entry) == entry
    assert register.register(engine, entry) == entry  # the same entry again: answered, not duplicated
    assert register.entries(engine) == [entry]
    published = register.get(engine, entry.entry_id)
    assert published is not None
    assert published.public()["entry_id"] == f"KGST@56:{address.lower()}"
    assert (published.issuer, published.chain_id, published.decimals) == (entry.issuer, 56, 2)
    other = register.kgst_entry(56, address, 6, entry.reserve_report_url, entry.registered_at)
    with pytest.raises(register.RegisterConflict):
        register.register(engine, other)
    engine.dispose()
