"""The sources added to the log: KGST supply against its reserve and the VASP volume
aggregates are recomputed by verify-public (a report that does not add up is named);
reserve publications are re-hashed by the reserve's own rule (in the demo chapter)."""

from __future__ import annotations

from typing import Any

import pytest

from digisom.api.public_verifier import checks
from digisom.transparency.records import Record, record
from digisom.transparency.verify import Discrepancy, Findings, check_figures


def _kgst(supply: str | None, reserve: str, balanced: bool, minting: str = "0") -> Record:
    return record("kgst_reserve:1", "kgst_reserve", "t", {
        "chain_id": 56, "token_address": "0x" + "ab" * 20, "decimals": 2, "supply_token_units": "100",
        "supply_tyiyn": supply, "reserve_tyiyn": reserve, "mint_in_flight_tyiyn": minting,
        "redeem_in_flight_tyiyn": "0", "balanced": balanced, "at": "t", "currency": "KGS"})


def test_kgst_supply_is_checked_against_its_reserve() -> None:
    found = Findings()
    check_figures([_kgst("100", "100", True), _kgst("150", "100", True, minting="50")], found)
    assert "kgst_reserve" in found.figures
    with pytest.raises(Discrepancy, match="KGST supply 101 tyiyn is not covered by its reserve of 100"):
        check_figures([_kgst("101", "100", False)], Findings())
    with pytest.raises(Discrepancy, match="published as balanced, its figures say otherwise"):
        check_figures([_kgst("101", "100", True)], Findings())
    with pytest.raises(Discrepancy, match="published as not balanced"):
        check_figures([_kgst("100", "100", False)], Findings())


def _volume(**changes: Any) -> Record:
    body: dict[str, Any] = {
        "period": "2026-11", "reports": 2, "volume_tyiyn": "700", "trades": 7, "customers": 30,
        "pairs": [{"base": "BTC", "quote": "KGS", "volume_base_units": "3", "volume_tyiyn": "600", "trades": 5},
                  {"base": "USDT", "quote": "KGS", "volume_base_units": "100", "volume_tyiyn": "100", "trades": 2}],
        "assets": [{"asset": "BTC", "volume_base_units": "3", "volume_tyiyn": "600", "trades": 5,
                    "deposits_units": "1", "withdrawals_units": "0"},
                   {"asset": "USDT", "volume_base_units": "100", "volume_tyiyn": "100", "trades": 2,
                    "deposits_units": "0", "withdrawals_units": "0"}],
        "versions": [{"vasp_id": "vasp-ala-too", "version": 1, "report_sha256": "00" * 32},
                     {"vasp_id": "vasp-issyk", "version": 2, "report_sha256": "11" * 32}]}
    return record("vasp_volume:2026-11:0", "vasp_volume", "t", body | changes)


def test_vasp_volume_aggregates_are_recomputed_from_their_pairs() -> None:
    found = Findings()
    check_figures([_volume()], found)
    assert "vasp_volume" in found.figures
    with pytest.raises(Discrepancy, match="the month's volume_tyiyn 701 is not the sum of its pairs"):
        check_figures([_volume(volume_tyiyn="701")], Findings())
    with pytest.raises(Discrepancy, match="the month's trades 8"):
        check_figures([_volume(trades=8)], Findings())
    assets = _volume().body["assets"]
    with pytest.raises(Discrepancy, match="asset BTC's volume_tyiyn 599"):
        check_figures([_volume(assets=[{**assets[0], "volume_tyiyn": "599"}, assets[1]])], Findings())
    with pytest.raises(Discrepancy, match="3 reports counted, 2 versions listed"):
        check_figures([_volume(reports=3)], Findings())


def _publication(balance_units: str, root: str) -> Record:
    document = {"title": "digisom national crypto reserve", "date": "2026-12-01", "chain_id": 56, "block": 6,
                "root": root, "wallets": [], "proofs": [],
                "holdings": [{"asset": "BNB", "token": None, "address": "0x" + "12" * 20,
                              "balance_units": balance_units}]}
    return record(f"reserve_publication:{root[:8]}", "reserve_publication", "t", {"publication": document})


def test_a_reserve_publication_is_rehashed_by_the_reserve_rule() -> None:
    from digisom.reserve.publication import HoldingLine, holdings_root  # noqa: PLC0415 - the EVM stack

    root = holdings_root([HoldingLine("BNB", None, "0x" + "12" * 20, 5 * 10**18)])
    verifier = checks()
    check_figures([_publication(str(5 * 10**18), root)], Findings(), verifier.figures)
    with pytest.raises(Discrepancy, match="its holdings do not hash to its published root"):
        check_figures([_publication(str(6 * 10**18), root)], Findings(), verifier.figures)
    with pytest.raises(Discrepancy, match="not a reserve publication"):
        check_figures([_publication("-1", root)], Findings(), verifier.figures)
